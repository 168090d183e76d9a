package universal_test

import (
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	blsfr "github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/algebra/native/sw_bls12377"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
)

type (
	g1 = sw_bls12377.G1Affine
	g2 = sw_bls12377.G2Affine
	gt = sw_bls12377.GT
	fr = sw_bls12377.ScalarField
)

// countKind is a test-only leaf kind: it consumes the fact count(X) (nothing where X = 0)
// and produces count(X+1), or, built raw, the value X+1 itself (the export kind's way).
type countKind struct {
	IO  facts.IO
	X   frontend.Variable
	raw bool
}

var tagCount = facts.Tag("isthmus.test.count.v1")

func (c *countKind) Define(api frontend.API) error {
	d, err := facts.Digest(api, tagCount, c.X)
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.IO.Consumed[0], api.Select(api.IsZero(c.X), 0, d))
	for i := 1; i < facts.Consumed; i++ {
		api.AssertIsEqual(c.IO.Consumed[i], 0)
	}
	next := api.Add(c.X, 1)
	if c.raw {
		api.AssertIsEqual(c.IO.Produced, next)
	} else {
		d, err := facts.Digest(api, tagCount, next)
		if err != nil {
			return err
		}
		api.AssertIsEqual(c.IO.Produced, d)
	}
	// The one commitment every leaf carries (here from a range check's lookup).
	rangecheck.New(api).Check(c.X, 16)
	return nil
}

// kind is a test kind set up: each setup is its own key, even of the same circuit.
type kind struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  groth16.VerifyingKey
	raw bool
}

func newKind(t testing.TB, raw bool) *kind {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, &countKind{raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &kind{ccs: ccs, pk: pk, vk: vk, raw: raw}
}

func count(x uint64) blsfr.Element {
	var v blsfr.Element
	v.SetUint64(x)
	return facts.DigestOf(tagCount, v)
}

// prove proves the kind at x, its public inputs from the native twin (facts.DigestOf): the
// proof exists only where the circuit's digests are the twin's.
func (k *kind) prove(t testing.TB, x uint64) universal.Leaf {
	t.Helper()
	a := &countKind{X: x, raw: k.raw}
	a.IO.None(0)
	if x != 0 {
		a.IO.Consumed[0] = count(x)
	}
	if k.raw {
		a.IO.Produced = x + 1
	} else {
		a.IO.Produced = count(x + 1)
	}
	w, err := frontend.NewWitness(a, ecc.BLS12_377.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(k.ccs, k.pk, w, stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField()))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	return universal.Leaf{Key: k.vk, Proof: proof, Public: pub}
}

// fixture: the export kind, the count kind and a second raw kind listed (in that order), a
// count kind not listed, and the aggregation of 4 slots over a list of 4.
type fixture struct {
	export, count, raw, stranger *kind
	list                         *universal.AllowList
	ccs                          constraint.ConstraintSystem
}

const (
	testSlots = 4
	testKinds = 4
	testKeys  = 3 // the valid batch's two kinds and a spare entry (its first key again)
)

var testSizes = universal.Sizes{Slots: testSlots, Kinds: testKinds, Keys: testKeys}

var (
	fixtureOnce sync.Once
	shared      *fixture
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		f := &fixture{export: newKind(t, true), count: newKind(t, false), raw: newKind(t, true), stranger: newKind(t, false)}
		var err error
		if f.list, err = universal.NewAllowList(testKinds, f.export.vk, f.count.vk, f.raw.vk); err != nil {
			t.Fatal(err)
		}
		c, err := universal.New(testSizes)
		if err != nil {
			t.Fatal(err)
		}
		f.ccs = circuittest.Compile(t, "universal-4x4x3", ecc.BW6_761.ScalarField(), c)
		shared = f
	})
	if shared == nil {
		t.Fatal("fixture failed")
	}
	return shared
}

func (f *fixture) solve(c *universal.Circuit) error {
	return circuittest.Solve(f.ccs, ecc.BW6_761.ScalarField(), c)
}

