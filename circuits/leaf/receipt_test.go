package leaf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/receipt"
)

// receiptBlock is a block's receipts in a go-ethereum trie, keyed by rlp(index).
type receiptBlock struct {
	receipts types.Receipts
	root     common.Hash
	trie     *circuittest.Trie
}

func mainnetReceiptBlock(t testing.TB) *receiptBlock {
	t.Helper()
	rs, root, err := mainnet.Receipts()
	if err != nil {
		t.Fatal(err)
	}
	var keys, values [][]byte
	for i, r := range rs {
		k, _ := gethrlp.EncodeToBytes(uint(i))
		v, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		keys, values = append(keys, k), append(values, v)
	}
	b := &receiptBlock{receipts: rs, root: root, trie: circuittest.NewTrie(t, keys, values)}
	if b.trie.Root() != root {
		t.Fatalf("the receipts trie's root is %s, the header's receiptsRoot %s", b.trie.Root(), root)
	}
	return b
}

// receiptProof is the proof of one log: the state steps of the receipts trie's inner nodes
// and the receipt leaf, assigned and as their publics.
type receiptProof struct {
	steps    []*StateStepCircuit
	stepPubs []*StateStepPublic
	leaf     *ReceiptLeafCircuit
	pub      *ReceiptLeafPublic
	node     []byte // the leaf node
}

func (b *receiptBlock) prove(t testing.TB, tx, log, nodeLen, maxData int) (*receiptProof, error) {
	t.Helper()
	key, _, err := ReceiptKey(uint64(tx))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := gethrlp.EncodeToBytes(uint(tx))
	_, steps, err := mpt.VerifyNative(b.root, enc, b.trie.Prove(enc))
	if err != nil {
		t.Fatalf("receipt %d: %v", tx, err)
	}
	p := &receiptProof{node: steps[len(steps)-1].Node}
	for i := range steps[:len(steps)-1] {
		a, pub, err := AssignStateStep(key, steps, i, nil, false)
		if err != nil {
			t.Fatalf("receipt %d step %d: %v", tx, i, err)
		}
		p.steps, p.stepPubs = append(p.steps, a), append(p.stepPubs, pub)
	}
	p.leaf, p.pub, err = AssignReceiptLeaf(tx, steps, log, nodeLen, maxData)
	return p, err
}

