package committee

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	tedwards "github.com/consensys/gnark-crypto/ecc/twistededwards"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"
	"github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/math/cmp"
	poseidon2perm "github.com/consensys/gnark/std/permutation/poseidon2"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/consensys/gnark/std/signature/eddsa"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
)

// WeightBits bounds each weight: w < 2^64, so sums over any capacity stay far below the field.
const WeightBits = 64

// quorumBits bounds 3·signed − 2·total − 1, which is negative (and wraps to a huge field
// element) exactly when the quorum is short.
const quorumBits = WeightBits + 16

// Slot is one committee position in-circuit: a member and whether (and how) it signed.
type Slot struct {
	PublicKey eddsa.PublicKey
	Weight    frontend.Variable
	Signed    frontend.Variable
	Signature eddsa.Signature
}

// Witness is the committee part of a circuit: Size members in Slots (capacity len(Slots)).
type Witness struct {
	Slots []Slot
	Size  frontend.Variable
}

// Placeholder sizes a witness for compiling a circuit of the given capacity.
func Placeholder(capacity int) Witness {
	return Witness{Slots: make([]Slot, capacity)}
}

// ValueOf assigns a committee and the signatures of its signers (by index) to a witness of
// the given capacity. Empty slots hold the identity key, no weight and no signature.
func ValueOf(c Committee, sigs map[int]*eddsanative.Signature, capacity int) (Witness, error) {
	if err := c.Validate(capacity); err != nil {
		return Witness{}, err
	}
	for i := range sigs {
		if i < 0 || i >= len(c) {
			return Witness{}, fmt.Errorf("%w: signature for member %d of %d", ErrCommittee, i, len(c))
		}
	}
	w := Witness{Slots: make([]Slot, capacity), Size: len(c)}
	for i := range w.Slots {
		s := &w.Slots[i]
		s.PublicKey.A = twistededwards.Point{X: 0, Y: 1}
		s.Weight, s.Signed = 0, 0
		s.Signature.R = twistededwards.Point{X: 0, Y: 1}
		s.Signature.S = 0
		if i >= len(c) {
			continue
		}
		s.PublicKey.Assign(tedwards.BLS12_377, c[i].PublicKey.Bytes())
		s.Weight = c[i].Weight
		if sig, ok := sigs[i]; ok {
			s.Signed = 1
			s.Signature.Assign(tedwards.BLS12_377, sig.Bytes())
		}
	}
	return w, nil
}

// AssertQuorum asserts that w is the committee committed to by commitment and that members
// holding more than two thirds of its weight signed digest.
func AssertQuorum(api frontend.API, w Witness, commitment, digest frontend.Variable) error {
	curve, err := twistededwards.NewEdCurve(api, tedwards.BLS12_377)
	if err != nil {
		return fmt.Errorf("committee: curve: %w", err)
	}
	perm, err := poseidon2perm.NewPoseidon2(api)
	if err != nil {
		return fmt.Errorf("committee: poseidon2: %w", err)
	}
	cofactor := curve.Params().Cofactor
	if cofactor.BitLen() < 2 || new(big.Int).Lsh(big.NewInt(1), uint(cofactor.BitLen()-1)).Cmp(cofactor) != 0 {
		return fmt.Errorf("committee: cofactor %s is not a power of two", cofactor)
	}
	rc := rangecheck.New(api)
	n := len(w.Slots)
	bound := cmp.NewBoundedComparator(api, big.NewInt(int64(2*n+2)), false)
	bound.AssertIsLessEq(w.Size, n)

	state := perm.Compress(perm.Compress(0, tagCommittee.BigInt(new(big.Int))), w.Size)
	var total, signed frontend.Variable = 0, 0
	for i := range w.Slots {
		s := &w.Slots[i]
		active := bound.IsLess(i, w.Size)
		rc.Check(s.Weight, WeightBits)
		api.AssertIsBoolean(s.Signed)
		// Past the committee's size a slot carries neither weight nor a signature.
		inactive := api.Sub(1, active)
		api.AssertIsEqual(api.Mul(inactive, s.Weight), 0)
		api.AssertIsEqual(api.Mul(inactive, s.Signed), 0)
		curve.AssertIsOnCurve(s.PublicKey.A)
		// A key of small order carries no weight: [cofactor]A is the identity exactly when
		// its x is 0 (the only other point with x = 0, (0, -1), would need order 2·cofactor).
		torsion := s.PublicKey.A
		for k := 1; k < cofactor.BitLen(); k++ {
			torsion = curve.Double(torsion)
		}
		api.AssertIsEqual(api.Mul(api.IsZero(torsion.X), s.Weight), 0)

		next := perm.Compress(perm.Compress(perm.Compress(state, s.PublicKey.A.X), s.PublicKey.A.Y), s.Weight)
		state = api.Select(active, next, state)

		h, err := poseidon2.New(api)
		if err != nil {
			return fmt.Errorf("committee: hash: %w", err)
		}
		valid, err := eddsa.IsValid(curve, s.Signature, digest, s.PublicKey, h)
		if err != nil {
			return fmt.Errorf("committee: slot %d: %w", i, err)
		}
		api.AssertIsEqual(api.Mul(s.Signed, api.Sub(1, valid)), 0)

		total = api.Add(total, s.Weight)
		signed = api.Add(signed, api.Mul(s.Signed, s.Weight))
	}
	api.AssertIsEqual(state, commitment)

	// Members that hold weight have distinct keys up to sign (distinct y).
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			same := api.IsZero(api.Sub(w.Slots[i].PublicKey.A.Y, w.Slots[j].PublicKey.A.Y))
			api.AssertIsEqual(api.Mul(same, api.Mul(w.Slots[i].Weight, w.Slots[j].Weight)), 0)
		}
	}

	// 3·signed > 2·total  ⇔  3·signed − 2·total − 1 ∈ [0, 2^quorumBits).
	rc.Check(api.Sub(api.Sub(api.Mul(signed, 3), api.Mul(total, 2)), 1), quorumBits)
	return nil
}

// Digest computes in-circuit the digest validators sign for a block (see the native Digest);
// blockHashHi and blockHashLo are the two 128-bit halves of the block hash.
func Digest(api frontend.API, srcDomain, number, blockHashHi, blockHashLo frontend.Variable) (frontend.Variable, error) {
	return tagged(api, tagHeader, srcDomain, number, blockHashHi, blockHashLo)
}

// RotationDigest computes in-circuit the digest validators sign to hand a domain over to its
// next committee (see the native RotationDigestNative).
func RotationDigest(api frontend.API, srcDomain, nextEpoch, nextHi, nextLo frontend.Variable) (frontend.Variable, error) {
	return tagged(api, tagRotation, srcDomain, nextEpoch, nextHi, nextLo)
}

// tagged is Poseidon2 over a domain tag and elems, the in-circuit twin of mdHash.
func tagged(api frontend.API, tag fr.Element, elems ...frontend.Variable) (frontend.Variable, error) {
	h, err := poseidon2.New(api)
	if err != nil {
		return nil, fmt.Errorf("committee: digest: %w", err)
	}
	h.Write(append([]frontend.Variable{tag.BigInt(new(big.Int))}, elems...)...)
	return h.Sum(), nil
}
