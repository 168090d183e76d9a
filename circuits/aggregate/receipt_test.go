package aggregate

import (
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// receiptShape has two receipt slots of up to one receipts-trie step, no lane claim.
var receiptShape = Shape{Claims: 0, AccountSteps: 1, StorageSteps: 1, Receipts: 2, ReceiptSteps: 1}

// receiptBatch is a batch of stand-in leaves for receiptShape: slot 0 a lane by receipt whose
// leaf sits one step below the receiptsRoot, slot 1 an event whose leaf is the root. Each
// leaf's public inputs are fields of the spec, so that a test changes one and proves again.
type receiptBatch struct {
	stmt, hdr, step, rcpt *circuittest.StandIn
	ccs                   func(t *testing.T) error
}

// receiptSpec holds the public inputs of one receipt slot's leaves.
type receiptSpec struct {
	claim  []int64 // the statement's inputs of the slot, Log and all
	header []int64
	step   []int64 // nil: no step used
	leaf   []int64
}

var (
	receiptOnce  sync.Once
	receiptIns   *receiptBatch
	receiptStmts = [2]int64{3, 9}
)

func receiptKeyHigh(tx uint64) int64 {
	k, _, _ := leaf.ReceiptKey(tx)
	return new(big.Int).SetBytes(k[:8]).Int64() // rlp(tx) is at most 3 bytes: the top 8 bytes hold it
}

func baseSpecs() [2]receiptSpec {
	const src, committee, number, hashHi, hashLo, rootHi, rootLo = 7, 5, 100, 11, 12, 61, 62
	header := []int64{src, committee, number, hashHi, hashLo, 21, 22, rootHi, rootLo}
	key13 := receiptKeyHigh(13)
	laneLog := leaf.PackReceiptLog(protocol.KindLaneReceipt, 4, 0, 0).Int64()
	lane := receiptSpec{
		claim:  []int64{src, committee, number, hashHi, hashLo, 0xe0, 81, 82, 83, 84, 85, 86, 87, 88, laneLog, 0, 0},
		header: append([]int64(nil), header...),
		step:   []int64{rootHi, rootLo, key13, 0, 91, 92, int64(leaf.PackShape(0, 2, false, false, false, false))},
		leaf:   []int64{91, 92, key13, int64(leaf.PackReceiptShape(2, 13, 1, 4, true)), 0xe0, 81, 82, 83, 84, 85, 86, 87, 88, 95, 96},
	}
	eventLog := leaf.PackReceiptLog(protocol.KindEvent, 2, 3, 0).Int64()
	event := receiptSpec{
		claim:  []int64{src, committee, number, hashHi, hashLo, 0xe1, 101, 102, 103, 104, 0, 0, 0, 0, eventLog, 105, 106},
		header: append([]int64(nil), header...),
		leaf:   []int64{rootHi, rootLo, receiptKeyHigh(3), int64(leaf.PackReceiptShape(0, 3, 0, 2, true)), 0xe1, 101, 102, 103, 104, 0, 0, 0, 0, 105, 106},
	}
	return [2]receiptSpec{lane, event}
}

func newReceiptBatch(t *testing.T) *receiptBatch {
	receiptOnce.Do(func() {
		f := ecc.BLS12_377.ScalarField()
		receiptIns = &receiptBatch{
			stmt: circuittest.NewStandIn(t, f, StatementInputs(0, 2, 0), true),
			hdr:  circuittest.NewStandIn(t, f, HeaderInputs, true),
			step: circuittest.NewStandIn(t, f, StepInputs, true),
			rcpt: circuittest.NewStandIn(t, f, ReceiptLeafInputs, true),
		}
	})
	return receiptIns
}

func (b *receiptBatch) keys() Keys {
	return Keys{Statement: b.stmt.VK, Header: b.hdr.VK, Step: b.step.VK, Receipt: b.rcpt.VK}
}

// solve proves the stand-in leaves of specs and solves the aggregation over them.
func (b *receiptBatch) solve(t *testing.T, specs [2]receiptSpec) error {
	t.Helper()
	opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField())
	prove := func(s *circuittest.StandIn, in []int64) Leaf {
		ints := make([]*big.Int, len(in))
		for i, v := range in {
			ints[i] = big.NewInt(v)
		}
		p, w := s.Prove(t, ints, opt)
		return Leaf{Proof: p, Public: w}
	}
	stmtIn := append([]int64{receiptStmts[0], receiptStmts[1]}, specs[0].claim...)
	stmtIn = append(stmtIn, specs[1].claim...)
	pad := prove(b.step, baseSpecs()[0].step)
	var receipts []ReceiptLeaves
	for _, s := range specs {
		r := ReceiptLeaves{Header: prove(b.hdr, s.header), Leaf: prove(b.rcpt, s.leaf), Steps: []Leaf{pad}}
		if s.step != nil {
			r.Steps, r.Used = []Leaf{prove(b.step, s.step)}, 1
		}
		receipts = append(receipts, r)
	}
	placeholder, err := New(receiptShape, b.keys())
	if err != nil {
		t.Fatal(err)
	}
	field := ecc.BW6_761.ScalarField()
	ccs := circuittest.Compile(t, "aggregate-"+receiptShape.String()+"-standins", field, placeholder)
	public := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(receiptStmts[0]), 128), big.NewInt(receiptStmts[1]))
	a, err := Assign(receiptShape, b.keys(), public, prove(b.stmt, stmtIn), nil, nil, receipts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return circuittest.Solve(ccs, field, a)
}

