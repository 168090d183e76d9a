package leaf

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/assigned"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// StateStepCircuit proves one node of a Merkle-Patricia proof in the state trie (Account = 1)
// or a storage trie (Account = 0): the node referenced by Node (its hash, or with Embedded = 1
// its bytes left-padded to 32: a node under 32 bytes sits inside its parent) lies on the path
// of Key at Depth and leads on at NextDepth to Out, which references the next node (embedded
// when OutEmbedded = 1), or at a leaf (IsLeaf = 1) is the account's storageRoot or the storage
// slot's 32-byte word. An account or storage proof is a chain of these steps, which the
// aggregation circuit links: the first Node is the header's stateRoot (or the account's
// storageRoot), each Out and OutEmbedded the next Node and Embedded, each NextDepth the next
// Depth, the last a leaf at depth 64, all with the same Key (LinkStateSteps).
//
// Cost (R1CS, BLS12-377): about 0.58M constraints, keccak of up to 532 bytes included.
type StateStepCircuit struct {
	Node [2]frontend.Variable `gnark:",public"`
	Key  [2]frontend.Variable `gnark:",public"`
	Out  [2]frontend.Variable `gnark:",public"`
	// Shape packs the step's small values into one public input (each public input costs the
	// aggregation circuit a scalar multiplication): see PackShape.
	Shape frontend.Variable `gnark:",public"`

	Depth       frontend.Variable
	NextDepth   frontend.Variable
	IsLeaf      frontend.Variable
	Account     frontend.Variable
	Embedded    frontend.Variable
	OutEmbedded frontend.Variable

	Bytes  [mpt.MaxNodeLen]uints.U8
	Length frontend.Variable
}

// Bit offsets of the packed shape: Depth and NextDepth take 8 bits each, the flags one.
const (
	shapeNextDepth, shapeIsLeaf, shapeAccount, shapeEmbedded, shapeOutEmbedded, ShapeBits = 8, 16, 17, 18, 19, 20
)

// PackShape is the Shape public input of a step.
func PackShape(depth, nextDepth int, isLeaf, account, embedded, outEmbedded bool) uint64 {
	b := func(f bool, at int) uint64 {
		if f {
			return 1 << at
		}
		return 0
	}
	return uint64(depth) | uint64(nextDepth)<<shapeNextDepth | b(isLeaf, shapeIsLeaf) | b(account, shapeAccount) |
		b(embedded, shapeEmbedded) | b(outEmbedded, shapeOutEmbedded)
}

// SetShape sets Shape from the step's fields.
func (c *StateStepCircuit) SetShape() {
	v := func(x frontend.Variable) uint64 { return toBig(x).Uint64() }
	c.Shape = v(c.Depth) | v(c.NextDepth)<<shapeNextDepth | v(c.IsLeaf)<<shapeIsLeaf | v(c.Account)<<shapeAccount |
		v(c.Embedded)<<shapeEmbedded | v(c.OutEmbedded)<<shapeOutEmbedded
}

// Define implements frontend.Circuit.
func (c *StateStepCircuit) Define(api frontend.API) error {
	api.AssertIsBoolean(c.Account)
	api.AssertIsBoolean(c.Embedded)
	rc := rangecheck.New(api)
	rc.Check(c.Depth, 8)
	rc.Check(c.NextDepth, 8)
	shape := api.Add(c.Depth, api.Mul(c.NextDepth, 1<<shapeNextDepth), api.Mul(c.IsLeaf, 1<<shapeIsLeaf),
		api.Mul(c.Account, 1<<shapeAccount), api.Mul(c.Embedded, 1<<shapeEmbedded), api.Mul(c.OutEmbedded, 1<<shapeOutEmbedded))
	api.AssertIsEqual(shape, c.Shape)
	return stateStep(api, &stepValues{Node: c.Node, Key: c.Key, Out: c.Out, IsLeaf: c.IsLeaf, Account: c.Account,
		Embedded: c.Embedded, OutEmbedded: c.OutEmbedded, Depth: c.Depth, NextDepth: c.NextDepth, Bytes: c.Bytes[:], Length: c.Length})
}

