package committee

import (
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards"
	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

const testCapacity = 4

var field = ecc.BLS12_377.ScalarField()

type quorumCircuit struct {
	Committee                         Witness
	Commitment                        frontend.Variable
	SrcDomain, Number, HashHi, HashLo frontend.Variable
}

func (c *quorumCircuit) Define(api frontend.API) error {
	d, err := Digest(api, c.SrcDomain, c.Number, c.HashHi, c.HashLo)
	if err != nil {
		return err
	}
	return AssertQuorum(api, c.Committee, c.Commitment, d)
}

type fixture struct {
	keys      []*eddsanative.PrivateKey
	committee Committee
	srcDomain uint32
	number    uint64
	blockHash common.Hash
}

func newFixture(t *testing.T, weights ...uint64) *fixture {
	f := &fixture{srcDomain: 1, number: 21_925_176, blockHash: common.HexToHash("0x5c9b2c30cd0b3bd2f1e5d8a8d2d2d9b37a4c6e0a1f4e9b8c7d6e5f4a3b2c1d0e")}
	for i, w := range weights {
		k, err := KeyFromSeed(sha256.Sum256([]byte{byte(i)}))
		if err != nil {
			t.Fatal(err)
		}
		f.keys = append(f.keys, k)
		f.committee = append(f.committee, Member{PublicKey: k.PublicKey, Weight: w})
	}
	return f
}

func (f *fixture) sign(t *testing.T, signers ...int) map[int]*eddsanative.Signature {
	sigs := map[int]*eddsanative.Signature{}
	d := DigestNative(f.srcDomain, f.number, f.blockHash)
	for _, i := range signers {
		s, err := Sign(f.keys[i], d)
		if err != nil {
			t.Fatal(err)
		}
		sigs[i] = s
	}
	return sigs
}

func (f *fixture) assignment(t *testing.T, sigs map[int]*eddsanative.Signature) *quorumCircuit {
	w, err := ValueOf(f.committee, sigs, testCapacity)
	if err != nil {
		t.Fatal(err)
	}
	hi, lo := HashHalves(f.blockHash)
	c := f.committee.Commitment()
	return &quorumCircuit{Committee: w, Commitment: c.BigInt(new(big.Int)), SrcDomain: f.srcDomain, Number: f.number,
		HashHi: hi.BigInt(new(big.Int)), HashLo: lo.BigInt(new(big.Int))}
}

func solver(t *testing.T) func(*quorumCircuit) error {
	ccs := circuittest.Compile(t, "committee-4", field, &quorumCircuit{Committee: Placeholder(testCapacity)})
	return func(a *quorumCircuit) error { return circuittest.Solve(ccs, field, a) }
}

func TestNativeSignVerifyQuorum(t *testing.T) {
	f := newFixture(t, 7, 7, 7, 1)
	d := DigestNative(f.srcDomain, f.number, f.blockHash)
	sig := f.sign(t, 0)[0]
	if !Verify(&f.keys[0].PublicKey, d, sig) {
		t.Fatal("a signature does not verify")
	}
	if Verify(&f.keys[1].PublicKey, d, sig) || Verify(&f.keys[0].PublicKey, DigestNative(2, f.number, f.blockHash), sig) {
		t.Fatal("a signature verifies for another key or digest")
	}
	for _, tc := range []struct {
		signed []bool
		want   bool
	}{
		{[]bool{true, true, false, true}, true},   // 15 of 22
		{[]bool{true, true, false, false}, false}, // 14 of 22: one unit short
		{[]bool{true, true, true, true}, true},
		{nil, false},
	} {
		if got := f.committee.HasQuorum(tc.signed); got != tc.want {
			t.Errorf("HasQuorum(%v) = %v", tc.signed, got)
		}
	}
	dup := append(Committee(nil), f.committee...)
	dup[3].PublicKey = dup[0].PublicKey
	if dup.Validate(testCapacity) == nil {
		t.Error("Validate accepts a repeated key")
	}
	// Keys from the same seed are the same key: seeds are the validators' secrets.
	k, err := KeyFromSeed(sha256.Sum256([]byte{0}))
	if err != nil || !k.PublicKey.Equal(&f.keys[0].PublicKey) {
		t.Fatal("KeyFromSeed is not deterministic")
	}
}

func TestQuorumCircuitAcceptsValid(t *testing.T) {
	solve := solver(t)
	f := newFixture(t, 7, 7, 7, 1)
	for name, signers := range map[string][]int{"15 of 22": {0, 1, 3}, "all": {0, 1, 2, 3}, "21 of 22": {0, 1, 2}} {
		if err := solve(f.assignment(t, f.sign(t, signers...))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	small := newFixture(t, 5, 5, 5) // three members in a capacity of four
	if err := solve(small.assignment(t, small.sign(t, 0, 1, 2))); err != nil {
		t.Errorf("committee below capacity: %v", err)
	}
}

func TestQuorumCircuitRefuses(t *testing.T) {
	solve := solver(t)
	f := newFixture(t, 7, 7, 7, 1)
	valid := func() *quorumCircuit { return f.assignment(t, f.sign(t, 0, 1, 3)) }
	cases := map[string]*quorumCircuit{}

	cases["below two thirds by one unit"] = f.assignment(t, f.sign(t, 0, 1))

	a := valid()
	a.Number = f.number + 1
	cases["signatures over another block"] = a

	a = valid()
	a.SrcDomain = f.srcDomain + 1
	cases["signatures over another domain"] = a

	a = valid()
	a.Commitment = new(big.Int).Add(a.Commitment.(*big.Int), big.NewInt(1))
	cases["wrong commitment"] = a

	// S + group order: the same point equation, but S is not reduced.
	a = valid()
	order := twistededwards.GetEdwardsCurve().Order
	s := new(big.Int).SetBytes(f.sign(t, 0)[0].S[:])
	a.Committee.Slots[0].Signature.S = s.Add(s, &order)
	cases["forged signature (S + order)"] = a

	a = valid()
	a.Committee.Slots[1].Signature.S = 12345
	cases["flagged signer with a bad signature"] = a

	a = valid()
	a.Committee.Slots[2].Signed = 1 // member 2 did not sign
	cases["signer flagged without signing"] = a

	small := newFixture(t, 5, 5, 5)
	a = small.assignment(t, small.sign(t, 0, 1, 2))
	a.Committee.Slots[3].Weight = 5 // past the committee's size
	cases["weight past the committee size"] = a

	for name, c := range cases {
		if solve(c) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A committee whose member 3 repeats member 0's key: with its weight counted twice the
// signers would reach a quorum they do not have.
func TestQuorumCircuitRefusesDuplicateSigner(t *testing.T) {
	solve := solver(t)
	f := newFixture(t, 7, 7, 7, 7)
	f.committee[3].PublicKey = f.committee[0].PublicKey
	f.keys[3] = f.keys[0]
	sigs := f.sign(t, 0, 1, 3) // 21 of 28 only if member 0 counts twice
	// ValueOf refuses such a committee, so fill slot 3 by hand from slot 0.
	w, err := ValueOf(f.committee[:3], map[int]*eddsanative.Signature{0: sigs[0], 1: sigs[1]}, testCapacity)
	if err != nil {
		t.Fatal(err)
	}
	w.Size = 4
	w.Slots[3] = w.Slots[0]
	w.Slots[3].Weight = uint64(7)
	c := f.committee.Commitment()
	hi, lo := HashHalves(f.blockHash)
	a := &quorumCircuit{Committee: w, Commitment: c.BigInt(new(big.Int)), SrcDomain: f.srcDomain, Number: f.number,
		HashHi: hi.BigInt(new(big.Int)), HashLo: lo.BigInt(new(big.Int))}
	if solve(a) == nil {
		t.Fatal("a repeated key counted twice reached a quorum")
	}
}

// Weights that wrap around the field: -1 makes the total small, so 14 of "20" would pass.
func TestQuorumCircuitRefusesOverflowingWeights(t *testing.T) {
	solve := solver(t)
	f := newFixture(t, 7, 7, 7, 1)
	a := f.assignment(t, f.sign(t, 0, 1))
	minusOne := new(big.Int).Sub(field, big.NewInt(1))
	a.Committee.Slots[3].Weight = minusOne
	elems := []fr.Element{tagCommittee, fr.NewElement(4)}
	for i, m := range f.committee {
		var w fr.Element
		w.SetUint64(m.Weight)
		if i == 3 {
			w.SetBigInt(minusOne)
		}
		elems = append(elems, m.PublicKey.A.X, m.PublicKey.A.Y, w)
	}
	c := mdHash(elems...)
	a.Commitment = c.BigInt(new(big.Int))
	if solve(a) == nil {
		t.Fatal("a weight of -1 was accepted")
	}
}

// lowOrderKeys are the points of the curve that the cofactor sends to the identity.
func lowOrderKeys(t *testing.T) map[string]twistededwards.PointAffine {
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	keys := map[string]twistededwards.PointAffine{"identity (0, 1)": {Y: fr.One()}, "order 2 (0, -1)": {Y: minusOne}}
	// Order 4: (±1/sqrt(a), 0).
	params := twistededwards.GetEdwardsCurve()
	var x fr.Element
	x.Inverse(&params.A)
	if x.Sqrt(&x) == nil {
		t.Fatal("1/a has no square root")
	}
	keys["order 4 (1/sqrt(a), 0)"] = twistededwards.PointAffine{X: x}
	for name, k := range keys {
		if !k.IsOnCurve() {
			t.Fatalf("%s: not on the curve", name)
		}
	}
	return keys
}

// A low-order key can be signed for by anyone: R = [S]G passes cofactored verification for
// any message. A committee holding one, with 7 of 28 weight forged that way, would reach a
// quorum with two honest signers.
func TestHardeningLowOrderKeyRefused(t *testing.T) {
	solve := solver(t)
	for name, key := range lowOrderKeys(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, 7, 7, 7, 7)
			f.committee[3].PublicKey.A = key
			if !LowOrder(&f.committee[3].PublicKey) {
				t.Fatal("LowOrder misses it")
			}
			if err := f.committee.Validate(testCapacity); err == nil {
				t.Error("the native twin accepts the committee")
			}
			b := key.Bytes()
			var pub eddsanative.PublicKey
			if _, err := pub.SetBytes(b[:]); err == nil {
				t.Error("the public key decoder accepts it")
			}

			sigs := f.sign(t, 0, 1)
			w, err := ValueOf(f.committee[:3], sigs, testCapacity)
			if err != nil {
				t.Fatal(err)
			}
			// The forgery: R = [S]G, for the low-order key and any digest.
			var r twistededwards.PointAffine
			s := big.NewInt(123456789)
			r.ScalarMultiplicationBase(s)
			w.Size = 4
			w.Slots[3].PublicKey.A.X, w.Slots[3].PublicKey.A.Y = key.X.BigInt(new(big.Int)), key.Y.BigInt(new(big.Int))
			w.Slots[3].Weight, w.Slots[3].Signed = 7, 1
			w.Slots[3].Signature.R.X, w.Slots[3].Signature.R.Y = r.X.BigInt(new(big.Int)), r.Y.BigInt(new(big.Int))
			w.Slots[3].Signature.S = s
			c := f.committee.Commitment()
			hi, lo := HashHalves(f.blockHash)
			a := &quorumCircuit{Committee: w, Commitment: c.BigInt(new(big.Int)), SrcDomain: f.srcDomain, Number: f.number,
				HashHi: hi.BigInt(new(big.Int)), HashLo: lo.BigInt(new(big.Int))}
			if solve(a) == nil {
				t.Fatal("the circuit accepts a quorum completed by a low-order key's forged signature")
			}
			// The same forgery on an honest key fails, so the refusal above is the key's.
			a.Committee.Slots[3].PublicKey.A.X, a.Committee.Slots[3].PublicKey.A.Y = f.keys[3].PublicKey.A.X.BigInt(new(big.Int)), f.keys[3].PublicKey.A.Y.BigInt(new(big.Int))
			if solve(a) == nil {
				t.Fatal("a forged signature passes for an honest key")
			}
		})
	}
}
