package synccommittee

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"

	"fmt"
	"github.com/consensys/gnark/frontend"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// The branch circuit, by the solver, on every branch of the shared mainnet data: the
// bootstrap's current committee, and per update the finalized header under the attested
// state, the next committee under it, and each header's execution payload under its body.
// A changed node, another leaf, and a branch of another index fail.
func TestSyncCommitteeBranchCircuit(t *testing.T) {
	cfg := Mainnet()
	type branchCase struct {
		name       string
		gindex     uint64
		leaf, root [32]byte
		branch     []common.Hash
	}
	var cases []branchCase
	_, b := mainnetStore(t)
	com, err := cfg.NewCommittee(&b.CurrentSyncCommittee)
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, branchCase{"bootstrap: current committee", CurrentSyncCommitteeGindex, com.Root, b.Header.Beacon.StateRoot, b.CurrentSyncCommitteeBranch})
	payload := func(h *LightClientHeader) [32]byte {
		e, err := h.Execution.Header()
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Root()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, u := range mainnetUpdates(t) {
		attested := u.AttestedHeader.Beacon.Header()
		fin := u.FinalizedHeader.Beacon.Header()
		next, err := cfg.NewCommittee(u.NextSyncCommittee)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			branchCase{"finalized header", FinalizedRootGindex, fin.Root(), attested.StateRoot, u.FinalityBranch},
			branchCase{"next committee", NextSyncCommitteeGindex, next.Root, attested.StateRoot, u.NextSyncCommitteeBranch},
			branchCase{"finalized execution payload", ExecutionPayloadGindex, payload(u.FinalizedHeader), fin.BodyRoot, u.FinalizedHeader.ExecutionBranch},
			branchCase{"attested execution payload", ExecutionPayloadGindex, payload(&u.AttestedHeader), attested.BodyRoot, u.AttestedHeader.ExecutionBranch},
		)
	}
	for i, c := range cases {
		if err := VerifyBranch(c.leaf, c.branch, c.gindex, c.root); err != nil {
			t.Fatalf("%s: native: %v", c.name, err)
		}
		a, err := AssignBranch(c.gindex, c.leaf, c.root, c.branch)
		if err != nil {
			t.Fatal(err)
		}
		if err := solveBranch(t, c.gindex, a); err != nil {
			t.Fatalf("%s (%d): %v", c.name, i, err)
		}
		if i != 1 && i != 3 {
			continue // the refusals on the first update's finality and execution branches
		}
		bad, _ := AssignBranch(c.gindex, c.leaf, c.root, c.branch)
		bad.Branch[1][7] = uints.NewU8(c.branch[1][7] ^ 1)
		if solveBranch(t, c.gindex, bad) == nil {
			t.Errorf("%s: a changed node solved", c.name)
		}
		leaf := c.leaf
		leaf[0] ^= 1
		bad, _ = AssignBranch(c.gindex, leaf, c.root, c.branch)
		if solveBranch(t, c.gindex, bad) == nil {
			t.Errorf("%s: another leaf solved", c.name)
		}
	}
	// The current committee's branch is not the next committee's: same depth, another index.
	c := cases[0]
	a, _ := AssignBranch(NextSyncCommitteeGindex, c.leaf, c.root, c.branch)
	if solveBranch(t, NextSyncCommitteeGindex, a) == nil {
		t.Error("the current committee's branch solved as the next committee's")
	}
}

// solveBranch solves a by the branch circuit of gindex, compiled once per index in a test.
func solveBranch(t *testing.T, gindex uint64, a frontend.Circuit) error {
	t.Helper()
	return circuittest.IsSolved(t, fmt.Sprintf("branch at gindex %d", gindex), ecc.BLS12_377.ScalarField(), NewBranchCircuit(gindex), a)
}
