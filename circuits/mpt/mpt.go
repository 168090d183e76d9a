package mpt

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// KeyNibbles is the longest key, in nibbles: a state or storage trie key (keccak256 output).
// Receipt-trie keys (rlp of the index) are shorter.
const KeyNibbles = 64

// StepOut is what one node step proves about a node on a key's path.
type StepOut struct {
	Hash      []uints.U8        // keccak256 of the node
	IsLeaf    frontend.Variable // 1 for a leaf, 0 for a branch or extension
	NextDepth frontend.Variable // key nibbles consumed after the node
	// Child is how a branch or extension references the next node: its hash, or, when
	// ChildEmbedded is 1, the node itself (an RLP list shorter than 32 bytes), left-padded
	// with zeros to 32 bytes (see Ref).
	Child         []frontend.Variable
	ChildEmbedded frontend.Variable
	// ValueItem is a leaf's value (a string item; meaningless for other nodes) and Decoder
	// reads the node, for decoding the value (an account, a storage word, a receipt).
	ValueItem rlp.CItem
	Decoder   *rlp.Decoder
}

// StepNode checks that node[:length] (len(node) is the capacity: MaxNodeLen for state and
// storage tries, more for receipt leaves) is a trie node on the path of the key's first keyLen
// nibbles (key holds KeyNibbles nibbles, each already constrained below 16) at depth. It
// returns the node's hash and where the path continues: the child a branch takes at the key's
// nibble, the child an extension's path leads to, or the value of a leaf whose path completes
// the key. Children
// may be hash references or embedded nodes (RLP lists shorter than 32 bytes, which the caller
// steps through next with embedded set: it identifies such a node by its bytes, not its hash).
func StepNode(api frontend.API, node []uints.U8, length frontend.Variable, key []frontend.Variable, keyLen, depth frontend.Variable) (*StepOut, error) {
	if len(node) < 32 || len(key) != KeyNibbles {
		return nil, fmt.Errorf("mpt: node of %d bytes and key of %d nibbles, want at least 32 and %d", len(node), len(key), KeyNibbles)
	}
	vals, err := rlp.Values(api, node)
	if err != nil {
		return nil, fmt.Errorf("mpt: %w", err)
	}
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)
	bound.AssertIsLessEq(2, length)
	bound.AssertIsLessEq(length, len(node))
	bound.AssertIsLessEq(keyLen, KeyNibbles)
	bound.AssertIsLessEq(depth, keyLen)

	keyT := keyTable(api, bound, key, keyLen)

	d := rlp.New(api, vals)
	list, items, count := d.List(0, 17)
	api.AssertIsEqual(list.End, length)
	isBranch := api.IsZero(api.Sub(count, 17))
	isShort := api.IsZero(api.Sub(count, 2))
	api.AssertIsEqual(api.Add(isBranch, isShort), 1)

	// Branch: the child at the key's nibble.
	nibble := keyT.Lookup(depth)[0]
	offsets, kinds, lens, starts := logderivlookup.New(api), logderivlookup.New(api), logderivlookup.New(api), logderivlookup.New(api)
	for i := 0; i < 17; i++ { // entry 16 (the value) keeps index 16 in range; the assertion above refuses it
		offsets.Insert(items[i].PayloadOffset)
		kinds.Insert(items[i].IsList)
		lens.Insert(items[i].PayloadLen)
		starts.Insert(items[i].Offset)
	}
	// A short node's nibble lookup is unused: keep its index in range.
	idx := api.Mul(isBranch, nibble)
	branchChild := struct{ offset, isList, length, start frontend.Variable }{
		offsets.Lookup(idx)[0], kinds.Lookup(idx)[0], lens.Lookup(idx)[0], starts.Lookup(idx)[0],
	}
	api.AssertIsEqual(api.Mul(isBranch, api.Sub(nibble, 16)), api.Mul(isBranch, api.Sub(nibble, 16))) // nibble is read below
	bound.AssertIsLess(api.Mul(isBranch, nibble), 16)                                                 // the key does not end at a branch

	// Short node: hex-prefix path in items[0], then a child (extension) or a value (leaf).
	pathLen, leafFlag := shortPath(api, d, bound, keyT, items[0], isShort, depth)
	isLeaf := api.Mul(isShort, leafFlag)
	isExt := api.Sub(isShort, isLeaf)
	shortNext := api.Add(depth, api.Mul(isShort, pathLen))
	api.AssertIsEqual(api.Mul(isLeaf, api.Sub(shortNext, keyLen)), 0) // a leaf completes the key
	bound.AssertIsLessEq(api.Mul(isExt, shortNext), keyLen)

	// The child: a 32-byte hash reference, in the branch's slot or the extension's item.
	// The child: a 32-byte hash (a string) or an embedded node (a list of under 32 bytes), in
	// the branch's slot or the extension's item.
	childOffset := api.Select(isBranch, branchChild.offset, items[1].PayloadOffset)
	childIsList := api.Select(isBranch, branchChild.isList, items[1].IsList)
	childLen := api.Select(isBranch, branchChild.length, items[1].PayloadLen)
	childStart := api.Select(isBranch, branchChild.start, items[1].Offset)
	childSize := api.Sub(api.Add(childOffset, childLen), childStart) // the whole item, prefix included
	hasChild := api.Add(isBranch, isExt)
	embedded := api.Mul(hasChild, childIsList)
	api.AssertIsEqual(api.Mul(api.Sub(hasChild, embedded), api.Sub(childLen, 32)), 0)
	bound.AssertIsLess(api.Mul(embedded, childSize), 32)
	childRef := LeftPad32(api, d, api.Select(embedded, childStart, childOffset), api.Select(embedded, childSize, 32))

	// The leaf's value is a string.
	value := items[1]
	api.AssertIsEqual(api.Mul(isLeaf, value.IsList), 0)

	h, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(2))
	if err != nil {
		return nil, fmt.Errorf("mpt: keccak: %w", err)
	}
	h.Write(node)
	return &StepOut{
		Hash: h.FixedLengthSum(length), IsLeaf: isLeaf,
		NextDepth: api.Select(isBranch, api.Add(depth, 1), shortNext),
		Child:     childRef, ChildEmbedded: embedded, ValueItem: value, Decoder: d,
	}, nil
}

