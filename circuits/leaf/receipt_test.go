package leaf

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
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
				Emitter: l.Address, Topics: l.Topics, DataHash: crypto.Keccak256Hash(l.Data)}
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
}

func equalReceiptPublic(a, b *ReceiptLeafPublic) bool {
	if a.Node != b.Node || a.Key != b.Key || a.Depth != b.Depth || a.TxIndex != b.TxIndex || a.LogIndex != b.LogIndex ||
		a.Emitter != b.Emitter || a.DataHash != b.DataHash || len(a.Topics) != len(b.Topics) {
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
		a.Shape = PackReceiptShape(p.pub.Depth, tx, li, len(p.pub.Topics)+1)
	})
	mutate("another data hash", func(a *ReceiptLeafCircuit) { a.DataHash = halves(crypto.Keccak256Hash([]byte{1})) })
	mutate("another log index", func(a *ReceiptLeafCircuit) {
		l := li + 1
		if !nextLog {
			l = li - 1
		}
		a.LogIndex, a.Shape = l, PackReceiptShape(p.pub.Depth, tx, l, len(p.pub.Topics))
	})
	// A transaction whose key differs only above Depth passes here: the steps above the leaf
	// check those nibbles (LinkReceipt and the aggregation equate their Key with the leaf's).
	mutate("the index of a longer key", func(a *ReceiptLeafCircuit) {
		k, _, _ := ReceiptKey(200)
		a.TxIndex, a.Key, a.Shape = 200, halves(k)[0], PackReceiptShape(p.pub.Depth, 200, li, len(p.pub.Topics))
	})
	mutate("a key that is not rlp of the index", func(a *ReceiptLeafCircuit) {
		k, _, _ := ReceiptKey(uint64(tx + 1))
		a.Key = halves(k)[0]
	})
	mutate("a shape that is not the fields'", func(a *ReceiptLeafCircuit) {
		a.Shape = PackReceiptShape(p.pub.Depth+1, tx, li, len(p.pub.Topics))
	})
	mutate("another depth", func(a *ReceiptLeafCircuit) {
		a.Depth, a.Shape = p.pub.Depth+1, PackReceiptShape(p.pub.Depth+1, tx, li, len(p.pub.Topics))
	})
	mutate("a node under another hash", func(a *ReceiptLeafCircuit) { a.Node = halves(common.Hash{2}) })
	for _, at := range []int{0, 40, len(p.node) / 2, len(p.node) - 1} {
		mutate(fmt.Sprintf("byte %d of the node changed", at), func(a *ReceiptLeafCircuit) {
			a.Bytes[at] = uints.NewU8(p.node[at] ^ 0x10)
		})
	}
	mutate("the node cut short", func(a *ReceiptLeafCircuit) { a.Length = len(p.node) - 1 })
}
