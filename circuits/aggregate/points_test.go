package aggregate

import (
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	bls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/fp"
	"github.com/consensys/gnark/backend/groth16"
	groth16bls12377 "github.com/consensys/gnark/backend/groth16/bls12-377"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
)

// batchOfStandIns is a valid assignment of the aggregation of shape 1x1x1x1 over stand-in
// leaves: public inputs chosen to link as real leaves' do (one claim, each chain a single
// leaf step, one rotation), proofs of stand-in circuits that prove any inputs.
type batchOfStandIns struct {
	keys      Keys
	stmt      Leaf
	claims    []ClaimLeaves
	rotations []Leaf
	public    *big.Int

	// statementWith is the statement leaf with another rotation hash; rotationOf a rotation
	// leaf of a claim hash.
	statementWith func(rotHi, rotLo int64) Leaf
	rotationOf    func(hi, lo int64) Leaf
}

var standInShape = Shape{Claims: 1, AccountSteps: 1, StorageSteps: 1, Rotations: 1}

func (b *batchOfStandIns) solve(t *testing.T, stmt Leaf, claims []ClaimLeaves, rotations []Leaf) error {
	t.Helper()
	placeholder, err := New(standInShape, b.keys)
	if err != nil {
		t.Fatal(err)
	}
	field := ecc.BW6_761.ScalarField()
	ccs := circuittest.Compile(t, "aggregate-1x1x1x1-standins", field, placeholder)
	a, err := Assign(standInShape, b.keys, b.public, stmt, claims, nil, nil, rotations, nil)
	if err != nil {
		t.Fatal(err)
	}
	return circuittest.Solve(ccs, field, a)
}

// newBatchOfStandIns returns the batch of stand-ins, made once per test binary: the compiled
// aggregation fixes its keys.
func newBatchOfStandIns(t *testing.T) *batchOfStandIns {
	standInsOnce.Do(func() { standIns = makeBatchOfStandIns(t) })
	if standIns == nil {
		t.Fatal("no batch of stand-ins")
	}
	return standIns
}

var (
	standInsOnce sync.Once
	standIns     *batchOfStandIns
)

func makeBatchOfStandIns(t *testing.T) *batchOfStandIns {
	f := ecc.BLS12_377.ScalarField()
	stmt := circuittest.NewStandIn(t, f, StatementInputs(1, 0, 1), true)
	rot := circuittest.NewStandIn(t, f, RotationInputs, true)
	hdr := circuittest.NewStandIn(t, f, HeaderInputs, true)
	step := circuittest.NewStandIn(t, f, StepInputs, true)
	opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), f)
	ints := func(vs ...int64) []*big.Int {
		out := make([]*big.Int, len(vs))
		for i, v := range vs {
			out[i] = big.NewInt(v)
		}
		return out
	}
	leafOf := func(s *circuittest.StandIn, public []*big.Int) Leaf {
		p, w := s.Prove(t, public, opt)
		return Leaf{Proof: p, Public: w}
	}
	const (
		src, committee, number = 7, 5, 100
		hashHi, hashLo         = 11, 12
		stateHi, stateLo       = 21, 22
		storageHi, storageLo   = 31, 32
	)
	accountKey, wordKey, accKey := ints(41, 42), ints(43, 44), ints(45, 46)
	word, acc := ints(51, 52), ints(53, 54)
	stmtHi, stmtLo := big.NewInt(3), big.NewInt(9)

	stmtInputs := append(ints(0, 0, src, committee, number, hashHi, hashLo), append(append(append(append(accountKey, wordKey...), accKey...), word...), acc...)...)
	stmtInputs[0], stmtInputs[1] = stmtHi, stmtLo
	const rotHi, rotLo = 71, 72
	stepOf := func(node, key, out []*big.Int, account bool) Leaf {
		shape := leaf.PackShape(0, mpt.KeyNibbles, true, account, false, false)
		in := append(append(append(append([]*big.Int{}, node...), key...), out...), new(big.Int).SetUint64(shape))
		return leafOf(step, in)
	}
	b := &batchOfStandIns{
		keys:   Keys{Statement: stmt.VK, Header: hdr.VK, Step: step.VK, Rotation: rot.VK},
		public: new(big.Int).Add(new(big.Int).Lsh(stmtHi, 128), stmtLo),
		statementWith: func(hi, lo int64) Leaf {
			return leafOf(stmt, append(append([]*big.Int{}, stmtInputs...), ints(hi, lo)...))
		},
		rotationOf: func(hi, lo int64) Leaf { return leafOf(rot, ints(hi, lo)) },
	}
	b.stmt = b.statementWith(rotHi, rotLo)
	b.rotations = []Leaf{b.rotationOf(rotHi, rotLo)}
	var cl ClaimLeaves
	cl.Header = leafOf(hdr, ints(src, committee, number, hashHi, hashLo, stateHi, stateLo, 61, 62))
	cl.Chains[AccountChain] = []Leaf{stepOf(ints(stateHi, stateLo), accountKey, ints(storageHi, storageLo), true)}
	cl.Chains[WordChain] = []Leaf{stepOf(ints(storageHi, storageLo), wordKey, word, false)}
	cl.Chains[AccChain] = []Leaf{stepOf(ints(storageHi, storageLo), accKey, acc, false)}
	b.claims = []ClaimLeaves{cl}
	return b
}