// stepValues are a state step's values, public or not, for stateStep.
type stepValues struct {
	Node, Key, Out                                           [2]frontend.Variable
	Depth, NextDepth, IsLeaf, Account, Embedded, OutEmbedded frontend.Variable
	Bytes                                                    []uints.U8
	Length                                                   frontend.Variable
}

// stateStep proves one node of a Merkle-Patricia proof (StateStepCircuit's rules), its Depth
// and NextDepth range-checked and Account and Embedded boolean by the caller.
func stateStep(api frontend.API, c *stepValues) error {
	// The key's 64 nibbles, high first, from its two 128-bit halves.
	key := make([]frontend.Variable, 0, mpt.KeyNibbles)
	for _, half := range c.Key {
		bits := api.ToBinary(half, 128)
		for j := 31; j >= 0; j-- {
			key = append(key, api.FromBinary(bits[4*j:4*j+4]...))
		}
	}
	out, err := mpt.StepNode(api, c.Bytes, c.Length, key, mpt.KeyNibbles, c.Depth)
	if err != nil {
		return fmt.Errorf("state step: %w", err)
	}
	hash, err := rlp.Values(api, out.Hash)
	if err != nil {
		return fmt.Errorf("state step: %w", err)
	}
	d := out.Decoder
	// The node's reference: its hash, or its own bytes when it is embedded (under 32 bytes).
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<12), false)
	bound.AssertIsLess(api.Mul(c.Embedded, c.Length), 32)
	hashRef, inlineRef := mpt.Ref(api, hash), mpt.Ref(api, mpt.LeftPad32(api, d, 0, api.Select(c.Embedded, c.Length, 32)))
	for h := 0; h < 2; h++ {
		api.AssertIsEqual(api.Select(c.Embedded, inlineRef[h], hashRef[h]), c.Node[h])
	}
	api.AssertIsEqual(out.IsLeaf, c.IsLeaf)
	api.AssertIsEqual(out.NextDepth, c.NextDepth)
	api.AssertIsEqual(out.ChildEmbedded, c.OutEmbedded)

	accountLeaf := api.Mul(c.IsLeaf, c.Account)
	storageLeaf := api.Sub(c.IsLeaf, accountLeaf)

	// Account leaf: the value is [nonce, balance, storageRoot, codeHash]. Inactive decodings
	// start at offset 0 (the node's own list) so that every read stays inside the node.
	storageRoot := mpt.DecodeAccount(api, d, api.Mul(accountLeaf, out.ValueItem.PayloadOffset), out.ValueItem.End, accountLeaf).StorageRoot

	// Storage leaf: the value is the RLP string of a non-zero word of up to 32 bytes.
	word := d.Item(api.Mul(storageLeaf, out.ValueItem.PayloadOffset), storageLeaf)
	api.AssertIsEqual(api.Mul(storageLeaf, word.IsList), 0)
	api.AssertIsEqual(api.Mul(storageLeaf, api.Sub(word.End, out.ValueItem.End)), 0)
	wordLen := api.Mul(storageLeaf, word.PayloadLen)
	wordOffset := api.Mul(storageLeaf, word.PayloadOffset)
	api.AssertIsEqual(api.Mul(storageLeaf, api.IsZero(wordLen)), 0)
	api.AssertIsEqual(api.Mul(storageLeaf, api.IsZero(d.At(wordOffset))), 0)
	w := mpt.Ref(api, mpt.LeftPad32(api, d, wordOffset, wordLen))

	child, root := mpt.Ref(api, out.Child), mpt.Ref(api, storageRoot)
	for h := 0; h < 2; h++ {
		got := api.Select(c.IsLeaf, api.Select(c.Account, root[h], w[h]), child[h])
		api.AssertIsEqual(got, c.Out[h])
	}
	return nil
}

// StateStepPublic is what a state step proof attests.
type StateStepPublic struct {
	Node        common.Hash
	Key         common.Hash
	Depth       int
	NextDepth   int
	IsLeaf      bool
	Account     bool
	Out         common.Hash
	Embedded    bool // Node is the node's bytes (left-padded), not its hash
	OutEmbedded bool // Out is the next node's bytes (left-padded), not its hash
}

// ref is a step's node reference: its hash, or an embedded node's bytes left-padded to 32.
func ref(s mpt.Step) common.Hash {
	if s.Embedded {
		return common.BytesToHash(s.Node)
	}
	return s.Hash
}

