package wrap

import (
	"fmt"
	"math/big"

	bnfr "github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	stdposeidon2 "github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
)

// AggregationKeys is how many aggregation keys the keyed wrap takes: the universal
// aggregation at a small and at a large number of slots.
const AggregationKeys = 2

// KeyedCircuit verifies a proof of a universal aggregation under a verifying key given as a
// witness, one of the AggregationKeys keys whose hashes it takes (Poseidon2 over BN254 of the
// key's coordinates, their limbs range-checked), and exposes the statement and the
// deployment's configuration: Config = Poseidon2(the allow-list's root, the keys' hashes).
// Its own key depends on no aggregation key, so one wrap key serves every aggregation size
// the configuration names, and its setup needs none of theirs. The generated verifier fixes
// Config (verifier.ExportSolidity).
type KeyedCircuit struct {
	Statement frontend.Variable `gnark:",public"`
	Config    frontend.Variable `gnark:",public"`

	Allow   frontend.Variable
	Keys    [AggregationKeys]frontend.Variable
	Key     stdgroth16.VerifyingKey[g1, g2, gt]
	Proof   stdgroth16.Proof[g1, g2]
	Witness stdgroth16.Witness[fr]
}

// aggregationInputs are the universal aggregation's public inputs: the statement, the root.
const aggregationInputs = 2

// NewKeyed returns the keyed wrap's placeholder.
func NewKeyed() *KeyedCircuit {
	c := &KeyedCircuit{Witness: stdgroth16.Witness[fr]{Public: make([]emulated.Element[fr], aggregationInputs)}}
	c.Key.G1.K = make([]g1, aggregationInputs+1)
	return c
}

// Define implements frontend.Circuit.
func (c *KeyedCircuit) Define(api frontend.API) error {
	if len(c.Key.CommitmentKeys) != 0 || len(c.Key.G1.K) != aggregationInputs+1 {
		return fmt.Errorf("wrap: an aggregation key of %d inputs and %d commitments, want %d and none", len(c.Key.G1.K)-1, len(c.Key.CommitmentKeys), aggregationInputs)
	}
	h, err := aggregationKeyHash(api, &c.Key)
	if err != nil {
		return err
	}
	var miss frontend.Variable = 1
	for _, k := range c.Keys {
		miss = api.Mul(miss, api.Sub(h, k))
	}
	api.AssertIsEqual(miss, 0) // the key is one of the list's
	hasher, err := stdposeidon2.New(api)
	if err != nil {
		return fmt.Errorf("wrap: %w", err)
	}
	hasher.Write(c.Allow)
	hasher.Write(c.Keys[:]...)
	api.AssertIsEqual(c.Config, hasher.Sum())
	return verify(api, &c.Key, &c.Proof, &c.Witness, []frontend.Variable{c.Statement, c.Allow}, []int{facts.StatementBits, universal.AllowBits})
}

// keyElements are an aggregation key's coordinates, in the order they are hashed: e(α, β),
// the input points, −γ, −δ.
func keyElements(vk *stdgroth16.VerifyingKey[g1, g2, gt]) []*emulated.Element[baseField] {
	e := &vk.E
	out := []*emulated.Element[baseField]{&e.A0, &e.A1, &e.A2, &e.A3, &e.A4, &e.A5}
	for i := range vk.G1.K {
		out = append(out, &vk.G1.K[i].X, &vk.G1.K[i].Y)
	}
	return append(out, &vk.G2.GammaNeg.P.X, &vk.G2.GammaNeg.P.Y, &vk.G2.DeltaNeg.P.X, &vk.G2.DeltaNeg.P.Y)
}

// limbsPerValue is how many of a coordinate's 64-bit limbs one hashed value packs.
const limbsPerValue = 3

// aggregationKeyHash is the hash of a witness aggregation key: its coordinates' limbs, each
// range-checked to 64 bits (so that the limbs are the one encoding of the key's values
// below 2^64·limbs, and packing three of them into a value is one-to-one), packed and
// hashed with Poseidon2.
func aggregationKeyHash(api frontend.API, vk *stdgroth16.VerifyingKey[g1, g2, gt]) (frontend.Variable, error) {
	var f baseField
	w := f.BitsPerLimb()
	if limbsPerValue*w >= uint(api.Compiler().FieldBitLen()) {
		return nil, fmt.Errorf("wrap: %d limbs of %d bits do not pack into a value", limbsPerValue, w)
	}
	rc := rangecheck.New(api)
	h, err := stdposeidon2.New(api)
	if err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	for _, el := range keyElements(vk) {
		for _, v := range packLimbs(api, rc, el.Limbs, w) {
			h.Write(v)
		}
	}
	return h.Sum(), nil
}