// g1Torsion is a point of BLS12-377's G1 curve outside the prime-order subgroup: [r]P for a
// point P of the curve, whose order divides the cofactor.
func g1Torsion(t *testing.T) bls12377.G1Affine {
	var x, y, one fp.Element
	one.SetOne()
	for x.SetUint64(2); ; x.Add(&x, &one) {
		var rhs fp.Element
		rhs.Square(&x).Mul(&rhs, &x).Add(&rhs, &one) // y² = x³ + 1
		if y.Sqrt(&rhs) != nil {
			break
		}
	}
	p := bls12377.G1Affine{X: x, Y: y}
	var pj, acc bls12377.G1Jac
	pj.FromAffine(&p)
	r := ecc.BLS12_377.ScalarField()
	for i := r.BitLen() - 1; i >= 0; i-- { // double-and-add: GLV assumes the subgroup
		acc.DoubleAssign()
		if r.Bit(i) == 1 {
			acc.AddAssign(&pj)
		}
	}
	var out bls12377.G1Affine
	out.FromJacobian(&acc)
	if out.IsInfinity() || !out.IsOnCurve() || out.IsInSubGroup() {
		t.Fatal("no torsion point outside the subgroup")
	}
	return out
}

// An inner proof whose points are off the curve or outside the prime-order subgroup is refused,
// which Groth16's soundness assumes (stdgroth16.WithSubgroupCheck on every leaf).
func TestHardeningAggregationRefusesPointsOutsideTheGroup(t *testing.T) {
	b := newBatchOfStandIns(t)
	solve := func(stmt Leaf, claims []ClaimLeaves, rotations []Leaf) error {
		return b.solve(t, stmt, claims, rotations)
	}
	if err := solve(b.stmt, b.claims, b.rotations); err != nil {
		t.Fatalf("the valid batch is refused: %v", err)
	}

	torsion := g1Torsion(t)
	add := func(p *bls12377.G1Affine) { p.Add(p, &torsion) }
	offCurve := func(p *bls12377.G1Affine) {
		var one fp.Element
		one.SetOne()
		p.Y.Add(&p.Y, &one)
	}
	mutations := map[string]func(*groth16bls12377.Proof){
		"A off the curve":                  func(p *groth16bls12377.Proof) { offCurve(&p.Ar) },
		"A outside the subgroup":           func(p *groth16bls12377.Proof) { add(&p.Ar) },
		"C outside the subgroup":           func(p *groth16bls12377.Proof) { add(&p.Krs) },
		"commitment outside the subgroup":  func(p *groth16bls12377.Proof) { add(&p.Commitments[0]) },
		"proof of knowledge off the curve": func(p *groth16bls12377.Proof) { offCurve(&p.CommitmentPok) },
		"B off the twist": func(p *groth16bls12377.Proof) {
			var one fp.Element
			one.SetOne()
			p.Bs.Y.A0.Add(&p.Bs.Y.A0, &one)
		},
	}
	for name, mutate := range mutations {
		for _, where := range []string{"statement leaf", "header leaf", "state step", "rotation leaf"} {
			t.Run(name+" in the "+where, func(t *testing.T) {
				stmt, claims, rotations := b.stmt, append([]ClaimLeaves(nil), b.claims...), append([]Leaf(nil), b.rotations...)
				target := &stmt
				switch where {
				case "rotation leaf":
					target = &rotations[0]
				case "header leaf":
					target = &claims[0].Header
				case "state step":
					claims[0].Chains[WordChain] = append([]Leaf(nil), claims[0].Chains[WordChain]...)
					target = &claims[0].Chains[WordChain][0]
				}
				p := *target.Proof.(*groth16bls12377.Proof)
				p.Commitments = append([]bls12377.G1Affine(nil), p.Commitments...)
				mutate(&p)
				var proof groth16.Proof = &p
				target.Proof = proof
				if err := solve(stmt, claims, rotations); err == nil {
					t.Fatal("accepted")
				}
			})
		}
	}
}

// A used rotation slot (a non-zero hash in the statement) takes only the rotation leaf of that
// claim; an unused one (hash zero) takes any valid rotation leaf, and the statement leaf
// counts it out of the statement.
func TestAggregationLinksRotations(t *testing.T) {
	b := newBatchOfStandIns(t)
	if err := b.solve(t, b.stmt, b.claims, []Leaf{b.rotationOf(71, 72)}); err != nil {
		t.Fatalf("the rotation's own leaf is refused: %v", err)
	}
	for name, rot := range map[string]Leaf{"high half": b.rotationOf(70, 72), "low half": b.rotationOf(71, 73)} {
		if b.solve(t, b.stmt, b.claims, []Leaf{rot}) == nil {
			t.Errorf("a rotation leaf of another claim (%s) accepted", name)
		}
	}
	if err := b.solve(t, b.statementWith(0, 0), b.claims, []Leaf{b.rotationOf(5, 6)}); err != nil {
		t.Fatalf("an unused slot with any leaf is refused: %v", err)
	}
	if b.solve(t, b.statementWith(0, 72), b.claims, []Leaf{b.rotationOf(5, 6)}) == nil {
		t.Error("a used slot of hash (0, 72) took another claim's leaf")
	}
}
