package leaf

import (
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// kindLeaf is one leaf of a batch of the universal aggregation: its circuit's assignment,
// its facts and its kind (its key's place in an allow-list with the fold first).
type kindLeaf struct {
	name   string
	a      frontend.Circuit
	values facts.Values
	kind   int
}

// Kinds of the test's allow-list, the export kind (the fold) first.
const (
	kindFold = iota
	kindHeader
	kindStep
	kindLane
	kindRotation
)

// devnetLaneBatch is a batch of leaves for a real devnet lane: three messages sent, the
// source block finalized and signed by a test committee, the header, the Outbox account's
// and the lane's two storage proofs step by step, the lane claim, a rotation of the
// committee, and one fold of both claims into the statement.
type devnetLaneBatch struct {
	leaves []kindLeaf
	claims []common.Hash
	lane   protocol.LaneClaim
	header *HeaderPublic
}

func newDevnetLaneBatch(t *testing.T) *devnetLaneBatch {
	t.Helper()
	d, h, lp := devnetLane(t)
	src := d.Config.SourceDomain
	enc, err := rlp.EncodeToBytes(h)
	if err != nil {
		t.Fatal(err)
	}
	c, keys := testCommittee(t, 4)
	sign := func(digest fr.Element, n int) map[int]*eddsanative.Signature {
		sigs := map[int]*eddsanative.Signature{}
		for i := range n {
			if sigs[i], err = committee.Sign(keys[i], digest); err != nil {
				t.Fatal(err)
			}
		}
		return sigs
	}
	b := &devnetLaneBatch{}
	ha, hdr, hv, err := AssignHeaderLeaf(src, enc, c, sign(committee.DigestNative(src, h.Number.Uint64(), h.Hash()), 3), 4)
	if err != nil {
		t.Fatal(err)
	}
	b.header = hdr
	b.leaves = append(b.leaves, kindLeaf{"header", ha, hv, kindHeader})

	steps := func(name string, root, key common.Hash, nodes [][]byte, account bool, want common.Hash) {
		value, ss, err := mpt.VerifyNative(root, key[:], nodes)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range ss {
			a, v, err := AssignStepLeaf(root, key, ss, i, value, account)
			if err != nil {
				t.Fatalf("%s step %d: %v", name, i, err)
			}
			b.leaves = append(b.leaves, kindLeaf{name, a, v, kindStep})
		}
		// The last step's value fact is go-ethereum's value under the root.
		if got, w := b.leaves[len(b.leaves)-1].values.Produced, ValueFact(root, key, account, want); got != w {
			t.Fatalf("%s: the last step produces %s, want the value fact of %s", name, got.Text(16), want)
		}
	}
	steps("account", h.Root, crypto.Keccak256Hash(lp.Outbox[:]), byteNodes(lp.AccountProof), true, lp.StorageRoot)
	steps("word", lp.StorageRoot, crypto.Keccak256Hash(lp.Word.Slot[:]), byteNodes(lp.Word.Proof), false, lp.Word.Value)
	steps("acc", lp.StorageRoot, crypto.Keccak256Hash(lp.Acc.Slot[:]), byteNodes(lp.Acc.Proof), false, lp.Acc.Value)

	claim := protocol.LaneClaim{Kind: protocol.KindLaneHead, SrcDomain: src, DstDomain: d.Config.DestinationDomain, Outbox: lp.Outbox,
		Committee: hdr.Committee, BlockNumber: hdr.BlockNumber, BlockHash: hdr.BlockHash, Count: 3, Acc: lp.Acc.Value}
	la, lv, err := AssignLaneLeaf(claim, hdr, lp.StorageRoot, lp.Word.Value)
	if err != nil {
		t.Fatal(err)
	}
	b.leaves = append(b.leaves, kindLeaf{"lane", la, lv, kindLane})
	b.lane = claim

	next, _ := testCommittee(t, 2)
	r := protocol.RotationClaim{SrcDomain: src, Committee: hdr.Committee, NextEpoch: 1, NextCommittee: next.CommitmentHash()}
	ra, rv, err := AssignRotationLeaf(r, c, sign(committee.RotationDigestNative(src, r.NextEpoch, r.NextCommittee), 3), 4)
	if err != nil {
		t.Fatal(err)
	}
	b.leaves = append(b.leaves, kindLeaf{"rotation", ra, rv, kindRotation})

	b.claims = []common.Hash{claim.Hash(), r.Hash()}
	fa, fv, _, err := AssignFoldLeaf(protocol.ChainGenesis, b.claims, true)
	if err != nil {
		t.Fatal(err)
	}
	b.leaves = append(b.leaves, kindLeaf{"fold", fa, fv, kindFold})
	return b
}

func (b *devnetLaneBatch) link() (*universal.Plan, error) {
	var values []facts.Values
	var kinds []int
	for _, l := range b.leaves {
		values = append(values, l.values)
		kinds = append(kinds, l.kind)
	}
	return universal.Link(values, kinds)
}

// TestUniversalDevnetLaneLinks: the facts of a real devnet lane's leaves (header, 10 state
// steps, the lane, a rotation, the fold), computed by the native twins, link in the
// universal aggregation's rule, and the batch exports protocol.ChainStatement of its claims;
// without any one producer, the batch does not link.
func TestUniversalDevnetLaneLinks(t *testing.T) {
	b := newDevnetLaneBatch(t)
	plan, err := b.link()
	if err != nil {
		t.Fatal(err)
	}
	want := facts.StatementOf(protocol.ChainStatement(b.claims))
	if got := b.leaves[plan.Order[plan.Exporter]].values.Produced.BigInt(new(big.Int)); got.Cmp(want) != 0 {
		t.Fatalf("exports %x, want %x", got, want)
	}
	t.Logf("%d leaves", len(b.leaves))
	all := b.leaves
	for i := range all {
		if all[i].kind == kindFold {
			continue
		}
		b.leaves = append(append([]kindLeaf{}, all[:i]...), all[i+1:]...)
		if _, err := b.link(); !errors.Is(err, universal.ErrUnlinked) {
			t.Errorf("without the %s leaf %d: %v, want ErrUnlinked", all[i].name, i, err)
		}
	}
}

// TestLeafKindsSolve: every leaf kind's circuit accepts the devnet batch's assignments, and
// refuses each one with its facts changed where its rules bind them.
func TestLeafKindsSolve(t *testing.T) {
	b := newDevnetLaneBatch(t)
	type kindCCS struct {
		name        string
		placeholder frontend.Circuit
	}
	placeholders := map[int]kindCCS{
		kindHeader: {"header leaf kind, capacity 4", NewHeaderLeaf(4)}, kindStep: {"step leaf kind", &StepLeaf{}},
		kindLane: {"lane leaf kind", &LaneLeaf{}}, kindRotation: {"rotation leaf kind, capacity 4", NewRotationLeaf(4)},
		kindFold: {"fold leaf kind", &FoldLeaf{}},
	}
	solve := func(kind int, a frontend.Circuit) error {
		p := placeholders[kind]
		return circuittest.Solve(circuittest.Compile(t, p.name, field, p.placeholder), field, a)
	}
	for _, l := range b.leaves {
		if err := solve(l.kind, l.a); err != nil {
			t.Fatalf("%s (kind %d): %v", l.name, l.kind, err)
		}
	}

	// Refusals: each case changes one leaf's facts (or a value they bind), keeping the rest.
	other := ClaimFact(common.Hash{1})
	bump := func(v frontend.Variable) frontend.Variable { return new(big.Int).Add(v.(*big.Int), big.NewInt(1)) }
	first := func(kind int) kindLeaf {
		for _, l := range b.leaves {
			if l.kind == kind {
				return l
			}
		}
		t.Fatalf("no leaf of kind %d", kind)
		return kindLeaf{}
	}
	var steps []kindLeaf
	for _, l := range b.leaves {
		if l.kind == kindStep {
			steps = append(steps, l)
		}
	}
	lastStep := steps[len(steps)-1] // the acc proof's leaf step
	type refusal struct {
		name string
		kind int
		a    frontend.Circuit
	}
	var cases []refusal
	with := func(name string, l kindLeaf, change func(v *facts.Values, a frontend.Circuit)) {
		a := copyCircuit(t, l.a)
		v := l.values
		change(&v, a)
		v.Assign(ioOf(a))
		cases = append(cases, refusal{name, l.kind, a})
	}
	with("header: consumes a fact", first(kindHeader), func(v *facts.Values, _ frontend.Circuit) { v.Consumed[0] = other })
	with("header: produces another block's fact", first(kindHeader), func(v *facts.Values, _ frontend.Circuit) {
		h := *b.header
		h.BlockNumber++
		v.Produced = HeaderFact(&h)
	})
	with("step: the root step under another root", steps[0], func(v *facts.Values, a frontend.Circuit) {
		s := a.(*StepLeaf)
		s.Root[0] = bump(s.Root[0])
		v.Produced = PathFact(hashOf(s.Root), hashOf(s.Key), true, toInt(s.NextDepth), hashOf(s.Out), toInt(s.OutEmbedded) == 1)
	})
	with("step: a later step consumes nothing", steps[1], func(v *facts.Values, _ frontend.Circuit) { v.Consumed[0] = fr.Element{} })
	with("step: a second consumed fact", steps[1], func(v *facts.Values, _ frontend.Circuit) { v.Consumed[1] = other })
	with("step: a leaf produces a path", lastStep, func(v *facts.Values, a frontend.Circuit) {
		s := a.(*StepLeaf)
		v.Produced = PathFact(hashOf(s.Root), hashOf(s.Key), false, mpt.KeyNibbles, hashOf(s.Out), false)
	})
	with("lane: another claim", first(kindLane), func(v *facts.Values, _ frontend.Circuit) { v.Produced = other })
	with("lane: the account read from a storage trie", first(kindLane), func(v *facts.Values, a frontend.Circuit) {
		l := a.(*LaneLeaf)
		v.Consumed[1] = ValueFact(b.header.StateRoot, hashOf(l.AccountKey), false, hashOf(l.StorageRoot))
	})
	with("lane: the word of another count", first(kindLane), func(v *facts.Values, a frontend.Circuit) {
		l := a.(*LaneLeaf)
		l.Word[1] = bump(l.Word[1])
		v.Consumed[2] = ValueFact(hashOf(l.StorageRoot), hashOf(l.WordKey), false, hashOf(l.Word))
	})
	// The security review's finding, for lanes: the claim's committee bytes shifted by r (the
	// same field element, so the header fact still matches) are refused.
	shiftedLane := b.lane
	shiftedLane.Committee = shifted(b.lane.Committee, 1)
	if err := (&protocol.Statement{Lanes: []protocol.LaneClaim{shiftedLane}}).Validate(); err == nil {
		t.Error("the native statement takes a lane claim's committee + r")
	}
	with("lane: committee + r", first(kindLane), func(v *facts.Values, a frontend.Circuit) {
		copy(a.(*LaneLeaf).Encoded[:], uints.NewU8Array(shiftedLane.Encode()))
		v.Produced = ClaimFact(shiftedLane.Hash())
	})
	with("rotation: another claim", first(kindRotation), func(v *facts.Values, _ frontend.Circuit) { v.Produced = other })
	with("fold: the genesis consumed as a fact", first(kindFold), func(v *facts.Values, _ frontend.Circuit) {
		v.Consumed[0] = ChainFact(protocol.ChainGenesis)
	})
	with("fold: an unused claim consumed", first(kindFold), func(v *facts.Values, _ frontend.Circuit) { v.Consumed[3] = other })
	with("fold: a claim consumed but not hashed", first(kindFold), func(v *facts.Values, a frontend.Circuit) {
		a.(*FoldLeaf).N = 1
		v.Produced.SetBigInt(facts.StatementOf(protocol.ChainStep(protocol.ChainGenesis, b.claims[:1])))
	})
	with("fold: a claim hashed but not consumed", first(kindFold), func(v *facts.Values, _ frontend.Circuit) {
		v.Consumed[2] = fr.Element{}
	})
	with("fold: the statement as a chain fact", first(kindFold), func(v *facts.Values, _ frontend.Circuit) {
		v.Produced = ChainFact(protocol.ChainStatement(b.claims))
	})
	for _, n := range []int{0, protocol.ClaimsPerFold + 1} {
		with("fold: N out of range", first(kindFold), func(_ *facts.Values, a frontend.Circuit) { a.(*FoldLeaf).N = n })
	}
	for _, c := range cases {
		err := solve(c.kind, c.a)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		t.Logf("%s: %v", c.name, err)
	}
	// The control of the two cases before: a fold of one claim, its second claim neither
	// consumed nor hashed, is valid.
	a := copyCircuit(t, first(kindFold).a)
	f, v, _, err := AssignFoldLeaf(protocol.ChainGenesis, b.claims[:1], true)
	if err != nil {
		t.Fatal(err)
	}
	*a.(*FoldLeaf) = *f
	v.Assign(ioOf(a))
	if err := solve(kindFold, a); err != nil {
		t.Fatalf("a fold of one claim: %v", err)
	}
}

func ioOf(a frontend.Circuit) *facts.IO {
	switch c := a.(type) {
	case *HeaderLeaf:
		return &c.IO
	case *StepLeaf:
		return &c.IO
	case *LaneLeaf:
		return &c.IO
	case *RotationLeaf:
		return &c.IO
	case *FoldLeaf:
		return &c.IO
	}
	panic("not a leaf kind")
}

func copyCircuit(t *testing.T, a frontend.Circuit) frontend.Circuit {
	switch c := a.(type) {
	case *HeaderLeaf:
		d := *c
		return &d
	case *StepLeaf:
		d := *c
		return &d
	case *LaneLeaf:
		d := *c
		return &d
	case *RotationLeaf:
		d := *c
		return &d
	case *FoldLeaf:
		d := *c
		return &d
	}
	t.Fatal("not a leaf kind")
	return nil
}

func bigBytes16(v frontend.Variable) []byte {
	b := make([]byte, 16)
	return toBig(v).FillBytes(b)
}

func hashOf(h [2]frontend.Variable) common.Hash {
	return common.BytesToHash(append(bigBytes16(h[0]), bigBytes16(h[1])...))
}

func toInt(v frontend.Variable) int { return int(toBig(v).Int64()) }
