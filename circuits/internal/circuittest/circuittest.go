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
	ccs, _ := compile(t, key, field, circuit)
	return ccs
}

func compile(t testing.TB, key string, field *big.Int, circuit frontend.Circuit) (constraint.ConstraintSystem, bool) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if ccs, ok := compiled[key]; ok {
		return ccs, false
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, circuit)
	if err != nil {
		t.Fatalf("compile %s: %v", key, err)
	}
	t.Logf("%s: %d constraints", key, ccs.GetNbConstraints())
	compiled[key] = ccs
	return ccs, true
}

// IsSolved reports whether assignment satisfies the circuit placeholder defines, by the
// solver a prover runs against the circuit compiled once per key in a test (Compiled).
// Where a circuit is solved more than once it is the cheaper check: on the SHA-256 circuits
// of the sync committee a compile costs about one run of gnark's test engine
// (test.IsSolved) and a solve a quarter of one.
func IsSolved(t testing.TB, key string, field *big.Int, placeholder, assignment frontend.Circuit) error {
	t.Helper()
	return Solve(Compiled(t, key, field, placeholder), field, assignment)
}

// Compiled compiles placeholder to R1CS over field once per key, kept until the test that
// compiled it ends (where Compile keeps it for the test binary). A key names one circuit:
// the placeholders given with it must compile alike.
func Compiled(t testing.TB, key string, field *big.Int, placeholder frontend.Circuit) constraint.ConstraintSystem {
	t.Helper()
	ccs, fresh := compile(t, key, field, placeholder)
	if fresh {
		t.Cleanup(func() {
			mu.Lock()
			delete(compiled, key)
			mu.Unlock()
		})
	}
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
