package circuittest

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
)

// standIn is a test double: a circuit with n public inputs (and, with a range check, one
// Groth16 commitment) that constrains nothing else.
type standIn struct {
	Public     []frontend.Variable `gnark:",public"`
	Secret     frontend.Variable
	commitment bool
}

func (c *standIn) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.Public[0], 1), c.Public[0])
	if c.commitment {
		// Like the leaves' lookups, the commitment covers secret variables only.
		rangecheck.New(api).Check(c.Secret, 8)
	}
	return nil
}

// StandInKey returns the verifying key of a stand-in circuit over field with n public inputs
// and one commitment or none: a key shaped like a real leaf's, so that a recursive verifier
// compiles over it without the real circuit's setup. Its constraint count is close to, not
// equal to, the count over the real keys (aggregation 1x4x3: 464,809 over stand-ins,
// 454,781 over the real leaf keys).
func StandInKey(t testing.TB, field *big.Int, n int, commitment bool) groth16.VerifyingKey {
	t.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &standIn{Public: make([]frontend.Variable, n), commitment: commitment})
	if err != nil {
		t.Fatal(err)
	}
	_, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return vk
}
