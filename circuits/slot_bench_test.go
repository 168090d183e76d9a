package circuits_test

import (
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/algebra/native/sw_bls12377"
	"github.com/consensys/gnark/std/hash/poseidon2"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

type (
	slotG1 = sw_bls12377.G1Affine
	slotG2 = sw_bls12377.G2Affine
	slotGT = sw_bls12377.GT
	slotFr = sw_bls12377.ScalarField
)

// slotCircuit verifies len(Proofs) BLS12-377 Groth16 proofs in BW6-761, each under a fixed
// verifying key, or under a verifying key given as a witness whose Poseidon2 hash (over its
// coordinates, native in BW6-761) must be the public KeyHash: the slot of an aggregation
// that takes any key of an allow-list.
type slotCircuit struct {
	Proofs   []stdgroth16.Proof[slotG1, slotG2]
	Witness  []stdgroth16.Witness[slotFr]
	Keys     []stdgroth16.VerifyingKey[slotG1, slotG2, slotGT]
	KeyHash  frontend.Variable                               `gnark:",public"`
	fixedKey stdgroth16.VerifyingKey[slotG1, slotG2, slotGT] `gnark:"-"`
	fixed    bool
}

func (c *slotCircuit) Define(api frontend.API) error {
	v, err := stdgroth16.NewVerifier[slotFr, slotG1, slotG2, slotGT](api)
	if err != nil {
		return err
	}
	for i := range c.Proofs {
		vk := c.fixedKey
		if !c.fixed {
			vk = c.Keys[i]
			h, err := poseidon2.New(api)
			if err != nil {
				return err
			}
			h.Write(keyLimbs(vk)...)
			api.AssertIsEqual(h.Sum(), c.KeyHash)
		}
		if err := v.AssertProof(vk, c.Proofs[i], c.Witness[i], stdgroth16.WithSubgroupCheck()); err != nil {
			return err
		}
	}
	return nil
}

// keyLimbs are the native coordinates of a BLS12-377 verifying key in BW6-761.
func keyLimbs(vk stdgroth16.VerifyingKey[slotG1, slotG2, slotGT]) []frontend.Variable {
	var out []frontend.Variable
	e := vk.E
	for _, x := range []frontend.Variable{e.C0.B0.A0, e.C0.B0.A1, e.C0.B1.A0, e.C0.B1.A1, e.C0.B2.A0, e.C0.B2.A1,
		e.C1.B0.A0, e.C1.B0.A1, e.C1.B1.A0, e.C1.B1.A1, e.C1.B2.A0, e.C1.B2.A1} {
		out = append(out, x)
	}
	for _, p := range vk.G1.K {
		out = append(out, p.X, p.Y)
	}
	for _, q := range []slotG2{vk.G2.GammaNeg, vk.G2.DeltaNeg} {
		out = append(out, q.P.X.A0, q.P.X.A1, q.P.Y.A0, q.P.Y.A1)
	}
	for _, ck := range vk.CommitmentKeys {
		for _, q := range []slotG2{ck.G, ck.GSigmaNeg} {
			out = append(out, q.P.X.A0, q.P.X.A1, q.P.Y.A0, q.P.Y.A1)
		}
	}
	return out
}

// benchRecursionSlots reports what one leaf proof costs the BW6-761 aggregation, under a
// fixed key and under a hash-bound witness key, by the leaf's public inputs and commitment:
// the difference between two slots and one.
func benchRecursionSlots(b *testing.B) {
	for _, commitment := range []bool{false, true} {
		for _, inputs := range []int{2, 8, 16} {
			s := circuittest.NewStandIn(b, field, inputs, commitment)
			for _, fixed := range []bool{true, false} {
				name := fmt.Sprintf("recursion-slot/witness-key/inputs=%d/commitment=%v", inputs, commitment)
				if fixed {
					name = fmt.Sprintf("recursion-slot/fixed-key/inputs=%d/commitment=%v", inputs, commitment)
				}
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						count := func(n int) int {
							c := &slotCircuit{fixed: fixed}
							for range n {
								c.Proofs = append(c.Proofs, stdgroth16.PlaceholderProof[slotG1, slotG2](s.CCS))
								c.Witness = append(c.Witness, stdgroth16.PlaceholderWitness[slotFr](s.CCS))
								if !fixed {
									c.Keys = append(c.Keys, stdgroth16.PlaceholderVerifyingKey[slotG1, slotG2, slotGT](s.CCS))
								}
							}
							if fixed {
								var err error
								if c.fixedKey, err = stdgroth16.ValueOfVerifyingKeyFixed[slotG1, slotG2, slotGT](s.VK); err != nil {
									b.Fatal(err)
								}
							}
							ccs, err := frontend.Compile(ecc.BW6_761.ScalarField(), r1cs.NewBuilder, c)
							if err != nil {
								b.Fatal(err)
							}
							return ccs.GetNbConstraints()
						}
						b.ReportMetric(float64(count(2)-count(1)), "constraints")
					}
				})
			}
		}
	}
}
