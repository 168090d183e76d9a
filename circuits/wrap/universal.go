package wrap

import (
	"fmt"
	"math/big"

	frbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/emulated"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
)

// UniversalCircuit verifies a proof of the universal aggregation (circuits/universal) under
// its fixed verifying key and exposes the aggregation's two public inputs: the statement's
// low facts.StatementBits bits and the allow-list's root, which the Inbox keeps.
type UniversalCircuit struct {
	Statement frontend.Variable `gnark:",public"`
	Allow     frontend.Variable `gnark:",public"`

	Proof   stdgroth16.Proof[g1, g2]
	Witness stdgroth16.Witness[fr]

	vk stdgroth16.VerifyingKey[g1, g2, gt] `gnark:"-"`
}

// NewUniversal returns the wrap over the universal aggregation's verifying key, which it
// fixes.
func NewUniversal(aggregation groth16.VerifyingKey) (*UniversalCircuit, error) {
	vk, err := stdgroth16.ValueOfVerifyingKeyFixed[g1, g2, gt](aggregation)
	if err != nil {
		return nil, fmt.Errorf("wrap: aggregation key: %w", err)
	}
	if n := aggregation.NbPublicWitness(); n != 2 {
		return nil, fmt.Errorf("wrap: the aggregation key has %d public inputs, want 2 (statement, allow-list root)", n)
	}
	if len(vk.CommitmentKeys) != 0 {
		return nil, fmt.Errorf("wrap: the aggregation key has %d commitments, want none", len(vk.CommitmentKeys))
	}
	return &UniversalCircuit{vk: vk, Witness: stdgroth16.Witness[fr]{Public: make([]emulated.Element[fr], 2)}}, nil
}

// Define implements frontend.Circuit.
func (c *UniversalCircuit) Define(api frontend.API) error {
	return verify(api, &c.vk, &c.Proof, &c.Witness, []frontend.Variable{c.Statement, c.Allow}, []int{facts.StatementBits, universal.AllowBits})
}

// AssignUniversal builds the wrap's assignment from a universal aggregation proof and its
// public witness.
func AssignUniversal(aggregation groth16.VerifyingKey, proof groth16.Proof, public witness.Witness) (*UniversalCircuit, error) {
	c, err := NewUniversal(aggregation)
	if err != nil {
		return nil, err
	}
	if c.Proof, err = stdgroth16.ValueOfProof[g1, g2](proof); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	if c.Witness, err = stdgroth16.ValueOfWitness[fr](public); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	pub, err := public.Public()
	if err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	vec, ok := pub.Vector().(frbw6761.Vector)
	if !ok || len(vec) != 2 {
		return nil, fmt.Errorf("wrap: the aggregation witness is not two BW6-761 scalars")
	}
	c.Statement, c.Allow = vec[0].BigInt(new(big.Int)), vec[1].BigInt(new(big.Int))
	return c, nil
}