// Every log of every receipt of the mainnet block: the twin reads what go-ethereum decodes,
// under the block's receiptsRoot, with 1- and 2-byte keys (transactions 0 to 201).
func TestReceiptLeafTwinMatchesGoEthereum(t *testing.T) {
	b := mainnetReceiptBlock(t)
	logs := 0
	for tx, r := range b.receipts {
		for li, l := range r.Logs {
			p, err := b.prove(t, tx, li, 1<<16, 1<<16)
			if err != nil {
				t.Fatalf("receipt %d log %d: %v", tx, li, err)
			}
			want := &ReceiptLeafPublic{Node: p.pub.Node, Key: p.pub.Key, Depth: p.pub.Depth, TxIndex: tx, LogIndex: li,
				Emitter: l.Address, Topics: l.Topics, DataFits: true, DataHash: crypto.Keccak256Hash(l.Data)}
			if len(want.Topics) == 0 {
				want.Topics = p.pub.Topics // nil and empty
			}
			if !equalReceiptPublic(p.pub, want) {
				t.Fatalf("receipt %d log %d: twin %+v, go-ethereum %+v", tx, li, p.pub, want)
			}
			if err := LinkReceipt(b.root, p.stepPubs, p.pub); err != nil {
				t.Fatalf("receipt %d log %d: %v", tx, li, err)
			}
			logs++
		}
	}
	if len(b.receipts) != 202 || logs != 463 {
		t.Fatalf("%d receipts and %d logs checked, the block has 202 and 463", len(b.receipts), logs)
	}

	// Refused natively: another root, a step of another transaction's path, a leaf at
	// another depth, an inner node taken for the leaf.
	p, err := b.prove(t, 39, 0, 4096, 4096)
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.prove(t, 150, 0, 4096, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := LinkReceipt(common.Hash{1}, p.stepPubs, p.pub); !errors.Is(err, mpt.ErrProof) {
		t.Errorf("another root: %v", err)
	}
	if err := LinkReceipt(b.root, other.stepPubs, p.pub); !errors.Is(err, mpt.ErrProof) {
		t.Errorf("another transaction's steps: %v", err)
	}
	deeper := *p.pub
	deeper.Depth++
	if err := LinkReceipt(b.root, p.stepPubs, &deeper); !errors.Is(err, mpt.ErrProof) {
		t.Errorf("a leaf at another depth: %v", err)
	}
	if err := LinkReceipt(b.root, p.stepPubs[:len(p.stepPubs)-1], p.pub); !errors.Is(err, mpt.ErrProof) {
		t.Errorf("a step left out: %v", err)
	}
	enc, _ := gethrlp.EncodeToBytes(uint(39))
	_, steps, _ := mpt.VerifyNative(b.root, enc, b.trie.Prove(enc))
	if _, _, err := AssignReceiptLeaf(39, steps[:1], 0, 4096, 4096); !errors.Is(err, mpt.ErrProof) {
		t.Errorf("a branch taken for the leaf: %v", err)
	}
	if _, _, err := AssignReceiptLeaf(39, steps, 1, 4096, 4096); err == nil {
		t.Error("a log past the receipt's last: accepted")
	}
	if _, _, err := AssignReceiptLeaf(39, steps, 0, ReceiptNodeLen, ReceiptMaxData); !errors.Is(err, ErrReceiptTooLarge) {
		t.Errorf("the 915-byte deposit receipt in the pipeline's circuit: %v", err)
	}
	// More logs than the gadget reads: over its bounds too (the relay proves such a lane by
	// storage), however large the node's bound.
	many := &types.Receipt{Type: types.DynamicFeeTxType, Status: types.ReceiptStatusSuccessful, CumulativeGasUsed: 1}
	for range receipt.MaxLogs + 1 {
		many.Logs = append(many.Logs, &types.Log{Address: common.Address{1}})
	}
	enc0, _ := gethrlp.EncodeToBytes(uint(0))
	value, _ := many.MarshalBinary()
	tr := circuittest.NewTrie(t, [][]byte{enc0}, [][]byte{value})
	_, manySteps, err := mpt.VerifyNative(tr.Root(), enc0, tr.Prove(enc0))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := AssignReceiptLeaf(0, manySteps, 0, 1<<16, 1<<16); !errors.Is(err, ErrReceiptTooLarge) {
		t.Errorf("a receipt of %d logs: %v", receipt.MaxLogs+1, err)
	}
}

func equalReceiptPublic(a, b *ReceiptLeafPublic) bool {
	if a.Node != b.Node || a.Key != b.Key || a.Depth != b.Depth || a.TxIndex != b.TxIndex || a.LogIndex != b.LogIndex ||
		a.Emitter != b.Emitter || a.DataFits != b.DataFits || a.DataHash != b.DataHash || len(a.Topics) != len(b.Topics) {
		return false
	}
	for i := range a.Topics {
		if a.Topics[i] != b.Topics[i] {
			return false
		}
	}
	return true
}

// receiptCases picks mainnet logs the pipeline's receipt leaf takes: transaction 0 (key
// 0x80), a one-byte key, a two-byte key (index 128 and up), and a log without data.
func receiptCases(t testing.TB, b *receiptBlock) map[string]*receiptProof {
	t.Helper()
	out := map[string]*receiptProof{}
	pick := func(name string, ok func(tx int, l *types.Log) bool) {
		for tx, r := range b.receipts {
			for li, l := range r.Logs {
				if !ok(tx, l) {
					continue
				}
				if p, err := b.prove(t, tx, li, ReceiptNodeLen, ReceiptMaxData); err == nil {
					out[name] = p
					return
				}
			}
		}
		t.Fatalf("no mainnet log fits the receipt leaf for %q", name)
	}
	pick("a one-byte key", func(tx int, _ *types.Log) bool { return tx > 0 && tx < 128 })
	pick("a two-byte key", func(tx int, _ *types.Log) bool { return tx >= 128 })
	pick("no data", func(_ int, l *types.Log) bool { return len(l.Data) == 0 })
	pick("data over the bound", func(_ int, l *types.Log) bool { return len(l.Data) > ReceiptMaxData })
	return out
}

// The pipeline's receipt leaf, and the state steps of the receipts trie above it, solve for
// mainnet logs.
func TestReceiptLeafSolvesMainnetLogs(t *testing.T) {
	b := mainnetReceiptBlock(t)
	ccs := circuittest.Compile(t, "receipt leaf", field, NewReceiptLeafCircuit(ReceiptNodeLen, ReceiptMaxData))
	stepCCS := circuittest.Compile(t, "state step", field, &StateStepCircuit{})
	for name, p := range receiptCases(t, b) {
		t.Run(name, func(t *testing.T) {
			if err := circuittest.Solve(ccs, field, p.leaf); err != nil {
				t.Fatalf("transaction %d log %d: %v", p.pub.TxIndex, p.pub.LogIndex, err)
			}
			if len(p.steps) == 0 {
				t.Fatal("a mainnet receipt with no trie node above its leaf")
			}
			for i, s := range p.steps {
				if err := circuittest.Solve(stepCCS, field, s); err != nil {
					t.Fatalf("transaction %d: receipts-trie step %d: %v", p.pub.TxIndex, i, err)
				}
			}
		})
	}
}

// A receipt leaf that must fail: each public input or the node changed.
func TestReceiptLeafRefuses(t *testing.T) {
	b := mainnetReceiptBlock(t)
	ccs := circuittest.Compile(t, "receipt leaf", field, NewReceiptLeafCircuit(ReceiptNodeLen, ReceiptMaxData))
	cases := receiptCases(t, b)
	p := cases["a one-byte key"]
	tx, li := p.pub.TxIndex, p.pub.LogIndex
	if err := circuittest.Solve(ccs, field, p.leaf); err != nil {
		t.Fatal(err)
	}
	// The same transaction's next log, or the first log of the next transaction: its
	// publics with this log's node, or this log's publics with that index.
	nextLog := len(b.receipts[tx].Logs) > li+1
	mutate := func(name string, f func(a *ReceiptLeafCircuit)) {
		t.Run(name, func(t *testing.T) {
			a := *p.leaf
			a.Bytes = append([]uints.U8(nil), p.leaf.Bytes...)
			f(&a)
			if circuittest.Solve(ccs, field, &a) == nil {
				t.Fatal("accepted")
			}
		})
	}
	mutate("another emitter", func(a *ReceiptLeafCircuit) {
		a.Emitter = new(big.Int).Add(new(big.Int).SetBytes(p.pub.Emitter[:]), big.NewInt(1))
	})
	mutate("another topic", func(a *ReceiptLeafCircuit) { a.Topics[0] = halves(common.Hash{1}) })
	mutate("one more topic", func(a *ReceiptLeafCircuit) {
		a.NumTopics = len(p.pub.Topics) + 1
		a.Shape = PackReceiptShape(p.pub.Depth, tx, li, len(p.pub.Topics)+1, p.pub.DataFits)
	})
	mutate("another data hash", func(a *ReceiptLeafCircuit) { a.DataHash = halves(crypto.Keccak256Hash([]byte{1})) })
	mutate("another log index", func(a *ReceiptLeafCircuit) {
		l := li + 1
		if !nextLog {
			l = li - 1
		}
		a.LogIndex, a.Shape = l, PackReceiptShape(p.pub.Depth, tx, l, len(p.pub.Topics), p.pub.DataFits)
	})
	// A transaction whose key differs only above Depth passes here: the steps above the leaf
	// check those nibbles (LinkReceipt and the aggregation equate their Key with the leaf's).
	mutate("the index of a longer key", func(a *ReceiptLeafCircuit) {
		k, _, _ := ReceiptKey(200)
		a.TxIndex, a.Key, a.Shape = 200, halves(k)[0], PackReceiptShape(p.pub.Depth, 200, li, len(p.pub.Topics), p.pub.DataFits)
	})
	mutate("a key that is not rlp of the index", func(a *ReceiptLeafCircuit) {
		k, _, _ := ReceiptKey(uint64(tx + 1))
		a.Key = halves(k)[0]
	})
	mutate("a shape that is not the fields'", func(a *ReceiptLeafCircuit) {
		a.Shape = PackReceiptShape(p.pub.Depth+1, tx, li, len(p.pub.Topics), p.pub.DataFits)
	})
	mutate("another depth", func(a *ReceiptLeafCircuit) {
		a.Depth, a.Shape = p.pub.Depth+1, PackReceiptShape(p.pub.Depth+1, tx, li, len(p.pub.Topics), p.pub.DataFits)
	})
	mutate("a node under another hash", func(a *ReceiptLeafCircuit) { a.Node = halves(common.Hash{2}) })
	for _, at := range []int{0, 40, len(p.node) / 2, len(p.node) - 1} {
		mutate(fmt.Sprintf("byte %d of the node changed", at), func(a *ReceiptLeafCircuit) {
			a.Bytes[at] = uints.NewU8(p.node[at] ^ 0x10)
		})
	}
	mutate("the node cut short", func(a *ReceiptLeafCircuit) { a.Length = len(p.node) - 1 })

	// Data over the bound: its hash is keccak256 of nothing, and it cannot be said to fit.
	over := cases["data over the bound"]
	if over.pub.DataFits || over.pub.DataHash != crypto.Keccak256Hash(nil) {
		t.Fatalf("data over the bound: fits %v, hash %s", over.pub.DataFits, over.pub.DataHash)
	}
	for name, f := range map[string]func(a *ReceiptLeafCircuit){
		"data over the bound said to fit": func(a *ReceiptLeafCircuit) {
			a.DataFits = 1
			a.Shape = PackReceiptShape(over.pub.Depth, over.pub.TxIndex, over.pub.LogIndex, len(over.pub.Topics), true)
		},
		"data over the bound with a hash": func(a *ReceiptLeafCircuit) {
			l := b.receipts[over.pub.TxIndex].Logs[over.pub.LogIndex]
			a.DataHash = halves(crypto.Keccak256Hash(l.Data))
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := *over.leaf
			f(&a)
			if circuittest.Solve(ccs, field, &a) == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// devnetLog is a log of the devnet's source chain in the pipeline's receipt leaf: its proof's
// steps and leaf, assigned, or the error AssignReceiptLeaf gave.
func devnetLog(t *testing.T, ctx context.Context, d *devnet.Devnet, header *types.Header, tx, log uint32) (*receiptProof, *chain.ReceiptProof, error) {
	t.Helper()
	rp, key, steps := devnetReceiptWalk(t, ctx, d, header, tx, log)
	p := &receiptProof{node: steps[len(steps)-1].Node}
	for i := range steps[:len(steps)-1] {
		a, pub, err := AssignStateStep(key, steps, i, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		p.steps, p.stepPubs = append(p.steps, a), append(p.stepPubs, pub)
	}
	var err error
	p.leaf, p.pub, err = AssignReceiptLeaf(int(tx), steps, int(log), ReceiptNodeLen, ReceiptMaxData)
	return p, rp, err
}

// devnetReceiptWalk proves log li of transaction tx of a devnet source block: the proof, the
// transaction's receipts-trie key and the walk of its nodes from the block's receiptsRoot.
func devnetReceiptWalk(t *testing.T, ctx context.Context, d *devnet.Devnet, h *types.Header, tx, li uint32) (*chain.ReceiptProof, common.Hash, []mpt.Step) {
	t.Helper()
	rp, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, h, tx, li)
	if err != nil {
		t.Fatal(err)
	}
	key, _, _ := ReceiptKey(uint64(tx))
	enc, _ := gethrlp.EncodeToBytes(uint64(tx))
	_, steps, err := mpt.VerifyNative(h.ReceiptHash, enc, byteNodes(rp.Nodes))
	if err != nil {
		t.Fatal(err)
	}
	return rp, key, steps
}

// The devnet's own logs through the pipeline's receipt leaf: a send's MessageSent proves the
// lane by receipt and a plain ERC-20 Transfer an event claim, each matched natively as the
// aggregation matches them; a send whose receipt is over the leaf's bound is refused (the
// relay proves that lane by storage).
func TestEventDevnetLogsInTheReceiptLeaf(t *testing.T) {
	d := devnet.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ccs := circuittest.Compile(t, "receipt leaf", field, NewReceiptLeafCircuit(ReceiptNodeLen, ReceiptMaxData))
	stepCCS := circuittest.Compile(t, "state step", field, &StateStepCircuit{})
	dst, committee := d.Config.DestinationDomain, d.Config.Committee
	headerPublic := func(h *types.Header) *HeaderPublic {
		return &HeaderPublic{SrcDomain: d.Config.SourceDomain, Committee: committee, BlockNumber: h.Number.Uint64(),
			BlockHash: h.Hash(), StateRoot: h.Root, ReceiptsRoot: h.ReceiptHash}
	}
	solves := func(name string, p *receiptProof) {
		t.Helper()
		if err := circuittest.Solve(ccs, field, p.leaf); err != nil {
			t.Fatalf("%s: the receipt leaf: %v", name, err)
		}
		for i, s := range p.steps {
			if err := circuittest.Solve(stepCCS, field, s); err != nil {
				t.Fatalf("%s: receipts-trie step %d: %v", name, i, err)
			}
		}
	}

	for i := range 2 {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, 100_000, bytes.Repeat([]byte{byte(i + 1)}, 64)); err != nil {
			t.Fatal(err)
		}
	}
	header, tx, li, err := d.Src.FindSend(ctx, dst, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, rp, err := devnetLog(t, ctx, d, header, tx, li)
	if err != nil {
		t.Fatalf("a send of 64 bytes: %v", err)
	}
	t.Logf("a send of 64 bytes: a %d-byte receipt leaf at depth %d", len(p.node), p.pub.Depth)
	solves("a send", p)
	lane, err := rp.LaneByReceipt(d.Outbox, committee)
	if err != nil {
		t.Fatal(err)
	}
	if err := MatchReceipt(LogOfLane(lane), headerPublic(header), p.pub); err != nil {
		t.Fatal(err)
	}
	if err := LinkReceipt(header.ReceiptHash, p.stepPubs, p.pub); err != nil {
		t.Fatal(err)
	}

	token, r, err := devnet.TokenTransfers(ctx, d, common.HexToAddress("0xc0"))
	if err != nil {
		t.Fatal(err)
	}
	th, err := d.SourceClient.Eth.HeaderByHash(ctx, r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	tp, trp, err := devnetLog(t, ctx, d, th, uint32(r.TransactionIndex), 0)
	if err != nil {
		t.Fatalf("a Transfer: %v", err)
	}
	solves("a Transfer", tp)
	ev, err := trp.Event(committee)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Emitter != token {
		t.Fatalf("the event's emitter is %s, the token %s", ev.Emitter, token)
	}
	if err := MatchReceipt(LogOfEvent(ev), headerPublic(th), tp.pub); err != nil {
		t.Fatal(err)
	}
	// A claim of a log that was not emitted is refused: the send's log as the Transfer, the
	// Transfer with other data, of another transaction, or in another block.
	other := ev
	other.DataHash = crypto.Keccak256Hash(common.LeftPadBytes([]byte{41}, 32))
	wrongTx := ev
	wrongTx.TxIndex++
	for name, err := range map[string]error{
		"the send's log as the event":  MatchReceipt(LogOfEvent(ev), headerPublic(th), p.pub),
		"the transfer as the lane":     MatchReceipt(LogOfLane(lane), headerPublic(header), tp.pub),
		"other data":                   MatchReceipt(LogOfEvent(other), headerPublic(th), tp.pub),
		"another transaction":          MatchReceipt(LogOfEvent(wrongTx), headerPublic(th), tp.pub),
		"another block's header":       MatchReceipt(LogOfEvent(ev), headerPublic(header), tp.pub),
		"the leaf under another block": LinkReceipt(header.ReceiptHash, tp.stepPubs, tp.pub),
	} {
		if !errors.Is(err, mpt.ErrProof) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A send over the bound: its lane is proven by storage.
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, 100_000, make([]byte, 400)); err != nil {
		t.Fatal(err)
	}
	big, btx, bli, err := d.Src.FindSend(ctx, dst, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := devnetLog(t, ctx, d, big, btx, bli); !errors.Is(err, ErrReceiptTooLarge) {
		t.Fatalf("a send of 400 bytes in the receipt leaf: %v", err)
	}
}
