// Package wrap is the BN254 wrap circuit (KeyedCircuit): it verifies one BW6-761 aggregation
// proof under any aggregation key of a deployment's configuration and exposes the batch
// statement, the input of the generated Solidity verifier, beside that configuration.
package wrap

import (
	"fmt"
	"math/big"

	frbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bw6761"
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

// verify verifies an aggregation proof and asserts that its public inputs, as limbs, are
// the values outs, each below 2^bits.
func verify(api frontend.API, vk *stdgroth16.VerifyingKey[g1, g2, gt], proof *stdgroth16.Proof[g1, g2], witness *stdgroth16.Witness[fr], outs []frontend.Variable, bits []int) error {
	v, err := stdgroth16.NewVerifier[fr, g1, g2, gt](api)
	if err != nil {
		return fmt.Errorf("wrap: %w", err)
	}
	// The proof's points are checked on the curve and in the prime-order subgroup (873,514
	// constraints): without it, A + T and C + T for a torsion point T pass the pairing
	// equation (TestKeyedWrap's refusals).
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
