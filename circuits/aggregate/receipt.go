package aggregate

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/emulated"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// ReceiptSlot holds the proofs of one claim proven by receipt: the header leaf of its block,
// the state steps of the receipts trie's nodes above the leaf (the first Steps.Used of them;
// none when the leaf is the trie's root) and the receipt leaf.
type ReceiptSlot struct {
	Header Slot
	Steps  Chain
	Leaf   Slot
}

// Public input layouts of a receipt slot in the statement leaf (leaf.ReceiptClaimPublic) and
// of the receipt leaf (leaf.ReceiptLeafCircuit).
const (
	receiptClaimInputs = 17 // SrcDomain, Committee, BlockNumber, BlockHash[2], Emitter, Topics[4][2], Log, DataHash[2]
	ReceiptLeafInputs  = 15 // Node[2], Key, Shape, Emitter, Topics[4][2], DataHash[2]
)

// receipt links receipt slot s to its inputs in the statement leaf, as leaf.MatchReceipt and
// leaf.LinkReceipt do natively: the header leaf proves the claim's block, the used steps walk
// the receipts trie from its receiptsRoot to the receipt leaf (a receipts trie references
// every node by hash: no step is embedded), and the receipt leaf reads the claim's log: its
// emitter and topics, and for an event its transaction, log index and data hash (of data
// within the leaf's bound). Every proof
// is verified; the links bind only a used slot (a kind in the statement).
func (l *linker) receipt(v *stdgroth16.Verifier[fr, g1, g2, gt], s *ReceiptSlot, in []emulated.Element[fr], headerVK, stepVK, receiptVK stdgroth16.VerifyingKey[g1, g2, gt]) error {
	api := l.api
	if err := v.AssertProof(headerVK, s.Header.Proof, s.Header.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	for j := range s.Steps.Steps {
		if err := v.AssertProof(stepVK, s.Steps.Steps[j].Proof, s.Steps.Steps[j].Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return fmt.Errorf("step %d: %w", j, err)
		}
	}
	if err := v.AssertProof(receiptVK, s.Leaf.Proof, s.Leaf.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
		return fmt.Errorf("receipt leaf: %w", err)
	}

	// The claim's block and log, from the statement leaf.
	logBits := api.ToBinary(l.small(&in[14], leaf.ReceiptLogBits), leaf.ReceiptLogBits)
	kind, numTopics := api.FromBinary(logBits[0:8]...), api.FromBinary(logBits[8:16]...)
	tx, logIndex := api.FromBinary(logBits[16:48]...), api.FromBinary(logBits[48:80]...)
	used := api.Sub(1, api.IsZero(kind))
	isEvent := api.IsZero(api.Sub(kind, uint8(protocol.KindEvent)))
	when := func(cond, a, b frontend.Variable) { api.AssertIsEqual(api.Mul(cond, api.Sub(a, b)), 0) }
	whenLimbs := func(cond frontend.Variable, a, b [][]frontend.Variable) {
		for h := range a {
			for k := range a[h] {
				when(cond, a[h][k], b[h][k])
			}
		}
	}

	// The header leaf proves the claim's block.
	hp := s.Header.Witness.Public
	when(used, l.small(&hp[0], 32), l.small(&in[0], 32))
	for k := range hp[1].Limbs { // the committee: equal limbs (see the lane claims)
		when(used, hp[1].Limbs[k], in[1].Limbs[k])
	}
	when(used, l.small(&hp[2], 64), l.small(&in[2], 64))
	whenLimbs(used, l.canon(hp[3:5], 128), l.canon(in[3:5], 128))
	receiptsRoot := l.canon(hp[7:9], 128)

	// The receipt leaf reads the claim's log.
	rp := s.Leaf.Witness.Public
	leafKey := l.small(&rp[2], 128)
	shape := api.ToBinary(l.small(&rp[3], leaf.ReceiptShapeBits), leaf.ReceiptShapeBits)
	leafDepth, leafTx, leafLog, leafTopics, dataFits := api.FromBinary(shape[0:8]...), api.FromBinary(shape[8:24]...),
		api.FromBinary(shape[24:32]...), api.FromBinary(shape[32:35]...), shape[35]
	when(used, l.small(&rp[4], 160), l.small(&in[5], 160))
	whenLimbs(used, l.canon(rp[5:13], 128), l.canon(in[6:14], 128))
	when(used, leafTopics, numTopics)
	when(isEvent, leafTx, tx)
	when(isEvent, leafLog, logIndex)
	when(isEvent, dataFits, 1)
	whenLimbs(isEvent, l.canon(rp[13:15], 128), l.canon(in[15:17], 128))

	// The walk: from the receiptsRoot at depth 0, each used step continues its predecessor,
	// for the leaf's key, in no account trie, none a leaf; the leaf is the last one's Out (the
	// root itself when no step is used) at its NextDepth.
	c := &s.Steps
	at, depth := receiptsRoot, frontend.Variable(0)
	for j := range c.Steps {
		st := l.step(&c.Steps[j])
		api.AssertIsBoolean(c.Used[j])
		if j > 0 {
			api.AssertIsEqual(api.Mul(c.Used[j], api.Sub(1, c.Used[j-1])), 0) // used steps come first
		}
		active := api.Mul(used, c.Used[j])
		whenLimbs(active, st.node, at)
		when(active, st.depth, depth)
		when(active, st.embedded, 0)
		when(active, st.outEmbed, 0)
		when(active, st.account, 0)
		when(active, st.isLeaf, 0)
		p := c.Steps[j].Witness.Public
		when(active, l.small(&p[2], 128), leafKey)
		when(active, l.small(&p[3], 128), 0)
		next := make([][]frontend.Variable, len(at))
		for h := range at {
			next[h] = make([]frontend.Variable, len(at[h]))
			for k := range at[h] {
				next[h][k] = api.Select(c.Used[j], st.out[h][k], at[h][k])
			}
		}
		at, depth = next, api.Select(c.Used[j], st.nextDepth, depth)
	}
	whenLimbs(used, limbsOf(rp[0:2]), at)
	when(used, leafDepth, depth)
	return nil
}

// ReceiptLeaves are the leaf proofs of one receipt slot: its header, its receipts-trie steps
// (the first Used of Steps form the walk; the others pad the slot, so Steps holds at least one
// valid state step proof when the shape has step slots), and its receipt leaf.
type ReceiptLeaves struct {
	Header Leaf
	Steps  []Leaf
	Used   int
	Leaf   Leaf
}

func (r *ReceiptLeaves) assign(s *ReceiptSlot, max int) error {
	var err error
	if s.Header, err = slot(r.Header); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if s.Leaf, err = slot(r.Leaf); err != nil {
		return fmt.Errorf("receipt leaf: %w", err)
	}
	if r.Used < 0 || r.Used > max || r.Used > len(r.Steps) || max > 0 && len(r.Steps) == 0 {
		return fmt.Errorf("%d of %d steps used, the circuit takes up to %d (and a step proof to pad with)", r.Used, len(r.Steps), max)
	}
	for j := 0; j < max; j++ {
		src := r.Steps[min(j, len(r.Steps)-1)]
		if s.Steps.Steps[j], err = slot(src); err != nil {
			return fmt.Errorf("step %d: %w", j, err)
		}
		s.Steps.Used[j] = 0
		if j < r.Used {
			s.Steps.Used[j] = 1
		}
	}
	return nil
}
