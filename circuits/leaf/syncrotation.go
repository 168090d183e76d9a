package leaf

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"

	"github.com/isthmus-xyz/isthmus/protocol"
)

// SyncRotationClaimCircuit opens a rotation claim (protocol.RotationClaim) of a domain under
// Ethereum's sync committee: its hash, which the aggregation finds in the statement, and its
// committee, next epoch and next committee as field elements, which the aggregation links to
// the proof of the rotation itself (an update signed by the committee, whose attested state
// holds the next committee, whose keys' commitment chain starts at the next period). The
// source domain is the claim's own: the Inbox binds it to the committee.
//
// Cost (R1CS, BLS12-377): one keccak permutation, see BenchmarkConstraints.
type SyncRotationClaimCircuit struct {
	ClaimHash     [2]frontend.Variable `gnark:",public"`
	Committee     frontend.Variable    `gnark:",public"`
	NextEpoch     frontend.Variable    `gnark:",public"`
	NextCommittee frontend.Variable    `gnark:",public"`

	Encoded [protocol.RotationClaimSize]uints.U8
}

// SyncRotationClaimName is the circuit's name in the key store.
const SyncRotationClaimName = "sync-rotation-claim"

// Define implements frontend.Circuit.
func (c *SyncRotationClaimCircuit) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("sync rotation claim: %w", err)
	}
	enc := c.Encoded[:]
	// The claim's fields as integers, big-endian; a 32-byte commitment is a field element in
	// its one canonical encoding (below the modulus), as the Inbox compares bytes.
	if err := assertRotationClaim(api, bf, enc, c.ClaimHash); err != nil {
		return fmt.Errorf("sync rotation claim: %w", err)
	}
	api.AssertIsEqual(fieldElement(api, byteValues(bf, enc[rotCommittee:rotEpoch])), c.Committee)
	api.AssertIsEqual(bigEndian(api, bf, enc[rotEpoch:rotNext]), c.NextEpoch)
	api.AssertIsEqual(fieldElement(api, byteValues(bf, enc[rotNext:])), c.NextCommittee)
	return nil
}

// AssignSyncRotationClaim is the witness of the leaf for claim r.
func AssignSyncRotationClaim(r protocol.RotationClaim) *SyncRotationClaimCircuit {
	a := &SyncRotationClaimCircuit{ClaimHash: halves(r.Hash()),
		Committee: new(big.Int).SetBytes(r.Committee[:]), NextEpoch: r.NextEpoch, NextCommittee: new(big.Int).SetBytes(r.NextCommittee[:])}
	copy(a.Encoded[:], uints.NewU8Array(r.Encode()))
	return a
}
