package wrap

import (
	"math/big"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
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
	vk, w, err := fixedKey(aggregation, 2) // the statement, the allow-list root
	if err != nil {
		return nil, err
	}
	return &UniversalCircuit{vk: vk, Witness: w}, nil
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
	var values []*big.Int
	if c.Proof, c.Witness, values, err = proofOf(proof, public, 2); err != nil {
		return nil, err
	}
	c.Statement, c.Allow = values[0], values[1]
	return c, nil
}
