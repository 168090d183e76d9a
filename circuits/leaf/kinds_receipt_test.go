package leaf

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Kinds of claims proven by receipt, after those of kinds_test.go.
const (
	kindReceiptLog = kindRotation + 1 + iota
	kindReceiptClaim
)

// TestUniversalReceiptKinds: a lane by receipt (a devnet send's MessageSent) and an event
// (a devnet ERC-20 Transfer), each its block's header, its receipts-trie steps, its receipt
// log leaf and its claim leaf, folded into one statement: the native facts link and export
// protocol.ChainStatement of both claims; every new kind solves, and refuses its facts
// changed where its rules bind them.
func TestUniversalReceiptKinds(t *testing.T) {
	d := devnet.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain
	c, keys := testCommittee(t, 4)
	signedHeader := func(h *types.Header) (*HeaderLeaf, *HeaderPublic, facts.Values) {
		enc, err := rlp.EncodeToBytes(h)
		if err != nil {
			t.Fatal(err)
		}
		sigs := map[int]*eddsanative.Signature{}
		for i := range 3 {
			if sigs[i], err = committee.Sign(keys[i], committee.DigestNative(src, h.Number.Uint64(), h.Hash())); err != nil {
				t.Fatal(err)
			}
		}
		a, pub, v, err := AssignHeaderLeaf(src, enc, c, sigs, 4)
		if err != nil {
			t.Fatal(err)
		}
		return a, pub, v
	}
	var leaves []kindLeaf
	// logLeaves adds the receipts-trie steps and the receipt log leaf of log li of
	// transaction tx in block h, and returns the leaf's reading.
	logLeaves := func(name string, h *types.Header, tx, li uint32) (*ReceiptLeafPublic, *chain.ReceiptProof) {
		rp, key, steps := devnetReceiptWalk(t, ctx, d, h, tx, li)
		for i := range steps[:len(steps)-1] {
			a, v, err := AssignStepLeaf(h.ReceiptHash, key, steps, i, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			leaves = append(leaves, kindLeaf{name + " step", a, v, kindStep})
		}
		a, pub, v, err := AssignReceiptLogLeaf(h.ReceiptHash, int(tx), steps, int(li), ReceiptNodeLen, ReceiptMaxData)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, kindLeaf{name + " log", a, v, kindReceiptLog})
		return pub, rp
	}

	// The lane by receipt: a send's MessageSent.
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, 100_000, bytes.Repeat([]byte{7}, 64)); err != nil {
		t.Fatal(err)
	}
	sh, tx, li, err := d.Src.FindSend(ctx, dst, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ha, hdr, hv := signedHeader(sh)
	leaves = append(leaves, kindLeaf{"send header", ha, hv, kindHeader})
	sendLog, rp := logLeaves("send", sh, tx, li)
	lane, err := rp.LaneByReceipt(d.Outbox, hdr.Committee)
	if err != nil {
		t.Fatal(err)
	}
	la, lv, err := AssignReceiptClaimLeaf(&lane, nil, hdr, sendLog)
	if err != nil {
		t.Fatal(err)
	}
	leaves = append(leaves, kindLeaf{"lane by receipt", la, lv, kindReceiptClaim})

	// The event: an ERC-20 Transfer.
	_, r, err := devnet.TokenTransfers(ctx, d, common.HexToAddress("0xc0"))
	if err != nil {
		t.Fatal(err)
	}
	th, err := d.SourceClient.Eth.HeaderByHash(ctx, r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	tha, thdr, thv := signedHeader(th)
	leaves = append(leaves, kindLeaf{"transfer header", tha, thv, kindHeader})
	transferLog, trp := logLeaves("transfer", th, uint32(r.TransactionIndex), 0)
	ev, err := trp.Event(thdr.Committee)
	if err != nil {
		t.Fatal(err)
	}
	ea, evv, err := AssignReceiptClaimLeaf(nil, &ev, thdr, transferLog)
	if err != nil {
		t.Fatal(err)
	}
	leaves = append(leaves, kindLeaf{"event", ea, evv, kindReceiptClaim})
	if _, _, err := AssignReceiptClaimLeaf(nil, &ev, thdr, sendLog); !errors.Is(err, mpt.ErrProof) {
		t.Fatalf("the event claimed of the send's log: %v", err)
	}

	claims := []common.Hash{lane.Hash(), crypto.Keccak256Hash(ev.Encode())}
	fa, fv, _, err := AssignFoldLeaf(protocol.ChainGenesis, claims, true)
	if err != nil {
		t.Fatal(err)
	}
	leaves = append(leaves, kindLeaf{"fold", fa, fv, kindFold})

	b := &devnetLaneBatch{leaves: leaves, claims: claims}
	plan, err := b.link()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := leaves[plan.Order[plan.Exporter]].values.Produced.BigInt(new(big.Int)), facts.StatementOf(protocol.ChainStatement(claims)); got.Cmp(want) != 0 {
		t.Fatalf("exports %x, want %x", got, want)
	}
	for i := range leaves {
		if leaves[i].kind != kindReceiptLog {
			continue
		}
		b.leaves = append(append([]kindLeaf{}, leaves[:i]...), leaves[i+1:]...)
		if _, err := b.link(); !errors.Is(err, universal.ErrUnlinked) {
			t.Errorf("without the %s leaf: %v, want ErrUnlinked", leaves[i].name, err)
		}
	}

	placeholders := map[int]struct {
		name string
		c    frontend.Circuit
	}{
		kindHeader: {"header leaf kind, capacity 4", NewHeaderLeaf(4)}, kindStep: {"step leaf kind", &StepLeaf{}},
		kindFold: {"fold leaf kind", &FoldLeaf{}}, kindReceiptLog: {"receipt log leaf kind", NewReceiptLogLeaf(ReceiptNodeLen, ReceiptMaxData)},
		kindReceiptClaim: {"receipt claim leaf kind", &ReceiptClaimLeaf{}},
	}
	solve := func(kind int, a frontend.Circuit) error {
		p := placeholders[kind]
		return circuittest.Solve(circuittest.Compile(t, p.name, field, p.c), field, a)
	}
	for _, l := range leaves {
		if err := solve(l.kind, l.a); err != nil {
			t.Fatalf("%s (kind %d): %v", l.name, l.kind, err)
		}
	}

	other := ClaimFact(common.Hash{2})
	refuse := func(name string, kind int, a frontend.Circuit, io *facts.IO, change func(v *facts.Values)) {
		t.Helper()
		var v facts.Values
		for i := range v.Consumed {
			v.Consumed[i].SetBigInt(toBig(io.Consumed[i]))
		}
		v.Produced.SetBigInt(toBig(io.Produced))
		change(&v)
		v.Assign(io)
		if err := solve(kind, a); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	logLeaf := func() *ReceiptLogLeaf {
		for _, l := range leaves {
			if l.name == "transfer log" {
				c := *l.a.(*ReceiptLogLeaf)
				return &c
			}
		}
		t.Fatal("no transfer log leaf")
		return nil
	}
	l := logLeaf()
	refuse("log: another emitter's", kindReceiptLog, l, &l.IO, func(v *facts.Values) {
		p := *transferLog
		p.Emitter = common.Address{1}
		v.Produced = LogFact(th.ReceiptHash, &p)
	})
	l = logLeaf()
	refuse("log: another transaction's", kindReceiptLog, l, &l.IO, func(v *facts.Values) {
		p := *transferLog
		p.TxIndex++
		v.Produced = LogFact(th.ReceiptHash, &p)
	})
	l = logLeaf()
	if toInt(l.Depth) > 0 {
		refuse("log: a leaf below the root consumes nothing", kindReceiptLog, l, &l.IO, func(v *facts.Values) { v.Consumed[0] = fr.Element{} })
	} else { // the devnet's block of one transaction: the leaf is the root
		refuse("log: the root leaf under another root", kindReceiptLog, l, &l.IO, func(v *facts.Values) {
			root := th.ReceiptHash
			root[31]++
			l.Root = halves(root)
			v.Produced = LogFact(root, transferLog)
		})
	}
	e := *ea
	refuse("event: the log of another transaction", kindReceiptClaim, &e, &e.IO, func(v *facts.Values) {
		p := *transferLog
		p.TxIndex++
		e.LogTx = p.TxIndex
		v.Consumed[1] = LogFact(th.ReceiptHash, &p)
	})
	e = *ea
	refuse("event: data over the bound", kindReceiptClaim, &e, &e.IO, func(v *facts.Values) {
		p := *transferLog
		p.DataFits = false
		e.LogFits = 0
		v.Consumed[1] = LogFact(th.ReceiptHash, &p)
	})
	e = *ea
	refuse("event: another claim", kindReceiptClaim, &e, &e.IO, func(v *facts.Values) { v.Produced = other })
	e = *ea
	refuse("event: a third fact", kindReceiptClaim, &e, &e.IO, func(v *facts.Values) { v.Consumed[2] = other })
	// The security review's finding, for events: the claim's committee bytes shifted by r
	// (the same field element) are refused, natively and in the circuit.
	e = *ea
	shiftedEv := ev
	shiftedEv.Committee = shifted(ev.Committee, 1)
	if _, _, err := AssignReceiptClaimLeaf(nil, &shiftedEv, thdr, transferLog); err == nil {
		t.Error("the native twin takes an event claim's committee + r")
	}
	refuse("event: committee + r", kindReceiptClaim, &e, &e.IO, func(v *facts.Values) {
		enc := shiftedEv.Encode()
		copy(e.Encoded[:], uints.NewU8Array(append(enc, make([]byte, protocol.EventClaimSize-len(enc))...)))
		v.Produced = ClaimFact(crypto.Keccak256Hash(enc))
	})
	ln := *la
	refuse("lane: the log under another root", kindReceiptClaim, &ln, &ln.IO, func(v *facts.Values) {
		v.Consumed[1] = LogFact(th.ReceiptHash, sendLog)
	})
	// A lane's log may be any transaction's in the block: a lane by receipt names none. Its
	// claim leaf then consumes that transaction's log fact, which only that log's leaf makes.
	ln = *la
	moved := *sendLog
	moved.TxIndex++
	ln.LogTx = moved.TxIndex
	io := ln.IO
	f := LogFact(sh.ReceiptHash, &moved)
	io.Consumed[1] = f.BigInt(new(big.Int))
	ln.IO = io
	if err := solve(kindReceiptClaim, &ln); err != nil {
		t.Errorf("a lane's log read at another transaction: %v", err)
	}
}

// TestReceiptLogFactsOnMainnet: logs of the shared mainnet block's receipts, under the
// block's receiptsRoot (a trie of 1- and 2-byte keys): the receipts-trie steps' path facts
// lead to the receipt log leaf's, which produces the log go-ethereum decodes; each solves.
func TestReceiptLogFactsOnMainnet(t *testing.T) {
	b := mainnetReceiptBlock(t)
	stepCCS := circuittest.Compile(t, "step leaf kind", field, &StepLeaf{})
	logCCS := circuittest.Compile(t, "receipt log leaf kind", field, NewReceiptLogLeaf(ReceiptNodeLen, ReceiptMaxData))
	tested, twoBytes := 0, false // the first two logs that fit, and the first of a 2-byte key
	for tx, r := range b.receipts {
		if len(r.Logs) == 0 || tested >= 2 && (tx < 128 || twoBytes) {
			continue
		}
		key, _, _ := ReceiptKey(uint64(tx))
		enc, _ := rlp.EncodeToBytes(uint(tx))
		_, steps, err := mpt.VerifyNative(b.root, enc, b.trie.Prove(enc))
		if err != nil {
			t.Fatal(err)
		}
		a, pub, v, err := AssignReceiptLogLeaf(b.root, tx, steps, 0, ReceiptNodeLen, ReceiptMaxData)
		if errors.Is(err, ErrReceiptTooLarge) {
			continue
		}
		if err != nil {
			t.Fatalf("transaction %d: %v", tx, err)
		}
		l := r.Logs[0]
		if pub.Emitter != l.Address || len(pub.Topics) != len(l.Topics) {
			t.Fatalf("transaction %d: the leaf reads %s with %d topics, go-ethereum %s with %d", tx, pub.Emitter, len(pub.Topics), l.Address, len(l.Topics))
		}
		var want fr.Element // what the last step produces: nothing when the leaf is the root
		for i := range steps[:len(steps)-1] {
			s, sv, err := AssignStepLeaf(b.root, key, steps, i, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if sv.Consumed[0] != want {
				t.Fatalf("transaction %d: step %d consumes a fact its predecessor does not produce", tx, i)
			}
			if err := circuittest.Solve(stepCCS, field, s); err != nil {
				t.Fatalf("transaction %d: step %d: %v", tx, i, err)
			}
			want = sv.Produced
		}
		if v.Consumed[0] != want {
			t.Fatalf("transaction %d: the log leaf consumes a fact the last step does not produce", tx)
		}
		if err := circuittest.Solve(logCCS, field, a); err != nil {
			t.Fatalf("transaction %d: %v", tx, err)
		}
		t.Logf("transaction %d: %d steps above the leaf", tx, len(steps)-1)
		tested++
		twoBytes = twoBytes || tx >= 128
	}
	if tested < 3 {
		t.Fatalf("%d logs tested, want 3", tested)
	}
}