// TestUniversalLinksFactsAcrossKinds: a batch of three leaves of two kinds, given out of
// order, is ordered by its facts, padded, and proves the export leaf's statement.
func TestUniversalLinksFactsAcrossKinds(t *testing.T) {
	f := newFixture(t)
	leaves := []universal.Leaf{f.export.prove(t, 2), f.count.prove(t, 1), f.count.prove(t, 0)}
	c, statement, err := universal.Assign(testSizes, f.list, leaves)
	if err != nil {
		t.Fatal(err)
	}
	if statement.Cmp(big.NewInt(3)) != 0 {
		t.Fatalf("statement %v, want 3", statement)
	}
	if err := f.solve(c); err != nil {
		t.Fatalf("valid batch refused: %v", err)
	}
	// One export leaf alone, in slots filled by it again, is a batch too.
	one, _, err := universal.Assign(testSizes, f.list, []universal.Leaf{f.export.prove(t, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.solve(one); err != nil {
		t.Fatalf("one-leaf batch refused: %v", err)
	}
}

// TestUniversalRefuses: every rule the aggregation keeps, broken one at a time on a valid
// assignment, makes it unsatisfiable.
func TestUniversalRefuses(t *testing.T) {
	f := newFixture(t)
	leaves := []universal.Leaf{f.count.prove(t, 0), f.count.prove(t, 1), f.export.prove(t, 2)}
	valid := func() *universal.Circuit {
		c, _, err := universal.Assign(testSizes, f.list, leaves)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// slotOf is the slot of leaf l, linked as like is, its key the table's entry key.
	slotOf := func(t *testing.T, l universal.Leaf, like universal.Slot, key int) universal.Slot {
		s := universal.Slot{Key: key, Links: like.Links, None: like.None}
		var err error
		if s.Proof, err = stdgroth16.ValueOfProof[g1, g2](l.Proof); err != nil {
			t.Fatal(err)
		}
		if s.Witness, err = stdgroth16.ValueOfWitness[fr](l.Public); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := f.solve(valid()); err != nil {
		t.Fatalf("the valid assignment is refused: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(*testing.T, *universal.Circuit)
	}{
		{"another statement", func(_ *testing.T, c *universal.Circuit) { c.Statement = 4 }},
		{"another allow-list root", func(_ *testing.T, c *universal.Circuit) {
			c.Allow = new(big.Int).Add(c.Allow.(*big.Int), big.NewInt(1))
		}},
		{"another allow-list under its own root", func(t *testing.T, c *universal.Circuit) {
			// The list with the stranger's key in place of the raw kind's: the root is
			// recomputed, and the Inbox would not know it.
			l, err := universal.NewAllowList(testKinds, f.export.vk, f.count.vk, f.stranger.vk)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range l.Hashes() {
				c.Kinds[i] = h
			}
		}},
		{"a key not in the list", func(t *testing.T, c *universal.Circuit) {
			// In the table's spare entry, for slot 0 alone.
			c.Keys[2] = keyOf(t, f.stranger.vk)
			c.Slots[0] = slotOf(t, f.stranger.prove(t, 0), c.Slots[0], 2)
		}},
		{"a proof under another listed key", func(_ *testing.T, c *universal.Circuit) {
			c.Slots[1].Key = 1 // the export kind's entry; slot 1 is a count leaf
		}},
		{"a key out of the table", func(_ *testing.T, c *universal.Circuit) { c.Slots[1].Key = testKeys }},
		{"a public input changed", func(_ *testing.T, c *universal.Circuit) {
			// The export leaf claims 4: the statement follows, the proof does not.
			c.Slots[2].Witness.Public[facts.Consumed] = emulated.ValueOf[fr](4)
			c.Statement = 4
		}},
		{"a consumed fact no leaf produces", func(t *testing.T, c *universal.Circuit) {
			c.Slots[2] = slotOf(t, f.export.prove(t, 5), c.Slots[2], 1) // consumes count(5)
			c.Statement = 6
		}},
		{"a consumed fact marked none", func(_ *testing.T, c *universal.Circuit) {
			c.Slots[1].None[0], c.Slots[1].Links[0] = 1, 0
		}},
		{"a link to a later slot", func(_ *testing.T, c *universal.Circuit) {
			// Slot 1 consumes count(1), which slot 0 produces; pointed at slot 1 (itself)
			// and at slot 2, after it.
			c.Slots[1].Links[0] = 1
		}},
		{"the first slot consumes", func(_ *testing.T, c *universal.Circuit) {
			c.Slots[0], c.Slots[1] = c.Slots[1], c.Slots[0]
			c.Slots[1].Links[0] = 0
		}},
		{"the statement from a slot not of the export kind", func(t *testing.T, c *universal.Circuit) {
			// A raw leaf (a listed kind that produces a small value too, but not the
			// list's first) as exporter.
			c.Keys[2] = keyOf(t, f.raw.vk)
			c.Slots[3] = slotOf(t, f.raw.prove(t, 0), c.Slots[3], 2)
			c.Exporter = 3
			c.Statement = 1
		}},
		{"an exporter out of range", func(_ *testing.T, c *universal.Circuit) { c.Exporter = testSlots }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mutate(t, c)
			err := f.solve(c)
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
		})
	}
}

func keyOf(t *testing.T, vk groth16.VerifyingKey) stdgroth16.VerifyingKey[g1, g2, gt] {
	k, err := stdgroth16.ValueOfVerifyingKey[g1, g2, gt](vk)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestUniversalAssignRefuses: the native side names what a batch lacks before any proving.
func TestUniversalAssignRefuses(t *testing.T) {
	f := newFixture(t)
	if _, _, err := universal.Assign(testSizes, f.list, []universal.Leaf{f.count.prove(t, 0), f.export.prove(t, 5)}); !errors.Is(err, universal.ErrUnlinked) {
		t.Fatalf("unlinked fact: %v, want ErrUnlinked", err)
	}
	if _, _, err := universal.Assign(testSizes, f.list, []universal.Leaf{f.stranger.prove(t, 0), f.export.prove(t, 1)}); err == nil {
		t.Fatal("a key not in the list was assigned")
	}
	if _, _, err := universal.Assign(testSizes, f.list, []universal.Leaf{f.count.prove(t, 0)}); err == nil {
		t.Fatal("a batch without an export leaf was assigned")
	}
	forged := f.count.prove(t, 0)
	forged.Proof = f.count.prove(t, 1).Proof
	if _, _, err := universal.Assign(testSizes, f.list, []universal.Leaf{forged, f.export.prove(t, 1)}); err == nil {
		t.Fatal("a proof of other inputs was assigned")
	}
	var five []universal.Leaf
	for x := range uint64(testSlots + 1) {
		five = append(five, f.count.prove(t, x))
	}
	if _, _, err := universal.Assign(testSizes, f.list, five); err == nil {
		t.Fatal("more leaves than slots were assigned")
	}
	if _, _, err := universal.Assign(universal.Sizes{Slots: testSlots, Kinds: testKinds, Keys: 1}, f.list, []universal.Leaf{f.count.prove(t, 0), f.export.prove(t, 1)}); err == nil {
		t.Fatal("two kinds were assigned to a key table of one")
	}
	if _, err := universal.NewAllowList(testKinds, f.export.vk, f.export.vk); err == nil {
		t.Fatal("an allow-list with a key twice was made")
	}
}
