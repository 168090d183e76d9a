package circuittest

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
)

// standIn is a test double: a circuit with n public inputs, each in one constraint (so that
// no input's key point is the identity), and, with a range check, one Groth16 commitment,
// that constrains nothing else.
type standIn struct {
	Public     []frontend.Variable `gnark:",public"`
	Secret     frontend.Variable
	commitment bool
}

func (c *standIn) Define(api frontend.API) error {
	for _, p := range c.Public {
		api.AssertIsEqual(api.Mul(p, 1), p)
	}
	if c.commitment {
		// Like the leaves' lookups, the commitment covers secret variables only.
		rangecheck.New(api).Check(c.Secret, 8)
	}
	return nil
}

// StandIn is a test double of a leaf circuit, set up: n public inputs, one commitment or
// none, and nothing else constrained, so that it proves any public inputs.
type StandIn struct {
	Field *big.Int
	CCS   constraint.ConstraintSystem
	PK    groth16.ProvingKey
	VK    groth16.VerifyingKey
}

// NewStandIn compiles and sets up a stand-in circuit over field.
func NewStandIn(t testing.TB, field *big.Int, n int, commitment bool) *StandIn {
	t.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &standIn{Public: make([]frontend.Variable, n), commitment: commitment})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &StandIn{Field: field, CCS: ccs, PK: pk, VK: vk}
}

// Prove proves the stand-in with the given public inputs, with the prover options the
// outer circuit needs (stdgroth16.GetNativeProverOptions), and returns the proof and its
// public witness.
func (s *StandIn) Prove(t testing.TB, public []*big.Int, opts ...backend.ProverOption) (groth16.Proof, witness.Witness) {
	t.Helper()
	a := &standIn{Public: make([]frontend.Variable, len(public)), Secret: 5}
	for i, v := range public {
		a.Public[i] = v
	}
	w, err := frontend.NewWitness(a, s.Field)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(s.CCS, s.PK, w, opts...)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	return proof, pub
}

// StandInKey returns the verifying key of a stand-in circuit over field with n public inputs
// and one commitment or none: a key shaped like a real leaf's, so that a recursive verifier
// compiles over it without the real circuit's setup. Its constraint count is close to, not
// equal to, the count over the real keys (aggregation 1x4x3: 464,809 over stand-ins,
// 454,781 over the real leaf keys, before the inner proofs' subgroup checks).
func StandInKey(t testing.TB, field *big.Int, n int, commitment bool) groth16.VerifyingKey {
	t.Helper()
	return NewStandIn(t, field, n, commitment).VK
}
