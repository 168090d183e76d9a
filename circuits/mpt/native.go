package mpt

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// MaxNodeLen is the largest trie node: a branch with sixteen hash children and no value.
const MaxNodeLen = 532

// Kind is a trie node's kind.
type Kind int

// Node kinds.
const (
	Branch Kind = iota
	Extension
	Leaf
)

func (k Kind) String() string { return [...]string{"branch", "extension", "leaf"}[k] }

var (
	// ErrProof: a proof that does not prove the key's value under the root.
	ErrProof = errors.New("invalid Merkle-Patricia proof")
	// ErrAbsent: the proof shows the key is not in the trie.
	ErrAbsent = errors.New("key absent from the trie")
)

// Step is one node on a key's path.
type Step struct {
	Kind     Kind
	Node     []byte      // the node's RLP
	Hash     common.Hash // keccak256(Node); zero for an embedded node
	Embedded bool        // the node sits inside its parent (its RLP is shorter than 32 bytes)
	Depth    int         // key nibbles consumed before the node
	Next     int         // key nibbles consumed after it
}

// Nibbles splits key bytes into nibbles, high first.
func Nibbles(key []byte) []byte {
	out := make([]byte, 2*len(key))
	for i, b := range key {
		out[2*i], out[2*i+1] = b>>4, b&0x0f
	}
	return out
}

// hexPrefix decodes a node's hex-prefix encoded path: its nibbles and whether it is a leaf's.
func hexPrefix(b []byte) ([]byte, bool, error) {
	if len(b) == 0 {
		return nil, false, fmt.Errorf("%w: empty path", ErrProof)
	}
	flag := b[0] >> 4
	if flag > 3 {
		return nil, false, fmt.Errorf("%w: path flag %d", ErrProof, flag)
	}
	n := Nibbles(b)[1:]
	if flag&1 == 0 {
		if n[0] != 0 {
			return nil, false, fmt.Errorf("%w: even path with padding nibble %d", ErrProof, n[0])
		}
		n = n[1:]
	}
	return n, flag >= 2, nil
}

// VerifyNative walks proof (the hashed nodes on the path, in any order) along key from root,
// and returns the value stored under key and the steps taken, root first. It refuses a proof
// of absence, a proof with nodes left over or missing, and any node that is not what its
// parent references.
func VerifyNative(root common.Hash, key []byte, proof [][]byte) ([]byte, []Step, error) {
	byHash := make(map[common.Hash][]byte, len(proof))
	for _, n := range proof {
		byHash[crypto.Keccak256Hash(n)] = n
	}
	nibbles := Nibbles(key)
	ref := root[:] // a 32-byte hash, or an embedded node's RLP
	var steps []Step
	depth, used := 0, 0
	for {
		st := Step{Depth: depth}
		if len(ref) == 32 {
			st.Hash = common.BytesToHash(ref)
			node, ok := byHash[st.Hash]
			if !ok {
				return nil, steps, fmt.Errorf("%w: no node %s at depth %d", ErrProof, st.Hash, depth)
			}
			st.Node = node
			used++
		} else {
			st.Node, st.Embedded = ref, true
		}
		list, items, err := rlp.DecodeList(st.Node, 0)
		if err != nil || list.End != len(st.Node) {
			return nil, steps, fmt.Errorf("%w: node at depth %d: %v", ErrProof, depth, err)
		}
		child := func(it rlp.Item) ([]byte, error) {
			switch {
			case !it.IsList && it.PayloadLen == 32:
				return st.Node[it.PayloadOffset:it.End], nil
			case it.IsList && it.End-it.Offset < 32:
				return st.Node[it.Offset:it.End], nil
			case !it.IsList && it.PayloadLen == 0:
				return nil, fmt.Errorf("%w at depth %d", ErrAbsent, depth)
			}
			return nil, fmt.Errorf("%w: bad child reference at depth %d", ErrProof, depth)
		}
		switch len(items) {
		case 17:
			st.Kind = Branch
			if depth == len(nibbles) {
				return nil, steps, fmt.Errorf("%w: key ends at a branch", ErrProof)
			}
			if ref, err = child(items[nibbles[depth]]); err != nil {
				return nil, append(steps, st), err
			}
			depth++
		case 2:
			if items[0].IsList {
				return nil, steps, fmt.Errorf("%w: path is a list", ErrProof)
			}
			path, leaf, err := hexPrefix(st.Node[items[0].PayloadOffset:items[0].End])
			if err != nil {
				return nil, steps, err
			}
			if depth+len(path) > len(nibbles) || !bytes.Equal(nibbles[depth:depth+len(path)], path) {
				return nil, append(steps, st), fmt.Errorf("%w at depth %d: path diverges", ErrAbsent, depth)
			}
			depth += len(path)
			if leaf {
				st.Kind, st.Next = Leaf, depth
				steps = append(steps, st)
				if depth != len(nibbles) {
					return nil, steps, fmt.Errorf("%w: leaf at depth %d of %d", ErrAbsent, depth, len(nibbles))
				}
				if used != len(proof) {
					return nil, steps, fmt.Errorf("%w: %d nodes left over", ErrProof, len(proof)-used)
				}
				if items[1].IsList {
					return nil, steps, fmt.Errorf("%w: leaf value is a list", ErrProof)
				}
				return st.Node[items[1].PayloadOffset:items[1].End], steps, nil
			}
			st.Kind = Extension
			if ref, err = child(items[1]); err != nil {
				return nil, append(steps, st), err
			}
		default:
			return nil, steps, fmt.Errorf("%w: node of %d items", ErrProof, len(items))
		}
		st.Next = depth
		steps = append(steps, st)
	}
}

// StorageWord decodes a storage leaf's value (an RLP string of at most 32 bytes, a canonical
// integer) into the 32-byte word it stores.
func StorageWord(value []byte) (common.Hash, error) {
	it, err := rlp.DecodeItem(value, 0)
	if err != nil || it.End != len(value) {
		return common.Hash{}, fmt.Errorf("%w: storage value %x: %v", ErrProof, value, err)
	}
	if it.IsList || it.PayloadLen > 32 || it.PayloadLen == 0 || value[it.PayloadOffset] == 0 {
		return common.Hash{}, fmt.Errorf("%w: storage value %x is not a non-zero word", ErrProof, value)
	}
	return common.BytesToHash(value[it.PayloadOffset:it.End]), nil
}
