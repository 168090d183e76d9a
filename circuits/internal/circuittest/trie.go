package circuittest

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/ethtrie"
)

// Trie is an ethtrie.Trie whose errors fail the test.
type Trie struct {
	t  testing.TB
	tr *ethtrie.Trie
}

// NewTrie builds a trie from key/value pairs (raw keys: no hashing).
func NewTrie(t testing.TB, keys, values [][]byte) *Trie {
	t.Helper()
	tr, err := ethtrie.NewTrie(keys, values)
	if err != nil {
		t.Fatal(err)
	}
	return &Trie{t: t, tr: tr}
}

// Root is the trie's root hash.
func (tr *Trie) Root() common.Hash { return tr.tr.Root() }

// Prove returns the hashed nodes on key's path, as go-ethereum's Prove writes them.
func (tr *Trie) Prove(key []byte) [][]byte {
	tr.t.Helper()
	nodes, err := tr.tr.Prove(key)
	if err != nil {
		tr.t.Fatal(err)
	}
	return nodes
}
