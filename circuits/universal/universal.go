// Package universal is the BW6-761 aggregation that knows no shapes: it verifies up to K
// BLS12-377 leaf proofs, each under any verifying key of an allow-list (the key a witness,
// its Poseidon2 hash a member of the list), and links them by one rule that does not change
// when a kind of leaf is added: every fact a leaf consumes is produced by a leaf before it
// (circuits/facts). Its public inputs are the batch's statement, which a leaf of the export
// kind (the list's first key) produces, and the allow-list's root, which the Inbox keeps.
//
// The circuit carries no Groth16 commitment (range checks decompose into bits), so the BN254
// wrap that verifies it stays in a 2^23 domain.
package universal

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/sw_bls12377"
	"github.com/consensys/gnark/std/commitments/pedersen"
	"github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
	"github.com/consensys/gnark/std/selector"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
)

type (
	g1 = sw_bls12377.G1Affine
	g2 = sw_bls12377.G2Affine
	gt = sw_bls12377.GT
	fr = sw_bls12377.ScalarField
)

// AllowBits is how many low bits of the allow-list's Poseidon2 hash its root keeps: the
// root is then below BN254's scalar field too, a public input of the wrap as it is.
const AllowBits = 248

// Slot is one leaf proof, its public inputs, its verifying key (Key, an index into the
// circuit's key table), and where its consumed facts come from: Links[a] is the earlier slot
// whose produced fact is its consumed input a, and None[a] is 1 where that input consumes
// nothing (is 0).
type Slot struct {
	Key     frontend.Variable
	Proof   stdgroth16.Proof[g1, g2]
	Witness stdgroth16.Witness[fr]
	Links   [facts.Consumed]frontend.Variable
	None    [facts.Consumed]frontend.Variable
}

// Circuit verifies a batch of len(Slots) leaf proofs under an allow-list of len(Kinds) key
// hashes (0 for an unused entry). The batch's distinct keys are a table of len(Keys), each
// hashed once and found in the list; each slot picks its key from the table.
type Circuit struct {
	Statement frontend.Variable `gnark:",public"` // the statement hash's low facts.StatementBits bits
	Allow     frontend.Variable `gnark:",public"` // the allow-list's root (AllowRoot)

	Kinds    []frontend.Variable
	Keys     []stdgroth16.VerifyingKey[g1, g2, gt]
	Slots    []Slot
	Exporter frontend.Variable // the slot of the export kind whose fact is the statement
}

// Sizes is a circuit's compile-time size: its slots (leaf proofs), its allow-list's entries
// (kinds a deployment may use) and its key table's (distinct kinds in one batch).
type Sizes struct {
	Slots, Kinds, Keys int
}

// New returns the circuit of the given sizes, as placeholder.
func New(z Sizes) (*Circuit, error) {
	if z.Slots < 1 || z.Kinds < 1 || z.Keys < 1 || z.Keys > z.Kinds {
		return nil, fmt.Errorf("universal: %d slots, %d kinds and %d keys a batch: want at least one of each, keys at most kinds", z.Slots, z.Kinds, z.Keys)
	}
	c := &Circuit{Kinds: make([]frontend.Variable, z.Kinds), Keys: make([]stdgroth16.VerifyingKey[g1, g2, gt], z.Keys), Slots: make([]Slot, z.Slots)}
	for m := range c.Keys {
		c.Keys[m] = keyPlaceholder()
	}
	for i := range c.Slots {
		c.Slots[i] = Slot{
			Proof:   stdgroth16.Proof[g1, g2]{Commitments: make([]pedersen.Commitment[g1], 1)},
			Witness: stdgroth16.Witness[fr]{Public: make([]emulated.Element[fr], facts.Inputs)},
		}
	}
	return c, nil
}

// keyPlaceholder is a key of the one leaf layout: facts.Inputs public inputs and one
// commitment, over secret variables only.
func keyPlaceholder() stdgroth16.VerifyingKey[g1, g2, gt] {
	return stdgroth16.VerifyingKey[g1, g2, gt]{
		G1:                           struct{ K []g1 }{K: make([]g1, 1+facts.Inputs+1)},
		CommitmentKeys:               make([]pedersen.VerifyingKey[g2], 1),
		PublicAndCommitmentCommitted: [][]int{{}},
	}
}

// plainAPI hides the builder's commitment support, so that range checks decompose into bits
// instead of a lookup argument: the proof then carries no Groth16 commitment.
type plainAPI struct{ frontend.API }