// keyTable is a lookup of the key's nibbles, then 16 (no nibble) from keyLen on, and past
// the end for depth+j.
func keyTable(api frontend.API, bound *cmp.BoundedComparator, key []frontend.Variable, keyLen frontend.Variable) logderivlookup.Table {
	keyT := logderivlookup.New(api)
	for i, k := range key {
		keyT.Insert(api.Select(bound.IsLess(i, keyLen), k, 16))
	}
	for i := 0; i < KeyNibbles+1; i++ {
		keyT.Insert(16)
	}
	return keyT
}

// shortPath checks, where isShort is 1, that path (a short node's first item, read through d)
// is a hex-prefix path whose nibbles are the key's (keyT) from depth on, and returns its
// length in nibbles and its leaf flag.
func shortPath(api frontend.API, d *rlp.Decoder, bound *cmp.BoundedComparator, keyT logderivlookup.Table, path rlp.CItem, isShort, depth frontend.Variable) (pathLen, leafFlag frontend.Variable) {
	api.AssertIsEqual(api.Mul(isShort, path.IsList), 0)
	first := d.At(path.PayloadOffset)
	fbits := api.ToBinary(first, 8)
	odd := fbits[4]
	leafFlag = fbits[5]
	api.AssertIsEqual(api.Mul(isShort, api.Add(fbits[6], fbits[7])), 0)                            // flag <= 3
	api.AssertIsEqual(api.Mul(api.Mul(isShort, api.Sub(1, odd)), api.FromBinary(fbits[:4]...)), 0) // even: zero padding
	pathLen = api.Sub(api.Add(api.Mul(api.Sub(path.PayloadLen, 1), 2), odd), 0)                    // nibbles
	api.AssertIsEqual(api.Mul(isShort, api.IsZero(path.PayloadLen)), 0)
	// Compare the path's nibbles with the key's from depth on.
	pathBytes := d.Bytes(path.PayloadOffset, 33)
	nibbleOf := func(b frontend.Variable, high bool) frontend.Variable {
		bits := api.ToBinary(b, 8)
		if high {
			return api.FromBinary(bits[4:]...)
		}
		return api.FromBinary(bits[:4]...)
	}
	lowNibbles := make([]frontend.Variable, 33)
	highNibbles := make([]frontend.Variable, 33)
	for i, b := range pathBytes {
		lowNibbles[i], highNibbles[i] = nibbleOf(b, false), nibbleOf(b, true)
	}
	for j := 0; j < KeyNibbles; j++ {
		// odd: nibble j is nibble j+1 of the payload; even: nibble j+2.
		var oddN, evenN frontend.Variable
		if (j+1)%2 == 0 {
			oddN = highNibbles[(j+1)/2]
		} else {
			oddN = lowNibbles[(j+1)/2]
		}
		if (j+2)%2 == 0 {
			evenN = highNibbles[(j+2)/2]
		} else {
			evenN = lowNibbles[(j+2)/2]
		}
		if (j+2)/2 >= 33 {
			evenN = 0
		}
		pn := api.Select(odd, oddN, evenN)
		in := api.Mul(isShort, bound.IsLess(j, pathLen))
		kn := keyT.Lookup(api.Add(depth, j))[0]
		api.AssertIsEqual(api.Mul(in, api.Sub(pn, kn)), 0)
	}
	return pathLen, leafFlag
}

