// Package circuittest compiles test circuits once per test binary and solves assignments
// against the compiled constraint system: the solver a prover runs, without a proving key.
package circuittest

import (
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

var (
	mu       sync.Mutex
	compiled = map[string]constraint.ConstraintSystem{}
)

// Compile compiles circuit to R1CS over field once per key and returns the cached result.
func Compile(t testing.TB, key string, field *big.Int, circuit frontend.Circuit) constraint.ConstraintSystem {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if ccs, ok := compiled[key]; ok {
		return ccs
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, circuit)
	if err != nil {
		t.Fatalf("compile %s: %v", key, err)
	}
	t.Logf("%s: %d constraints", key, ccs.GetNbConstraints())
	compiled[key] = ccs
	return ccs
}

// Solve reports whether assignment satisfies ccs.
func Solve(ccs constraint.ConstraintSystem, field *big.Int, assignment frontend.Circuit) error {
	w, err := frontend.NewWitness(assignment, field)
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	return ccs.IsSolved(w)
}