// A receipt slot links its statement inputs, its header leaf, its receipts-trie steps and its
// receipt leaf as leaf.MatchReceipt and leaf.LinkReceipt do; an unused slot takes any proofs.
func TestAggregationLinksReceipts(t *testing.T) {
	b := newReceiptBatch(t)
	if err := b.solve(t, baseSpecs()); err != nil {
		t.Fatalf("the valid batch is refused: %v", err)
	}
	// A lane's log may be any transaction's, at any index: only an event names them.
	anyLog := baseSpecs()
	anyLog[0].leaf[3] = int64(leaf.PackReceiptShape(2, 40, 7, 4, false)) // and data over the bound
	if err := b.solve(t, anyLog); err != nil {
		t.Fatalf("a lane by receipt in another transaction's log is refused: %v", err)
	}
	// An unused slot (kind 0, inputs zero) takes proofs that link to nothing.
	unused := baseSpecs()
	unused[1].claim = make([]int64, receiptClaimInputs)
	unused[1].leaf[4], unused[1].header[2] = 0x99, 999
	if err := b.solve(t, unused); err != nil {
		t.Fatalf("an unused slot with unrelated proofs is refused: %v", err)
	}

	for name, mutate := range map[string]func(s *[2]receiptSpec){
		"the lane's log of another emitter":    func(s *[2]receiptSpec) { s[0].leaf[4] = 0xe2 },
		"the lane's log with another topic":    func(s *[2]receiptSpec) { s[0].leaf[8] = 999 },
		"the lane's log with fewer topics":     func(s *[2]receiptSpec) { s[0].leaf[3] = int64(leaf.PackReceiptShape(2, 13, 1, 3, true)) },
		"the event in another transaction":     func(s *[2]receiptSpec) { s[1].leaf[3] = int64(leaf.PackReceiptShape(0, 4, 0, 2, true)) },
		"the event at another log index":       func(s *[2]receiptSpec) { s[1].leaf[3] = int64(leaf.PackReceiptShape(0, 3, 1, 2, true)) },
		"the event with other data":            func(s *[2]receiptSpec) { s[1].leaf[14] = 107 },
		"a header of another block":            func(s *[2]receiptSpec) { s[0].header[4] = 13 },
		"a header of another domain":           func(s *[2]receiptSpec) { s[1].header[0] = 8 },
		"a header of another committee":        func(s *[2]receiptSpec) { s[1].header[1] = 6 },
		"a leaf that is not the step's node":   func(s *[2]receiptSpec) { s[0].leaf[1] = 93 },
		"a leaf at another depth":              func(s *[2]receiptSpec) { s[0].leaf[3] = int64(leaf.PackReceiptShape(1, 13, 1, 4, true)) },
		"a step not under the receiptsRoot":    func(s *[2]receiptSpec) { s[0].step[0] = 60 },
		"a step of another key":                func(s *[2]receiptSpec) { s[0].step[2] = receiptKeyHigh(14) },
		"a step of a key with a low half":      func(s *[2]receiptSpec) { s[0].step[3] = 1 },
		"a step in the state trie":             func(s *[2]receiptSpec) { s[0].step[6] = int64(leaf.PackShape(0, 2, false, true, false, false)) },
		"a step that is a leaf":                func(s *[2]receiptSpec) { s[0].step[6] = int64(leaf.PackShape(0, 2, true, false, false, false)) },
		"a step to an embedded node":           func(s *[2]receiptSpec) { s[0].step[6] = int64(leaf.PackShape(0, 2, false, false, false, true)) },
		"a step not at depth 0":                func(s *[2]receiptSpec) { s[0].step[6] = int64(leaf.PackShape(1, 2, false, false, false, false)) },
		"the event's leaf not the root":        func(s *[2]receiptSpec) { s[1].leaf[0] = 60 },
		"an event leaf below the root's depth": func(s *[2]receiptSpec) { s[1].leaf[3] = int64(leaf.PackReceiptShape(1, 3, 0, 2, true)) },
		"the event claim of another emitter":   func(s *[2]receiptSpec) { s[1].claim[5] = 0xe2 },
		"the event claim with one topic more":  func(s *[2]receiptSpec) { s[1].claim[14] = leaf.PackReceiptLog(protocol.KindEvent, 3, 3, 0).Int64() },
	} {
		t.Run(name, func(t *testing.T) {
			specs := baseSpecs()
			mutate(&specs)
			if b.solve(t, specs) == nil {
				t.Fatal("accepted")
			}
		})
	}
}
