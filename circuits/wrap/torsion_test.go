package wrap

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	bw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761"
	"github.com/consensys/gnark-crypto/ecc/bw6-761/fp"
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