// Define implements frontend.Circuit.
func (c *Circuit) Define(native frontend.API) error {
	api := frontend.API(plainAPI{native})
	v, err := stdgroth16.NewVerifier[fr, g1, g2, gt](api)
	if err != nil {
		return fmt.Errorf("universal: %w", err)
	}

	// The allow-list's root: the low AllowBits bits of its Poseidon2 hash.
	h, err := poseidon2.New(api)
	if err != nil {
		return fmt.Errorf("universal: %w", err)
	}
	h.Write(c.Kinds...)
	api.AssertIsEqual(c.Allow, api.FromBinary(api.ToBinary(h.Sum())[:AllowBits]...))

	// The key table: each key is one of the list's, its hash equal to an entry
	// (KeyDecoder's indicators sum to 1 only then).
	tableHashes := make([]frontend.Variable, len(c.Keys))
	table := make([][]frontend.Variable, len(c.Keys))
	for m := range c.Keys {
		if tableHashes[m], err = keyHash(api, &c.Keys[m]); err != nil {
			return fmt.Errorf("universal: key %d: %w", m, err)
		}
		selector.KeyDecoder(api, tableHashes[m], c.Kinds)
		table[m] = keyValues(&c.Keys[m])
	}

	n := len(c.Slots)
	hashes := make([]frontend.Variable, n)
	produced := make([][]frontend.Variable, n) // each slot's produced fact, as limbs
	for i := range c.Slots {
		s := &c.Slots[i]
		if len(s.Witness.Public) != facts.Inputs {
			return fmt.Errorf("universal: slot %d has %d public inputs, want %d", i, len(s.Witness.Public), facts.Inputs)
		}
		// The slot's key: the table's entry s.Key, coordinate by coordinate.
		pickKey := selector.Decoder(api, len(c.Keys), s.Key)
		vk := keyPlaceholder()
		for j, field := range keyFields(&vk) {
			*field = dot(api, pickKey, table, j)
		}
		hashes[i] = 0
		for m := range tableHashes {
			hashes[i] = api.MulAcc(hashes[i], pickKey[m], tableHashes[m])
		}
		// Its points are checked on the curve and in the prime-order subgroup: without it,
		// A + T and C + T for a torsion point T pass the pairing equation.
		if err := v.AssertProof(vk, s.Proof, s.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return fmt.Errorf("universal: slot %d: %w", i, err)
		}
		produced[i] = s.Witness.Public[facts.Consumed].Limbs

		// Each consumed fact is 0 (None) or the produced fact of the earlier slot it links.
		// Equal limbs are the same integer, hence the same scalar in both proofs.
		for a := 0; a < facts.Consumed; a++ {
			in := s.Witness.Public[a].Limbs
			none := s.None[a]
			api.AssertIsBoolean(none)
			for _, limb := range in {
				api.AssertIsEqual(api.Mul(none, limb), 0)
			}
			if i == 0 {
				api.AssertIsEqual(none, 1)
				continue
			}
			pick := selector.Decoder(api, i, s.Links[a]) // the link is below i
			for k := range in {
				got := dot(api, pick, produced[:i], k)
				api.AssertIsEqual(api.Mul(api.Sub(1, none), api.Sub(in[k], got)), 0)
			}
		}
	}

	// The statement: the produced value of a slot of the export kind, below 2^StatementBits.
	pick := selector.Decoder(api, n, c.Exporter)
	var kind frontend.Variable = 0
	for i := range hashes {
		kind = api.MulAcc(kind, pick[i], hashes[i])
	}
	api.AssertIsEqual(kind, c.Kinds[0])
	var statement emulated.Element[fr]
	statement.Limbs = make([]frontend.Variable, len(produced[0]))
	for k := range statement.Limbs {
		statement.Limbs[k] = dot(api, pick, produced, k)
	}
	api.AssertIsEqual(c.Statement, small(api, rangecheck.New(api), &statement, facts.StatementBits))
	return nil
}

// dot is Σ pick[j]·limbs[j][k].
func dot(api frontend.API, pick []frontend.Variable, limbs [][]frontend.Variable, k int) frontend.Variable {
	var out frontend.Variable = 0
	for j := range limbs {
		out = api.MulAcc(out, pick[j], limbs[j][k])
	}
	return out
}

// small returns the value of an emulated element asserted below 2^bits: the limbs above are
// zero and the ones below are range-checked, so the value is one integer, below the modulus.
func small(api frontend.API, rc frontend.Rangechecker, e *emulated.Element[fr], bits int) frontend.Variable {
	var f fr
	w := int(f.BitsPerLimb())
	var v frontend.Variable = 0
	for i := len(e.Limbs) - 1; i >= 0; i-- {
		if i*w >= bits {
			api.AssertIsEqual(e.Limbs[i], 0)
			continue
		}
		rc.Check(e.Limbs[i], min(w, bits-i*w))
		v = api.Add(api.Mul(v, new(big.Int).Lsh(big.NewInt(1), uint(w))), e.Limbs[i])
	}
	return v
}

// keyHash is the Poseidon2 hash of a verifying key's coordinates, native in BW6-761.
func keyHash(api frontend.API, vk *stdgroth16.VerifyingKey[g1, g2, gt]) (frontend.Variable, error) {
	h, err := poseidon2.New(api)
	if err != nil {
		return nil, err
	}
	h.Write(keyValues(vk)...)
	return h.Sum(), nil
}

// keyValues are a verifying key's coordinates in a fixed order (keyFields).
func keyValues(vk *stdgroth16.VerifyingKey[g1, g2, gt]) []frontend.Variable {
	fields := keyFields(vk)
	out := make([]frontend.Variable, len(fields))
	for i, f := range fields {
		out[i] = *f
	}
	return out
}

// keyFields are a verifying key's coordinates in a fixed order: e(α, β), the input points,
// −γ and −δ, the commitment key.
func keyFields(vk *stdgroth16.VerifyingKey[g1, g2, gt]) []*frontend.Variable {
	e := &vk.E
	out := []*frontend.Variable{&e.C0.B0.A0, &e.C0.B0.A1, &e.C0.B1.A0, &e.C0.B1.A1, &e.C0.B2.A0, &e.C0.B2.A1,
		&e.C1.B0.A0, &e.C1.B0.A1, &e.C1.B1.A0, &e.C1.B1.A1, &e.C1.B2.A0, &e.C1.B2.A1}
	for i := range vk.G1.K {
		out = append(out, &vk.G1.K[i].X, &vk.G1.K[i].Y)
	}
	g2s := []*g2{&vk.G2.GammaNeg, &vk.G2.DeltaNeg}
	for i := range vk.CommitmentKeys {
		g2s = append(g2s, &vk.CommitmentKeys[i].G, &vk.CommitmentKeys[i].GSigmaNeg)
	}
	for _, q := range g2s {
		out = append(out, &q.P.X.A0, &q.P.X.A1, &q.P.Y.A0, &q.P.Y.A1)
	}
	return out
}
