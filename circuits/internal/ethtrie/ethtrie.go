// Package ethtrie builds Merkle-Patricia tries with go-ethereum from raw keys (no hashing), for
// the proofs the circuits' packages make themselves (a padding witness) and for tests that need
// shapes mainnet proofs lack.
package ethtrie

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/triedb"
)

// Trie is a trie of raw keys.
type Trie struct{ tr *trie.Trie }

// NewTrie builds a trie of key/value pairs.
func NewTrie(keys, values [][]byte) (*Trie, error) {
	tr := trie.NewEmpty(triedb.NewDatabase(rawdb.NewMemoryDatabase(), nil))
	for i := range keys {
		if err := tr.Update(keys[i], values[i]); err != nil {
			return nil, err
		}
	}
	return &Trie{tr}, nil
}

// Root is the trie's root hash.
func (t *Trie) Root() common.Hash { return t.tr.Hash() }

// Prove returns the hashed nodes on key's path, as go-ethereum's Prove writes them.
func (t *Trie) Prove(key []byte) ([][]byte, error) {
	db := memorydb.New()
	if err := t.tr.Prove(key, db); err != nil {
		return nil, err
	}
	var out [][]byte
	it := db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		out = append(out, append([]byte(nil), it.Value()...))
	}
	return out, nil
}
