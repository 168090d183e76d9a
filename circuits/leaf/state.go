package leaf

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// StateStepCircuit proves one node of a Merkle-Patricia proof in the state trie (Account = 1)
// or a storage trie (Account = 0): the node with hash Node lies on the path of Key at Depth
// and leads on at NextDepth to Out, which is the next node's hash, or at a leaf (IsLeaf = 1)
// the account's storageRoot or the storage slot's 32-byte word. An account or storage proof
// is a chain of these steps, which the aggregation circuit links: the first Node is the
// header's stateRoot (or the account's storageRoot), each Out the next Node, each NextDepth
// the next Depth, the last a leaf at depth 64, all with the same Key.
//
// Cost (R1CS, BLS12-377): about 0.58M constraints, keccak of up to 532 bytes included.
type StateStepCircuit struct {
	Node      [2]frontend.Variable `gnark:",public"`
	Key       [2]frontend.Variable `gnark:",public"`
	Depth     frontend.Variable    `gnark:",public"`
	NextDepth frontend.Variable    `gnark:",public"`
	IsLeaf    frontend.Variable    `gnark:",public"`
	Account   frontend.Variable    `gnark:",public"`
	Out       [2]frontend.Variable `gnark:",public"`

	Bytes  [mpt.MaxNodeLen]uints.U8
	Length frontend.Variable
}

// Define implements frontend.Circuit.
func (c *StateStepCircuit) Define(api frontend.API) error {
	api.AssertIsBoolean(c.Account)
	// The key's 64 nibbles, high first, from its two 128-bit halves.
	key := make([]frontend.Variable, 0, mpt.KeyNibbles)
	for _, half := range c.Key {
		bits := api.ToBinary(half, 128)
		for j := 31; j >= 0; j-- {
			key = append(key, api.FromBinary(bits[4*j:4*j+4]...))
		}
	}
	out, err := mpt.StepNode(api, c.Bytes[:], c.Length, key, mpt.KeyNibbles, c.Depth)
	if err != nil {
		return fmt.Errorf("state step: %w", err)
	}
	hash, err := rlp.Values(api, out.Hash)
	if err != nil {
		return fmt.Errorf("state step: %w", err)
	}
	assertHalves(api, hash, c.Node)
	api.AssertIsEqual(out.IsLeaf, c.IsLeaf)
	api.AssertIsEqual(out.NextDepth, c.NextDepth)

	d := out.Decoder
	accountLeaf := api.Mul(c.IsLeaf, c.Account)
	storageLeaf := api.Sub(c.IsLeaf, accountLeaf)

	// Account leaf: the value is [nonce, balance, storageRoot, codeHash].
	// Inactive decodings start at offset 0 (the node's own list) so that every read stays
	// inside the node.
	accList, fields, count := d.ListIf(api.Mul(accountLeaf, out.ValueItem.PayloadOffset), 4, accountLeaf)
	api.AssertIsEqual(api.Mul(accountLeaf, api.Sub(count, 4)), 0)
	api.AssertIsEqual(api.Mul(accountLeaf, api.Sub(accList.End, out.ValueItem.End)), 0)
	storageRoot := d.Fixed(fields[2], 32, accountLeaf)

	// Storage leaf: the value is the RLP string of a non-zero word of up to 32 bytes.
	word := d.Item(api.Mul(storageLeaf, out.ValueItem.PayloadOffset), storageLeaf)
	api.AssertIsEqual(api.Mul(storageLeaf, word.IsList), 0)
	api.AssertIsEqual(api.Mul(storageLeaf, api.Sub(word.End, out.ValueItem.End)), 0)
	wordLen := api.Mul(storageLeaf, word.PayloadLen)
	wordOffset := api.Mul(storageLeaf, word.PayloadOffset)
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<12), false)
	bound.AssertIsLessEq(wordLen, 32)
	api.AssertIsEqual(api.Mul(storageLeaf, api.IsZero(wordLen)), 0)
	api.AssertIsEqual(api.Mul(storageLeaf, api.IsZero(d.At(wordOffset))), 0)
	// The word, left-padded: byte p is payload[p - (32 - len)] when p >= 32 - len.
	pad := api.Sub(32, wordLen)
	wordBytes := make([]frontend.Variable, 32)
	for p := range wordBytes {
		in := bound.IsLessEq(pad, p)
		idx := api.Add(wordOffset, api.Mul(in, api.Sub(p, pad)))
		wordBytes[p] = api.Mul(in, d.At(idx))
	}

	for h := 0; h < 2; h++ {
		var child, root, w frontend.Variable = 0, 0, 0
		for _, b := range out.Child[16*h : 16*h+16] {
			child = api.Add(api.Mul(child, 256), b)
		}
		for _, b := range storageRoot[16*h : 16*h+16] {
			root = api.Add(api.Mul(root, 256), b)
		}
		for _, b := range wordBytes[16*h : 16*h+16] {
			w = api.Add(api.Mul(w, 256), b)
		}
		got := api.Select(c.IsLeaf, api.Select(c.Account, root, w), child)
		api.AssertIsEqual(got, c.Out[h])
	}
	return nil
}

// StateStepPublic is what a state step proof attests.
type StateStepPublic struct {
	Node      common.Hash
	Key       common.Hash
	Depth     int
	NextDepth int
	IsLeaf    bool
	Account   bool
	Out       common.Hash
}

// AssignStateStep builds the witness of step i of a native walk of key (see mpt.VerifyNative)
// whose leaf holds value, in the state trie (account) or a storage trie.
func AssignStateStep(key common.Hash, steps []mpt.Step, i int, value []byte, account bool) (*StateStepCircuit, *StateStepPublic, error) {
	s := steps[i]
	if s.Embedded || len(s.Node) > mpt.MaxNodeLen {
		return nil, nil, fmt.Errorf("state step %d: %w: embedded or %d-byte node", i, mpt.ErrProof, len(s.Node))
	}
	pub := &StateStepPublic{Node: s.Hash, Key: key, Depth: s.Depth, NextDepth: s.Next, IsLeaf: s.Kind == mpt.Leaf, Account: account}
	switch {
	case !pub.IsLeaf:
		if i+1 >= len(steps) {
			return nil, nil, fmt.Errorf("state step %d: %w: no node after a %s", i, mpt.ErrProof, s.Kind)
		}
		pub.Out = steps[i+1].Hash
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
	}
	for j := range a.Bytes {
		a.Bytes[j] = uints.NewU8(0)
		if j < len(s.Node) {
			a.Bytes[j] = uints.NewU8(s.Node[j])
		}
	}
	return a, pub, nil
}

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
	if steps[0].Node != root || steps[0].Depth != 0 {
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
		if next := steps[i+1]; next.Node != s.Out || next.Depth != s.NextDepth {
			return common.Hash{}, fmt.Errorf("%w: step %d leads to %s at depth %d, step %d is %s at depth %d",
				mpt.ErrProof, i, s.Out, s.NextDepth, i+1, next.Node, next.Depth)
		}
	}
	return steps[len(steps)-1].Out, nil
}
