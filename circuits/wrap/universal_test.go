package wrap

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
)

// TestUniversalWrap: the wrap of the universal aggregation exposes its two public inputs,
// each only below its width (2^252 for the statement, 2^248 for the allow-list root), and
// only as they are.
func TestUniversalWrap(t *testing.T) {
	agg := circuittest.NewStandIn(t, ecc.BW6_761.ScalarField(), 2, false)
	placeholder, err := NewUniversal(agg.VK)
	if err != nil {
		t.Fatal(err)
	}
	field := ecc.BN254.ScalarField()
	ccs := circuittest.Compile(t, "universal-wrap-standin", field, placeholder)
	top := func(bits int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(bits)) }
	minus1 := func(v *big.Int) *big.Int { return new(big.Int).Sub(v, big.NewInt(1)) }
	solve := func(statement, allow *big.Int, change func(*UniversalCircuit)) error {
		proof, public := agg.Prove(t, []*big.Int{statement, allow}, stdgroth16.GetNativeProverOptions(field, ecc.BW6_761.ScalarField()))
		a, err := AssignUniversal(agg.VK, proof, public)
		if err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(a)
		}
		return circuittest.Solve(ccs, field, a)
	}
	stmt, allow := minus1(top(facts.StatementBits)), minus1(top(universal.AllowBits))
	if err := solve(stmt, allow, nil); err != nil {
		t.Fatalf("the valid proof is refused: %v", err)
	}
	for name, err := range map[string]error{
		"a statement of 2^252": solve(top(facts.StatementBits), allow, nil),
		"a root of 2^248":      solve(stmt, top(universal.AllowBits), nil),
		"another statement":    solve(stmt, allow, func(a *UniversalCircuit) { a.Statement = minus1(stmt) }),
		"another root":         solve(stmt, allow, func(a *UniversalCircuit) { a.Allow = minus1(allow) }),
		"the inputs swapped":   solve(big.NewInt(7), big.NewInt(9), func(a *UniversalCircuit) { a.Statement, a.Allow = a.Allow, a.Statement }),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewUniversal(circuittest.StandInKey(t, ecc.BW6_761.ScalarField(), 1, false)); err == nil {
		t.Error("an aggregation key of one public input was taken")
	}
}
