package leaf

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The sync rotation claim leaf opens a claim as go-ethereum's keccak hashes its encoding
// (protocol.RotationClaim.Hash); refused: another hash, kind, committee, epoch or next
// committee in the public inputs than the encoding's, an encoding byte changed under the
// same inputs.
func TestSyncRotationClaimLeaf(t *testing.T) {
	ccs := circuittest.Compile(t, "sync rotation claim leaf", field, &SyncRotationClaimCircuit{})
	solve := func(a *SyncRotationClaimCircuit) error { return circuittest.Solve(ccs, field, a) }
	r := protocol.RotationClaim{SrcDomain: srcDomain, NextEpoch: 863}
	copy(r.Committee[1:], crypto.Keccak256([]byte("committee of period 862"))[:31])
	copy(r.NextCommittee[1:], crypto.Keccak256([]byte("committee of period 863"))[:31])
	a := AssignSyncRotationClaim(r)
	h := crypto.Keccak256Hash(r.Encode())
	if toBig(a.ClaimHash[0]).Cmp(new(big.Int).SetBytes(h[:16])) != 0 || toBig(a.ClaimHash[1]).Cmp(new(big.Int).SetBytes(h[16:])) != 0 {
		t.Fatal("the assignment's hash is not the encoding's keccak")
	}
	if err := solve(a); err != nil {
		t.Fatalf("the claim is refused: %v", err)
	}
	bump := func(v frontend.Variable) frontend.Variable { return new(big.Int).Add(toBig(v), big.NewInt(1)) }
	for name, mutate := range map[string]func(a *SyncRotationClaimCircuit){
		"another claim hash":     func(a *SyncRotationClaimCircuit) { a.ClaimHash[0] = bump(a.ClaimHash[0]) },
		"another committee":      func(a *SyncRotationClaimCircuit) { a.Committee = bump(a.Committee) },
		"another next epoch":     func(a *SyncRotationClaimCircuit) { a.NextEpoch = bump(a.NextEpoch) },
		"another next committee": func(a *SyncRotationClaimCircuit) { a.NextCommittee = bump(a.NextCommittee) },
		"another kind": func(a *SyncRotationClaimCircuit) {
			a.Encoded[rotKind] = uints.NewU8(byte(protocol.KindLaneHead))
		},
		"a source domain byte changed": func(a *SyncRotationClaimCircuit) { a.Encoded[rotSrc+3] = uints.NewU8(r.Encode()[rotSrc+3] ^ 1) },
	} {
		b := AssignSyncRotationClaim(r)
		mutate(b)
		if solve(b) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