// AssignStateStep builds the witness of step i of a native walk of key (see mpt.VerifyNative)
// whose leaf holds value, in the state trie (account) or a storage trie.
func AssignStateStep(key common.Hash, steps []mpt.Step, i int, value []byte, account bool) (*StateStepCircuit, *StateStepPublic, error) {
	s := steps[i]
	if len(s.Node) > mpt.MaxNodeLen {
		return nil, nil, fmt.Errorf("state step %d: %w: %d-byte node", i, mpt.ErrProof, len(s.Node))
	}
	pub := &StateStepPublic{Node: ref(s), Key: key, Depth: s.Depth, NextDepth: s.Next, IsLeaf: s.Kind == mpt.Leaf,
		Account: account, Embedded: s.Embedded}
	switch {
	case !pub.IsLeaf:
		if i+1 >= len(steps) {
			return nil, nil, fmt.Errorf("state step %d: %w: no node after a %s", i, mpt.ErrProof, s.Kind)
		}
		pub.Out, pub.OutEmbedded = ref(steps[i+1]), steps[i+1].Embedded
	case account:
		root, err := mpt.AccountStorageRoot(value)
		if err != nil {
			return nil, nil, err
		}
		pub.Out = root
	default:
		w, err := mpt.StorageWord(value)
		if err != nil {
			return nil, nil, err
		}
		pub.Out = w
	}
	a := &StateStepCircuit{
		Node: halves(pub.Node), Key: halves(key), Depth: s.Depth, NextDepth: s.Next,
		IsLeaf: boolVar(pub.IsLeaf), Account: boolVar(account), Out: halves(pub.Out), Length: len(s.Node),
		Embedded: boolVar(pub.Embedded), OutEmbedded: boolVar(pub.OutEmbedded),
	}
	a.SetShape()
	for j := range a.Bytes {
		a.Bytes[j] = uints.NewU8(0)
		if j < len(s.Node) {
			a.Bytes[j] = uints.NewU8(s.Node[j])
		}
	}
	return a, pub, nil
}

// toBig reads an assigned integer.
var toBig = assigned.Big

func boolVar(b bool) frontend.Variable {
	if b {
		return 1
	}
	return 0
}

// LinkStateSteps checks that state step publics form one proof under root, as the
// aggregation circuit checks them: the first node is root, each step's Out is the next node,
// depths run on from 0 to 64, key and trie are the same throughout, and only the last step is
// a leaf. It returns the leaf's Out (an account's storageRoot or a storage word).
func LinkStateSteps(root common.Hash, steps []*StateStepPublic) (common.Hash, error) {
	if len(steps) == 0 {
		return common.Hash{}, fmt.Errorf("%w: no steps", mpt.ErrProof)
	}
	if steps[0].Node != root || steps[0].Depth != 0 || steps[0].Embedded {
		return common.Hash{}, fmt.Errorf("%w: first step is node %s at depth %d, want the root %s at 0", mpt.ErrProof, steps[0].Node, steps[0].Depth, root)
	}
	for i, s := range steps {
		if s.Key != steps[0].Key || s.Account != steps[0].Account {
			return common.Hash{}, fmt.Errorf("%w: step %d is for another key or trie", mpt.ErrProof, i)
		}
		last := i == len(steps)-1
		if s.IsLeaf != last {
			return common.Hash{}, fmt.Errorf("%w: step %d: leaf=%v, last=%v", mpt.ErrProof, i, s.IsLeaf, last)
		}
		if last {
			if s.NextDepth != mpt.KeyNibbles {
				return common.Hash{}, fmt.Errorf("%w: leaf ends at depth %d", mpt.ErrProof, s.NextDepth)
			}
			break
		}
		if next := steps[i+1]; next.Node != s.Out || next.Embedded != s.OutEmbedded || next.Depth != s.NextDepth {
			return common.Hash{}, fmt.Errorf("%w: step %d leads to %s at depth %d, step %d is %s at depth %d",
				mpt.ErrProof, i, s.Out, s.NextDepth, i+1, next.Node, next.Depth)
		}
	}
	return steps[len(steps)-1].Out, nil
}
