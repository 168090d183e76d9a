package wrap

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	bw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761"
	"github.com/consensys/gnark-crypto/ecc/bw6-761/fp"
	"github.com/consensys/gnark/backend/groth16"
	groth16bw6761 "github.com/consensys/gnark/backend/groth16/bw6-761"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// g1Torsion is a point of BW6-761's G1 curve outside the prime-order subgroup: [r]P for a
// point P of the curve, whose order divides the cofactor.
func g1Torsion(t *testing.T) bw6761.G1Affine {
	_, _, gen, _ := bw6761.Generators()
	var b, x, y, one fp.Element
	b.Square(&gen.Y)
	var x3 fp.Element
	x3.Square(&gen.X).Mul(&x3, &gen.X)
	b.Sub(&b, &x3) // y² = x³ + b
	one.SetOne()
	for x.SetUint64(2); ; x.Add(&x, &one) {
		var rhs fp.Element
		rhs.Square(&x).Mul(&rhs, &x).Add(&rhs, &b)
		if y.Sqrt(&rhs) != nil {
			break
		}
	}
	var pj, acc bw6761.G1Jac
	pj.FromAffine(&bw6761.G1Affine{X: x, Y: y})
	r := ecc.BW6_761.ScalarField()
	for i := r.BitLen() - 1; i >= 0; i-- { // double-and-add: GLV assumes the subgroup
		acc.DoubleAssign()
		if r.Bit(i) == 1 {
			acc.AddAssign(&pj)
		}
	}
	var out bw6761.G1Affine
	out.FromJacobian(&acc)
	if out.IsInfinity() || !out.IsOnCurve() || out.IsInSubGroup() {
		t.Fatal("no torsion point outside the subgroup")
	}
	return out
}

// The wrap refuses an aggregation proof whose points lie outside the prime-order subgroup
// (A + T or C + T for a torsion point T, which the pairing alone does not see), off the
// curve, and a proof of another statement; it accepts the valid one.
func TestHardeningWrapRefusesPointsOutsideTheGroup(t *testing.T) {
	agg := circuittest.NewStandIn(t, ecc.BW6_761.ScalarField(), 1, false)
	statement := new(big.Int).Lsh(big.NewInt(1), 252)
	proof, public := agg.Prove(t, []*big.Int{statement}, stdgroth16.GetNativeProverOptions(ecc.BN254.ScalarField(), ecc.BW6_761.ScalarField()))
	placeholder, err := New(agg.VK)
	if err != nil {
		t.Fatal(err)
	}
	field := ecc.BN254.ScalarField()
	ccs := circuittest.Compile(t, "wrap-standin", field, placeholder)
	solve := func(p groth16.Proof) error {
		a, err := Assign(agg.VK, p, public)
		if err != nil {
			t.Fatal(err)
		}
		return circuittest.Solve(ccs, field, a)
	}
	if err := solve(proof); err != nil {
		t.Fatalf("the valid proof is refused: %v", err)
	}
	torsion := g1Torsion(t)
	for name, mutate := range map[string]func(*groth16bw6761.Proof){
		"A outside the subgroup": func(p *groth16bw6761.Proof) { p.Ar.Add(&p.Ar, &torsion) },
		"C outside the subgroup": func(p *groth16bw6761.Proof) { p.Krs.Add(&p.Krs, &torsion) },
		"A off the curve": func(p *groth16bw6761.Proof) {
			var one fp.Element
			one.SetOne()
			p.Ar.Y.Add(&p.Ar.Y, &one)
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := *proof.(*groth16bw6761.Proof)
			mutate(&p)
			if err := solve(&p); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
