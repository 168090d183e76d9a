package receipt

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// ProveLog checks that the receipt under key (the nibbles of rlp(transaction index), keyLen of
// them) in the receipts trie with root (32 bytes) holds a log, and returns log logIndex. nodes
// are the proof's nodes, root first, one per trie level (their count and capacities are fixed
// at compile time; the last is the leaf holding the receipt); lengths their lengths.
func ProveLog(api frontend.API, root []frontend.Variable, nodes [][]uints.U8, lengths []frontend.Variable, key []frontend.Variable, keyLen, logIndex frontend.Variable, maxData int) (*CLog, error) {
	if len(nodes) == 0 || len(nodes) != len(lengths) || len(root) != 32 {
		return nil, fmt.Errorf("receipt: %d nodes, %d lengths, %d-byte root", len(nodes), len(lengths), len(root))
	}
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)
	var depth, embedded frontend.Variable = 0, 0 // the root is referenced by hash
	want := root
	var last *mpt.StepOut
	for i := range nodes {
		out, err := mpt.StepNode(api, nodes[i], lengths[i], key, keyLen, depth)
		if err != nil {
			return nil, fmt.Errorf("receipt: node %d: %w", i, err)
		}
		hash, err := rlp.Values(api, out.Hash)
		if err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
		// A node its parent embeds (under 32 bytes) is referenced by its bytes, not its hash.
		bound.AssertIsLess(api.Mul(embedded, lengths[i]), 32)
		inline := mpt.LeftPad32(api, out.Decoder, 0, api.Select(embedded, lengths[i], 32))
		for k := range hash {
			api.AssertIsEqual(api.Select(embedded, inline[k], hash[k]), want[k])
		}
		isLast := 0
		if i == len(nodes)-1 {
			isLast = 1
		}
		api.AssertIsEqual(out.IsLeaf, isLast)
		want, depth, embedded, last = out.Child, out.NextDepth, out.ChildEmbedded, out
	}
	v := last.ValueItem
	l := LogAt(api, last.Decoder, v.PayloadOffset, v.End, logIndex, maxData)
	api.AssertIsEqual(l.DataFits, 1)
	return l, nil
}
