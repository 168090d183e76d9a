package synccommittee

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bls12381"
	"github.com/consensys/gnark/std/math/uints"
)

// The pieces' witnesses without visibility tags: a circuit that holds one as a field (a
// universal leaf kind, which keeps every value of a piece secret and exposes its own facts)
// checks the piece's rules with its Define. Each is its circuit's struct with the tags
// dropped, so the two convert to each other and check the same constraints.
type (
	// SignatureRules is SignatureCircuit's witness.
	SignatureRules struct {
		Commitment   frontend.Variable
		RootHi       frontend.Variable
		RootLo       frontend.Variable
		Participants frontend.Variable
		Period       frontend.Variable
		Keys         []sw_bls12381.G1Affine
		Bits         []frontend.Variable
		Signature    sw_bls12381.G2Affine
	}
	// HeaderRules is HeaderCircuit's witness.
	HeaderRules struct {
		RootHi, RootLo     frontend.Variable
		Slot               frontend.Variable
		StateHi, StateLo   frontend.Variable
		DomainHi, DomainLo frontend.Variable
		ProposerIndex      frontend.Variable
		ParentRoot         [32]uints.U8
		BodyRoot           [32]uints.U8
	}
	// BranchRules is BranchCircuit's witness, at the circuit's generalized index.
	BranchRules struct {
		LeafHi, LeafLo frontend.Variable
		RootHi, RootLo frontend.Variable
		Branch         [][32]uints.U8
		gindex         uint64
	}
	// FinalizedHeaderRules is FinalizedHeaderCircuit's witness.
	FinalizedHeaderRules struct {
		RootHi, RootLo       frontend.Variable
		Slot                 frontend.Variable
		PayloadHi, PayloadLo frontend.Variable
		ProposerIndex        frontend.Variable
		ParentRoot           [32]uints.U8
		StateRoot            [32]uints.U8
		ExecutionBranch      [4][32]uints.U8
	}
	// PayloadRules is PayloadCircuit's witness, of the circuit's payload header shape.
	PayloadRules struct {
		RootHi, RootLo           frontend.Variable
		Number                   frontend.Variable
		BlockHashHi, BlockHashLo frontend.Variable
		StateHi, StateLo         frontend.Variable
		ReceiptsHi, ReceiptsLo   frontend.Variable
		Helpers                  [][32]uints.U8
		blobs                    bool
	}
)

// Define checks SignatureCircuit's rules.
func (r *SignatureRules) Define(api frontend.API) error {
	c := SignatureCircuit(*r)
	return c.Define(api)
}

// Define checks HeaderCircuit's rules.
func (r *HeaderRules) Define(api frontend.API) error {
	c := HeaderCircuit(*r)
	return c.Define(api)
}

// Define checks BranchCircuit's rules.
func (r *BranchRules) Define(api frontend.API) error {
	c := BranchCircuit(*r)
	return c.Define(api)
}

// Gindex is the generalized index the branch proves.
func (r *BranchRules) Gindex() uint64 { return r.gindex }

// Define checks FinalizedHeaderCircuit's rules.
func (r *FinalizedHeaderRules) Define(api frontend.API) error {
	c := FinalizedHeaderCircuit(*r)
	return c.Define(api)
}

// Define checks PayloadCircuit's rules.
func (r *PayloadRules) Define(api frontend.API) error {
	c := PayloadCircuit(*r)
	return c.Define(api)
}

// Blobs reports whether the payload header has Deneb's blob fields.
func (r *PayloadRules) Blobs() bool { return r.blobs }

// Rules is the circuit's witness without tags.
func (c *SignatureCircuit) Rules() SignatureRules { return SignatureRules(*c) }

// Rules is the circuit's witness without tags.
func (c *HeaderCircuit) Rules() HeaderRules { return HeaderRules(*c) }

// Rules is the circuit's witness without tags.
func (c *BranchCircuit) Rules() BranchRules { return BranchRules(*c) }

// Rules is the circuit's witness without tags.
func (c *FinalizedHeaderCircuit) Rules() FinalizedHeaderRules { return FinalizedHeaderRules(*c) }

// Rules is the circuit's witness without tags.
func (c *PayloadCircuit) Rules() PayloadRules { return PayloadRules(*c) }

// ChunkRules is CommitteeChunkCircuit's witness.
type ChunkRules struct {
	StateIn, StateOut frontend.Variable
	RootHi, RootLo    frontend.Variable
	Pubkeys           [][48]uints.U8
	Keys              []sw_bls12381.G1Affine
}

// Define checks CommitteeChunkCircuit's rules.
func (r *ChunkRules) Define(api frontend.API) error {
	c := CommitteeChunkCircuit(*r)
	return c.Define(api)
}

// Rules is the circuit's witness without tags.
func (c *CommitteeChunkCircuit) Rules() ChunkRules { return ChunkRules(*c) }

// CommitteeRootRules is CommitteeRootCircuit's witness, at the circuit's generalized index.
type CommitteeRootRules struct {
	ChildHi, ChildLo []frontend.Variable
	StateHi, StateLo frontend.Variable
	Aggregate        [48]uints.U8
	Branch           [][32]uints.U8
	gindex           uint64
}

// Define checks CommitteeRootCircuit's rules.
func (r *CommitteeRootRules) Define(api frontend.API) error {
	c := CommitteeRootCircuit(*r)
	return c.Define(api)
}

// Gindex is the generalized index of the committee the root proves.
func (r *CommitteeRootRules) Gindex() uint64 { return r.gindex }

// Rules is the circuit's witness without tags.
func (c *CommitteeRootCircuit) Rules() CommitteeRootRules { return CommitteeRootRules(*c) }

// SubtreeRules proves that Root is the SSZ root over the first two, or with Four all four,
// of the subtree roots Child, in order: a node of a committee's key tree joining two or four
// subtrees of one size.
type SubtreeRules struct {
	ChildHi, ChildLo [4]frontend.Variable
	RootHi, RootLo   frontend.Variable
	Four             frontend.Variable
}

// Define checks the node: three SHA-256 of 64 bytes, the root the pair's or the four's.
func (r *SubtreeRules) Define(api frontend.API) error {
	api.AssertIsBoolean(r.Four)
	var nodes [4][]uints.U8
	for i := range nodes {
		nodes[i] = halvesToBytes(api, r.ChildHi[i], r.ChildLo[i])
	}
	left, err := sha256Pair(api, nodes[0], nodes[1])
	if err != nil {
		return err
	}
	right, err := sha256Pair(api, nodes[2], nodes[3])
	if err != nil {
		return err
	}
	four, err := sha256Pair(api, left, right)
	if err != nil {
		return err
	}
	root := make([]uints.U8, len(four))
	for i := range root {
		root[i] = uints.U8{Val: api.Select(r.Four, four[i].Val, left[i].Val)}
	}
	return assertRoot(api, root, r.RootHi, r.RootLo)
}