// LeafPath checks that the node d reads, of length bytes, is a leaf on the path of the key's
// first keyLen nibbles (key holds KeyNibbles nibbles, each already constrained below 16) at
// depth: a two-item list ending at length whose hex-prefix path completes the key. It returns
// the leaf's value, a string item. It reads the node's first bytes only (its list header and
// path, up to 36 bytes past the path's offset), so d may hold a prefix of the node.
func LeafPath(api frontend.API, d *rlp.Decoder, length frontend.Variable, key []frontend.Variable, keyLen, depth frontend.Variable) (rlp.CItem, error) {
	if len(key) != KeyNibbles {
		return rlp.CItem{}, fmt.Errorf("mpt: key of %d nibbles, want %d", len(key), KeyNibbles)
	}
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)
	bound.AssertIsLessEq(keyLen, KeyNibbles)
	bound.AssertIsLessEq(depth, keyLen)
	keyT := keyTable(api, bound, key, keyLen)
	list, items, count := d.List(0, 2)
	api.AssertIsEqual(list.End, length)
	api.AssertIsEqual(count, 2)
	pathLen, leafFlag := shortPath(api, d, bound, keyT, items[0], 1, depth)
	api.AssertIsEqual(leafFlag, 1)
	api.AssertIsEqual(api.Add(depth, pathLen), keyLen) // the leaf completes the key
	api.AssertIsEqual(items[1].IsList, 0)
	return items[1], nil
}

// LeftPad32 reads data[offset:offset+n] (n <= 32) through d, left-padded with zeros to 32
// bytes: the big-endian value of the bytes. It serves storage words, and embedded nodes as
// references.
func LeftPad32(api frontend.API, d *rlp.Decoder, offset, n frontend.Variable) []frontend.Variable {
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)
	bound.AssertIsLessEq(n, 32)
	pad := api.Sub(32, n)
	out := make([]frontend.Variable, 32)
	for p := range out {
		in := bound.IsLessEq(pad, p)
		out[p] = api.Mul(in, d.At(api.Add(offset, api.Mul(in, api.Sub(p, pad)))))
	}
	return out
}

// Ref packs 32 bytes, big-endian, into two 128-bit halves (high first): a node's reference
// (its hash, or for an embedded node its bytes left-padded to 32), or any 32-byte value.
func Ref(api frontend.API, ref []frontend.Variable) [2]frontend.Variable {
	var out [2]frontend.Variable
	for h := range out {
		var v frontend.Variable = 0
		for _, b := range ref[16*h : 16*h+16] {
			v = api.Add(api.Mul(v, 256), b)
		}
		out[h] = v
	}
	return out
}
