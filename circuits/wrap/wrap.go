// Package wrap is the BN254 wrap circuit: it verifies one BW6-761 aggregation proof under its
// fixed verifying key and exposes the batch statement as its one public input, the input of
// the generated Solidity verifier.
package wrap

import (
	"fmt"
	"math/big"

	frbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bw6761"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
)

type (
	g1 = sw_bw6761.G1Affine
	g2 = sw_bw6761.G2Affine
	gt = sw_bw6761.GTEl
	fr = sw_bw6761.ScalarField

	baseField = sw_bw6761.BaseField
)

// StatementBits is the width of the statement public input (protocol.PublicInputOf).
const StatementBits = 253

// Circuit verifies an aggregation proof whose one public input is Statement.
type Circuit struct {
	Statement frontend.Variable `gnark:",public"`

	Proof   stdgroth16.Proof[g1, g2]
	Witness stdgroth16.Witness[fr]

	vk stdgroth16.VerifyingKey[g1, g2, gt] `gnark:"-"`
}

// New returns the wrap circuit over the aggregation circuit's verifying key, which it fixes.
func New(aggregation groth16.VerifyingKey) (*Circuit, error) {
	vk, w, err := fixedKey(aggregation, 1)
	if err != nil {
		return nil, err
	}
	return &Circuit{vk: vk, Witness: w}, nil
}

// fixedKey is an aggregation key of inputs public inputs and no commitment, fixed, and the
// placeholder of its proofs' witness.
func fixedKey(aggregation groth16.VerifyingKey, inputs int) (stdgroth16.VerifyingKey[g1, g2, gt], stdgroth16.Witness[fr], error) {
	vk, err := stdgroth16.ValueOfVerifyingKeyFixed[g1, g2, gt](aggregation)
	if err != nil {
		return vk, stdgroth16.Witness[fr]{}, fmt.Errorf("wrap: aggregation key: %w", err)
	}
	if n := aggregation.NbPublicWitness(); n != inputs {
		return vk, stdgroth16.Witness[fr]{}, fmt.Errorf("wrap: the aggregation key has %d public inputs, want %d", n, inputs)
	}
	if len(vk.CommitmentKeys) != 0 {
		return vk, stdgroth16.Witness[fr]{}, fmt.Errorf("wrap: the aggregation key has %d commitments, want none", len(vk.CommitmentKeys))
	}
	return vk, stdgroth16.Witness[fr]{Public: make([]emulated.Element[fr], inputs)}, nil
}

// proofOf is an aggregation proof and its public witness as the wrap takes them, and the
// witness's values.
func proofOf(proof groth16.Proof, public witness.Witness, inputs int) (stdgroth16.Proof[g1, g2], stdgroth16.Witness[fr], []*big.Int, error) {
	p, err := stdgroth16.ValueOfProof[g1, g2](proof)
	if err != nil {
		return p, stdgroth16.Witness[fr]{}, nil, fmt.Errorf("wrap: %w", err)
	}
	w, err := stdgroth16.ValueOfWitness[fr](public)
	if err != nil {
		return p, w, nil, fmt.Errorf("wrap: %w", err)
	}
	pub, err := public.Public()
	if err != nil {
		return p, w, nil, fmt.Errorf("wrap: %w", err)
	}
	vec, ok := pub.Vector().(frbw6761.Vector)
	if !ok || len(vec) != inputs {
		return p, w, nil, fmt.Errorf("wrap: the aggregation witness is not %d BW6-761 scalars", inputs)
	}
	values := make([]*big.Int, inputs)
	for i := range vec {
		values[i] = vec[i].BigInt(new(big.Int))
	}
	return p, w, values, nil
}

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	return verify(api, &c.vk, &c.Proof, &c.Witness, []frontend.Variable{c.Statement}, []int{StatementBits})
}

// verify verifies an aggregation proof and asserts that its public inputs, as limbs, are
// the values outs, each below 2^bits.
func verify(api frontend.API, vk *stdgroth16.VerifyingKey[g1, g2, gt], proof *stdgroth16.Proof[g1, g2], witness *stdgroth16.Witness[fr], outs []frontend.Variable, bits []int) error {
	v, err := stdgroth16.NewVerifier[fr, g1, g2, gt](api)
	if err != nil {
		return fmt.Errorf("wrap: %w", err)
	}
	// The proof's points are checked on the curve and in the prime-order subgroup (873,514 of
	// the wrap's 5,887,388 constraints): without it, A + T and C + T for a torsion point T
	// pass the pairing equation (TestHardeningWrapRefusesPointsOutsideTheGroup).
	if err := v.AssertProof(*vk, *proof, *witness, stdgroth16.WithSubgroupCheck()); err != nil {
		return fmt.Errorf("wrap: %w", err)
	}
	if len(witness.Public) != len(outs) {
		return fmt.Errorf("wrap: %d aggregation inputs, %d outputs", len(witness.Public), len(outs))
	}
	// Each of the aggregation's public inputs, as limbs, is its value below 2^bits: limbs
	// above are zero and the rest range-checked, so the limbs are its canonical encoding and
	// the value fits BN254's scalar field unchanged.
	var f fr
	w := int(f.BitsPerLimb())
	rc := rangecheck.New(api)
	for k := range outs {
		limbs := witness.Public[k].Limbs
		var value frontend.Variable = 0
		for i := len(limbs) - 1; i >= 0; i-- {
			if i*w >= bits[k] {
				api.AssertIsEqual(limbs[i], 0)
				continue
			}
			rc.Check(limbs[i], min(w, bits[k]-i*w))
			value = api.Add(api.Mul(value, new(big.Int).Lsh(big.NewInt(1), uint(w))), limbs[i])
		}
		api.AssertIsEqual(value, outs[k])
	}
	return nil
}

// Assign builds the wrap's assignment from an aggregation proof and its public witness.
func Assign(aggregation groth16.VerifyingKey, proof groth16.Proof, public witness.Witness) (*Circuit, error) {
	c, err := New(aggregation)
	if err != nil {
		return nil, err
	}
	var values []*big.Int
	if c.Proof, c.Witness, values, err = proofOf(proof, public, 1); err != nil {
		return nil, err
	}
	c.Statement = values[0]
	return c, nil
}
