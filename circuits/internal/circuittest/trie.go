package circuittest

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/triedb"
)

// Trie is a Merkle-Patricia trie built with go-ethereum, for tests that need shapes mainnet
// proofs lack (extension nodes on chosen paths, nodes embedded in their parents).
type Trie struct {
	t  testing.TB
	tr *trie.Trie
}

// NewTrie builds a trie from key/value pairs (raw keys: no hashing).
func NewTrie(t testing.TB, keys, values [][]byte) *Trie {
	t.Helper()
	tr := trie.NewEmpty(triedb.NewDatabase(rawdb.NewMemoryDatabase(), nil))
	for i := range keys {
		if err := tr.Update(keys[i], values[i]); err != nil {
			t.Fatal(err)
		}
	}
	return &Trie{t: t, tr: tr}
}

// Root is the trie's root hash.
func (tr *Trie) Root() common.Hash { return tr.tr.Hash() }

// Prove returns the hashed nodes on key's path, as go-ethereum's Prove writes them.
func (tr *Trie) Prove(key []byte) [][]byte {
	tr.t.Helper()
	db := memorydb.New()
	if err := tr.tr.Prove(key, db); err != nil {
		tr.t.Fatal(err)
	}
	var out [][]byte
	it := db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		out = append(out, append([]byte(nil), it.Value()...))
	}
	return out
}
