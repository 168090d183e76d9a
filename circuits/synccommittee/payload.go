package synccommittee

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/sha2"
	"github.com/consensys/gnark/std/math/uints"
)

// The execution payload header's fields that the pipeline uses, by their index among its
// fields: the state root (account and storage proofs), the receipts root (receipt proofs),
// the block number and the block hash (the execution header's identity).
const (
	payloadStateRoot    = 2
	payloadReceiptsRoot = 3
	payloadBlockNumber  = 6
	payloadBlockHash    = 12
)

var payloadFields = []int{payloadStateRoot, payloadReceiptsRoot, payloadBlockNumber, payloadBlockHash}

// helperGindices are the generalized indices, in the order a proof gives them, of the nodes
// that a tree of the given depth needs besides the known leaves to reach its root: level by
// level from the leaves up, left to right, each known node's sibling that is not known
// itself (the SSZ multiproof's helpers).
func helperGindices(depth int, leaves []int) []uint64 {
	known := map[uint64]bool{}
	level := make([]uint64, 0, len(leaves))
	for _, l := range leaves {
		g := uint64(1)<<depth | uint64(l)
		known[g] = true
		level = append(level, g)
	}
	var out []uint64
	for d := depth; d > 0; d-- {
		sort.Slice(level, func(i, j int) bool { return level[i] < level[j] })
		var next []uint64
		for _, g := range level {
			if !known[g^1] {
				out = append(out, g^1)
				known[g^1] = true
			}
			if !known[g>>1] {
				known[g>>1] = true
				next = append(next, g>>1)
			}
		}
		level = next
	}
	return out
}

// payloadDepth is the depth of the payload header's tree: 15 fields (Capella) in 16
// leaves, 17 (Deneb and later) in 32.
func payloadDepth(blobs bool) int {
	if blobs {
		return 5
	}
	return 4
}

// PayloadProof is the payload header's root and the helper nodes that lead its used fields
// to it, in helperGindices' order.
func (e *ExecutionPayloadHeader) PayloadProof() (root [32]byte, helpers [][32]byte, err error) {
	leaves, err := e.leaves()
	if err != nil {
		return root, nil, err
	}
	depth := payloadDepth(e.Blobs)
	tree := make([][32]byte, 2<<depth) // by generalized index
	copy(tree[1<<depth:], leaves)
	for g := (1 << depth) - 1; g > 0; g-- {
		tree[g] = hash(tree[2*g][:], tree[2*g+1][:])
	}
	for _, g := range helperGindices(depth, payloadFields) {
		helpers = append(helpers, tree[g])
	}
	return tree[1], helpers, nil
}

// PayloadCircuit proves the fields of an execution payload header that the pipeline uses —
// block number, block hash, state root, receipts root, all public — under the header's
// SSZ root, public too: the aggregation links that root to FinalizedHeaderCircuit's. The other fields enter only as the helper subtrees
// of the fields' paths. Capella's header has 15 fields (a tree of depth 4), Deneb's and later
// forks' 17 (depth 5): a circuit per shape.
//
// R1CS constraints: 752,209 for Capella (nine SHA-256 of 64 bytes), 821,122 for Deneb (ten).
type PayloadCircuit struct {
	RootHi, RootLo           frontend.Variable `gnark:",public"`
	Number                   frontend.Variable `gnark:",public"`
	BlockHashHi, BlockHashLo frontend.Variable `gnark:",public"`
	StateHi, StateLo         frontend.Variable `gnark:",public"`
	ReceiptsHi, ReceiptsLo   frontend.Variable `gnark:",public"`
	Helpers                  [][32]uints.U8
	blobs                    bool
}

// NewPayloadCircuit is the circuit of Capella's payload header, or with blobs of Deneb's and
// later forks'.
func NewPayloadCircuit(blobs bool) *PayloadCircuit {
	return &PayloadCircuit{Helpers: make([][32]uints.U8, len(helperGindices(payloadDepth(blobs), payloadFields))), blobs: blobs}
}

// Define is gnark's.
func (c *PayloadCircuit) Define(api frontend.API) error {
	depth := payloadDepth(c.blobs)
	gindices := helperGindices(depth, payloadFields)
	if len(c.Helpers) != len(gindices) {
		return fmt.Errorf("synccommittee: %d payload helpers, want %d", len(c.Helpers), len(gindices))
	}
	leaf := func(i int) uint64 { return uint64(1)<<depth | uint64(i) }
	nodes := map[uint64][]uints.U8{
		leaf(payloadStateRoot):    halvesToBytes(api, c.StateHi, c.StateLo),
		leaf(payloadReceiptsRoot): halvesToBytes(api, c.ReceiptsHi, c.ReceiptsLo),
		leaf(payloadBlockNumber):  uint64LE(api, c.Number),
		leaf(payloadBlockHash):    halvesToBytes(api, c.BlockHashHi, c.BlockHashLo),
	}
	for i, g := range gindices {
		nodes[g] = c.Helpers[i][:]
	}
	// Every node on the fields' paths, deepest first; each one's children are known by then.
	var path []uint64
	for _, f := range payloadFields {
		for g := leaf(f) >> 1; g > 0; g >>= 1 {
			path = append(path, g)
		}
	}
	sort.Slice(path, func(i, j int) bool {
		return bits.Len64(path[i]) > bits.Len64(path[j]) || (bits.Len64(path[i]) == bits.Len64(path[j]) && path[i] < path[j])
	})
	for _, g := range path {
		if nodes[g] != nil {
			continue
		}
		var err error
		if nodes[g], err = sha256Pair(api, nodes[2*g], nodes[2*g+1]); err != nil {
			return err
		}
	}
	return assertRoot(api, nodes[1], c.RootHi, c.RootLo)
}

// sha256Pair is SHA-256 of two 32-byte nodes: an SSZ parent.
func sha256Pair(api frontend.API, a, b []uints.U8) ([]uints.U8, error) {
	h, err := sha2.New(api)
	if err != nil {
		return nil, err
	}
	h.Write(a)
	h.Write(b)
	return h.Sum(), nil
}

// AssignPayload is the circuit's assignment for an execution payload header.
func AssignPayload(e *ExecutionPayloadHeader) (*PayloadCircuit, error) {
	root, helpers, err := e.PayloadProof()
	if err != nil {
		return nil, err
	}
	c := NewPayloadCircuit(e.Blobs)
	c.RootHi, c.RootLo = halves(root)
	c.Number = e.BlockNumber
	c.BlockHashHi, c.BlockHashLo = halves(e.BlockHash)
	c.StateHi, c.StateLo = halves(e.StateRoot)
	c.ReceiptsHi, c.ReceiptsLo = halves(e.ReceiptsRoot)
	for i := range helpers {
		copy(c.Helpers[i][:], constBytes(helpers[i][:]))
	}
	return c, nil
}