func packLimbs(api frontend.API, rc frontend.Rangechecker, limbs []frontend.Variable, w uint) []frontend.Variable {
	var out []frontend.Variable
	for i := 0; i < len(limbs); i += limbsPerValue {
		var v frontend.Variable = 0
		for j := min(i+limbsPerValue, len(limbs)) - 1; j >= i; j-- {
			rc.Check(limbs[j], int(w))
			v = api.Add(api.Mul(v, new(big.Int).Lsh(big.NewInt(1), w)), limbs[j])
		}
		out = append(out, v)
	}
	return out
}

// keyLimbs holds an aggregation key's coordinates in hashing order, for their limbs as a
// witness lays them out.
type keyLimbs struct {
	Elements []emulated.Element[baseField]
}

func (k *keyLimbs) Define(frontend.API) error { return nil }

// AggregationKeyHash is the hash the keyed wrap computes of an aggregation verifying key
// (BW6-761, two public inputs, no commitment).
func AggregationKeyHash(vk groth16.VerifyingKey) (*big.Int, error) {
	if n := vk.NbPublicWitness(); n != aggregationInputs {
		return nil, fmt.Errorf("wrap: an aggregation key of %d public inputs, want %d", n, aggregationInputs)
	}
	k, err := stdgroth16.ValueOfVerifyingKey[g1, g2, gt](vk)
	if err != nil {
		return nil, fmt.Errorf("wrap: aggregation key: %w", err)
	}
	if len(k.CommitmentKeys) != 0 {
		return nil, fmt.Errorf("wrap: an aggregation key of %d commitments, want none", len(k.CommitmentKeys))
	}
	var kl keyLimbs
	for _, el := range keyElements(&k) {
		kl.Elements = append(kl.Elements, *el)
	}
	w, err := frontend.NewWitness(&kl, bnfr.Modulus())
	if err != nil {
		return nil, fmt.Errorf("wrap: aggregation key: %w", err)
	}
	vec, ok := w.Vector().(bnfr.Vector)
	if !ok {
		return nil, fmt.Errorf("wrap: a witness of %T", w.Vector())
	}
	var f baseField
	per := int(f.NbLimbs())
	if len(vec) != per*len(kl.Elements) {
		return nil, fmt.Errorf("wrap: %d limbs for %d coordinates", len(vec), len(kl.Elements))
	}
	h := poseidon2.NewMerkleDamgardHasher()
	for e := 0; e < len(kl.Elements); e++ {
		limbs := vec[e*per : (e+1)*per]
		for i := 0; i < len(limbs); i += limbsPerValue {
			v := new(big.Int)
			for j := min(i+limbsPerValue, len(limbs)) - 1; j >= i; j-- {
				v.Lsh(v, f.BitsPerLimb()).Add(v, limbs[j].BigInt(new(big.Int)))
			}
			var x bnfr.Element
			x.SetBigInt(v)
			b := x.Bytes()
			h.Write(b[:])
		}
	}
	return new(big.Int).SetBytes(h.Sum(nil)), nil
}

// KeyedConfig is the keyed wrap's Config: Poseidon2 of the allow-list's root and the hashes
// of the aggregation keys (AggregationKeys of them; a list of fewer repeats its last).
func KeyedConfig(allow *big.Int, keys ...groth16.VerifyingKey) (*big.Int, []*big.Int, error) {
	if len(keys) == 0 || len(keys) > AggregationKeys {
		return nil, nil, fmt.Errorf("wrap: %d aggregation keys, want 1 to %d", len(keys), AggregationKeys)
	}
	hashes := make([]*big.Int, AggregationKeys)
	for i := range hashes {
		var err error
		if hashes[i], err = AggregationKeyHash(keys[min(i, len(keys)-1)]); err != nil {
			return nil, nil, err
		}
	}
	h := poseidon2.NewMerkleDamgardHasher()
	for _, v := range append([]*big.Int{allow}, hashes...) {
		var x bnfr.Element
		x.SetBigInt(v)
		b := x.Bytes()
		h.Write(b[:])
	}
	return new(big.Int).SetBytes(h.Sum(nil)), hashes, nil
}

// AssignKeyed builds the keyed wrap's assignment for a proof of the aggregation under key
// agg, one of keys.
func AssignKeyed(agg groth16.VerifyingKey, keys []groth16.VerifyingKey, proof groth16.Proof, public witness.Witness) (*KeyedCircuit, error) {
	c := NewKeyed()
	var err error
	if c.Key, err = stdgroth16.ValueOfVerifyingKey[g1, g2, gt](agg); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	var values []*big.Int
	if c.Proof, c.Witness, values, err = proofOf(proof, public, aggregationInputs); err != nil {
		return nil, err
	}
	config, hashes, err := KeyedConfig(values[1], keys...)
	if err != nil {
		return nil, err
	}
	c.Statement, c.Allow, c.Config = values[0], values[1], config
	for i := range c.Keys {
		c.Keys[i] = hashes[i]
	}
	return c, nil
}
