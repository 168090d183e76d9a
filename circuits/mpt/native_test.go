package mpt

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
)

// gethVerify is go-ethereum's verification of the same proof.
func gethVerify(t *testing.T, root common.Hash, key []byte, proof [][]byte) []byte {
	t.Helper()
	db := memorydb.New()
	for _, n := range proof {
		if err := db.Put(crypto.Keccak256(n), n); err != nil {
			t.Fatal(err)
		}
	}
	v, err := trie.VerifyProof(root, key, db)
	if err != nil {
		t.Fatalf("go-ethereum refuses the proof: %v", err)
	}
	return v
}

type proofCase struct {
	name    string
	root    common.Hash
	key     []byte
	proof   [][]byte
	maxNode int // largest node the trie may hold
}

func mainnetCases(t *testing.T) []proofCase {
	state, err := mainnet.StateProofs()
	if err != nil {
		t.Fatal(err)
	}
	var cases []proofCase
	for _, p := range state {
		cases = append(cases, proofCase{p.Name, p.Root, p.Key, p.Nodes, MaxNodeLen})
	}
	r, err := mainnet.ReceiptProof()
	if err != nil {
		t.Fatal(err)
	}
	// A receipt trie's leaf holds the whole receipt, logs included: no 532-byte bound there.
	return append(cases, proofCase{r.Name, r.Root, r.Key, r.Nodes, 1 << 16})
}

func TestVerifyNativeAgreesWithGoEthereum(t *testing.T) {
	for _, c := range mainnetCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want := gethVerify(t, c.root, c.key, c.proof)
			got, steps, err := VerifyNative(c.root, c.key, c.proof)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("value %x, go-ethereum %x", got, want)
			}
			if steps[len(steps)-1].Kind != Leaf || steps[0].Hash != c.root {
				t.Fatalf("steps %v", steps)
			}
			for _, s := range steps {
				if len(s.Node) > c.maxNode {
					t.Fatalf("node of %d bytes", len(s.Node))
				}
			}
		})
	}
}

// Every account leaf decodes to the storageRoot its proof source gives, every storage leaf to
// its value (WETH's slot 2 is 18), and a proof runs through an extension node.
func TestVerifyNativeDecodesLeaves(t *testing.T) {
	state, err := mainnet.StateProofs()
	if err != nil {
		t.Fatal(err)
	}
	extensions := 0
	for _, p := range state {
		v, steps, err := VerifyNative(p.Root, p.Key, p.Nodes)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		got, err := StorageWord(v)
		if p.Account {
			got, err = AccountStorageRoot(v)
		}
		if err != nil || got != p.Want {
			t.Fatalf("%s: leaf gives %s (%v), want %s", p.Name, got, err, p.Want)
		}
		for _, s := range steps {
			if s.Kind == Extension {
				extensions++
			}
		}
	}
	if extensions == 0 {
		t.Fatal("no mainnet proof runs through an extension node")
	}
}

func TestVerifyNativeRefuses(t *testing.T) {
	for _, c := range mainnetCases(t) {
		t.Run(c.name, func(t *testing.T) {
			bad := map[string]proofCase{}
			for i := range c.proof {
				for _, pos := range []int{0, len(c.proof[i]) / 2, len(c.proof[i]) - 1} {
					p := clone(c.proof)
					p[i][pos] ^= 0x10
					bad["flipped byte"] = proofCase{root: c.root, key: c.key, proof: p}
					if _, _, err := VerifyNative(c.root, c.key, p); err == nil {
						t.Fatalf("node %d byte %d flipped: accepted", i, pos)
					}
				}
			}
			wrongKey := append([]byte(nil), c.key...)
			wrongKey[len(wrongKey)-1] ^= 1
			for name, b := range map[string]proofCase{
				"truncated":     {root: c.root, key: c.key, proof: c.proof[:len(c.proof)-1]},
				"extra node":    {root: c.root, key: c.key, proof: append(clone(c.proof), c.proof[0])},
				"other root":    {root: crypto.Keccak256Hash(c.root[:]), key: c.key, proof: c.proof},
				"wrong key":     {root: c.root, key: wrongKey, proof: c.proof},
				"missing first": {root: c.root, key: c.key, proof: c.proof[1:]},
			} {
				if _, _, err := VerifyNative(b.root, b.key, b.proof); err == nil {
					t.Errorf("%s: accepted", name)
				} else if !errors.Is(err, ErrProof) && !errors.Is(err, ErrAbsent) {
					t.Errorf("%s: unexpected error %v", name, err)
				}
			}
		})
	}
}

func clone(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = append([]byte(nil), p[i]...)
	}
	return out
}
