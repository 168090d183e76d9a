package synccommittee

import (
	"fmt"
	"math/bits"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
)

// BranchCircuit proves that a leaf sits at a generalized index under a root (VerifyBranch):
// the finalized header's root under the attested state (FinalizedRootGindex), a committee's
// root under a state (the sync-committee indices), an execution payload's root under a body
// (ExecutionPayloadGindex). The index is fixed when the circuit is compiled; the leaf and the
// root are public, in 128-bit halves, for the aggregation to link.
//
// R1CS constraints: 131,915 for the lookup tables and 68,913 a level (one SHA-256 of 64
// bytes: two compressions): 407,567 for the execution payload (depth 4), 476,480 for a
// committee (5), 545,393 for the finalized header (6), 614,306 after Electra (7).
type BranchCircuit struct {
	LeafHi, LeafLo frontend.Variable `gnark:",public"`
	RootHi, RootLo frontend.Variable `gnark:",public"`
	Branch         [][32]uints.U8
	gindex         uint64
}

// NewBranchCircuit is the circuit of a generalized index.
func NewBranchCircuit(gindex uint64) *BranchCircuit {
	return &BranchCircuit{Branch: make([][32]uints.U8, bits.Len64(gindex)-1), gindex: gindex}
}

// Define is gnark's.
func (c *BranchCircuit) Define(api frontend.API) error {
	depth := bits.Len64(c.gindex) - 1
	if depth < 1 || len(c.Branch) != depth {
		return fmt.Errorf("synccommittee: a branch of %d nodes for generalized index %d", len(c.Branch), c.gindex)
	}
	node, err := walkBranch(api, halvesToBytes(api, c.LeafHi, c.LeafLo), c.Branch, c.gindex)
	if err != nil {
		return err
	}
	return assertRoot(api, node, c.RootHi, c.RootLo)
}

// walkBranch is the root that a node at generalized index gindex leads to by its branch
// (the siblings from the bottom up).
func walkBranch(api frontend.API, node []uints.U8, branch [][32]uints.U8, gindex uint64) ([]uints.U8, error) {
	for i := range branch {
		left, right := node, branch[i][:]
		if (gindex>>i)&1 == 1 {
			left, right = right, left
		}
		var err error
		if node, err = sha256Pair(api, left, right); err != nil {
			return nil, err
		}
	}
	return node, nil
}

// assertRoot constrains 32 bytes to be the root given in two public 128-bit halves.
func assertRoot(api frontend.API, node []uints.U8, hi, lo frontend.Variable) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return err
	}
	h, l := bytesToHalves(api, bf, node)
	api.AssertIsEqual(h, hi)
	api.AssertIsEqual(l, lo)
	return nil
}

// AssignBranch is the circuit's assignment for a leaf at gindex under root.
func AssignBranch(gindex uint64, leaf, root [32]byte, branch []common.Hash) (*BranchCircuit, error) {
	c := NewBranchCircuit(gindex)
	if len(branch) != len(c.Branch) {
		return nil, fmt.Errorf("%w: a branch of %d nodes for generalized index %d", ErrBranch, len(branch), gindex)
	}
	c.LeafHi, c.LeafLo = halves(leaf)
	c.RootHi, c.RootLo = halves(root)
	for i := range branch {
		for j := 0; j < 32; j++ {
			c.Branch[i][j] = uints.NewU8(branch[i][j])
		}
	}
	return c, nil
}
