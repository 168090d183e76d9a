package leaf

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// RotationCircuit proves a rotation claim (protocol.RotationClaim): more than two thirds of
// the weight of the committee the claim names signed its successor, the commitment of the
// claim's next epoch, for the claim's source domain. It exposes the claim's hash, which the
// aggregation circuit finds in the statement. The committee's capacity is fixed at compile
// time, as the header leaf's.
//
// What the members sign (committee.RotationDigest) carries its own domain tag, so a
// signature of a header is never one of a rotation; and the source domain and the epoch, so
// a rotation of one domain or epoch is never one of another.
//
// Cost (R1CS, BLS12-377): 269,557 constraints at capacity 4 (one keccak permutation, four
// EdDSA verifications); Groth16 setup 211 s on 2 cores, shared with other work.
type RotationCircuit struct {
	ClaimHash [2]frontend.Variable `gnark:",public"`

	Encoded [protocol.RotationClaimSize]uints.U8
	Signers committee.Witness
}

// NewRotationCircuit is the placeholder to compile a rotation leaf for a committee capacity.
func NewRotationCircuit(capacity int) *RotationCircuit {
	return &RotationCircuit{Signers: committee.Placeholder(capacity)}
}

// Offsets of the fields of a packed rotation claim (protocol.RotationClaim.Encode).
const (
	rotKind, rotSrc, rotCommittee, rotEpoch, rotNext = 0, 1, 5, 37, 45
)

// Define implements frontend.Circuit.
func (c *RotationCircuit) Define(api frontend.API) error {
	return rotationRules(api, c.ClaimHash, c.Encoded[:], c.Signers)
}

// rotationRules proves RotationCircuit's rules: enc is a rotation claim of hash claimHash
// that signers signed.
func rotationRules(api frontend.API, claimHash [2]frontend.Variable, enc []uints.U8, signers committee.Witness) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("rotation leaf: %w", err)
	}
	number := func(bs []uints.U8) frontend.Variable { return bigEndian(api, bf, bs) }
	if err := assertRotationClaim(api, bf, enc, claimHash); err != nil {
		return fmt.Errorf("rotation leaf: %w", err)
	}

	digest, err := committee.RotationDigest(api, number(enc[rotSrc:rotCommittee]), number(enc[rotEpoch:rotNext]),
		number(enc[rotNext:rotNext+16]), number(enc[rotNext+16:]))
	if err != nil {
		return fmt.Errorf("rotation leaf: %w", err)
	}
	// The committee's commitment is a field element: its 32 bytes, big-endian and canonical.
	if err := committee.AssertQuorum(api, signers, fieldElement(api, byteValues(bf, enc[rotCommittee:rotEpoch])), digest); err != nil {
		return fmt.Errorf("rotation leaf: %w", err)
	}
	return nil
}

// assertRotationClaim asserts that enc is a packed rotation claim (its kind byte) whose
// keccak256 is claimHash, in two 128-bit halves.
func assertRotationClaim(api frontend.API, bf *uints.Bytes, enc []uints.U8, claimHash [2]frontend.Variable) error {
	return assertClaimOf(api, bf, protocol.KindRotation, enc, claimHash)
}

// assertClaimOf asserts that enc is a packed claim of kind whose keccak256 is claimHash, in
// two 128-bit halves.
func assertClaimOf(api frontend.API, bf *uints.Bytes, kind protocol.ClaimKind, enc []uints.U8, claimHash [2]frontend.Variable) error {
	api.AssertIsEqual(bf.Value(enc[rotKind]), uint8(kind))
	h, err := sha3.NewLegacyKeccak256(api)
	if err != nil {
		return fmt.Errorf("keccak: %w", err)
	}
	h.Write(enc)
	sum := h.Sum()
	hash := make([]frontend.Variable, len(sum))
	for i := range sum {
		hash[i] = bf.Value(sum[i])
	}
	assertHalves(api, hash, claimHash)
	return nil
}

// AssignRotation builds the witness of a rotation leaf: the claim, the current committee
// (whose commitment the claim must name) and its members' signatures of the rotation.
func AssignRotation(r protocol.RotationClaim, c committee.Committee, sigs map[int]*eddsanative.Signature, capacity int) (*RotationCircuit, common.Hash, error) {
	if got := c.CommitmentHash(); got != r.Committee {
		return nil, common.Hash{}, fmt.Errorf("rotation leaf: the claim names committee %s, the signers' is %s", r.Committee, got)
	}
	w, err := committee.ValueOf(c, sigs, capacity)
	if err != nil {
		return nil, common.Hash{}, fmt.Errorf("rotation leaf: %w", err)
	}
	h := r.Hash()
	a := &RotationCircuit{ClaimHash: halves(h), Signers: w}
	copy(a.Encoded[:], uints.NewU8Array(r.Encode()))
	return a, h, nil
}
