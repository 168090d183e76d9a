package leaf

import (
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
)

// fieldElement is the field element that 32 byte values encode, big-endian, asserted to be
// its one canonical encoding: the integer is below the field's modulus r. Read modulo r
// instead, the bytes of x + r (13 to 14 integers below 2^256 for BLS12-377's r) would pass
// for x in the circuit while naming another commitment to the Inbox, which compares bytes:
// a proof of a rotation to such bytes would seat a commitment no honest claim repeats.
//
// Cost: ~260 constraints (two 128-bit decompositions and a zero test).
func fieldElement(api frontend.API, b []frontend.Variable) frontend.Variable {
	h := mpt.Ref(api, b) // high and low 128 bits
	assertBelowModulus(api, h)
	return api.Add(api.Mul(h[0], new(big.Int).Lsh(big.NewInt(1), 128)), h[1])
}

// assertBelowModulus asserts that hi·2^128 + lo, with hi and lo below 2^128, is below the
// field's modulus r = rHi·2^128 + rLo: hi ≤ rHi, and lo < rLo where hi = rHi.
func assertBelowModulus(api frontend.API, h [2]frontend.Variable) {
	r := api.Compiler().Field()
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	rHi, rLo := new(big.Int).Rsh(r, 128), new(big.Int).And(r, mask)
	// rHi − hi fits 128 bits only where hi ≤ rHi: below, it wraps to about r.
	dHi := api.Sub(rHi, h[0])
	api.ToBinary(dHi, 128)
	// Where hi = rHi: rLo − 1 − lo fits 128 bits only where lo < rLo.
	api.ToBinary(api.Mul(api.IsZero(dHi), api.Sub(new(big.Int).Sub(rLo, big.NewInt(1)), h[1])), 128)
}
