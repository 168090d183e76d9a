package mpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	gethrlp "github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mainnet", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type getProof struct {
	Address      common.Address  `json:"address"`
	AccountProof []hexutil.Bytes `json:"accountProof"`
	StorageHash  common.Hash     `json:"storageHash"`
	StorageProof []struct {
		Key   common.Hash     `json:"key"`
		Value hexutil.Big     `json:"value"`
		Proof []hexutil.Bytes `json:"proof"`
	} `json:"storageProof"`
}

func nodes(p []hexutil.Bytes) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}

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
	var block struct {
		StateRoot    common.Hash `json:"stateRoot"`
		ReceiptsRoot common.Hash `json:"receiptsRoot"`
	}
	readJSON(t, "state/block-21925176.json", &block)
	var cases []proofCase
	for _, f := range []string{"state/getproof-21925176-deposit-contract.json", "state/getproof-21925176-fee-recipient.json"} {
		var p getProof
		readJSON(t, f, &p)
		cases = append(cases, proofCase{"account " + p.Address.Hex(), block.StateRoot, crypto.Keccak256(p.Address[:]), nodes(p.AccountProof), MaxNodeLen})
		for _, sp := range p.StorageProof {
			cases = append(cases, proofCase{"storage slot " + sp.Key.Hex(), p.StorageHash, crypto.Keccak256(sp.Key[:]), nodes(sp.Proof), MaxNodeLen})
		}
	}
	var receipt struct {
		Proof []hexutil.Bytes `json:"receiptProof"`
	}
	readJSON(t, "receipts/receipt-21925176-tx39-with-proof.json", &receipt)
	if len(receipt.Proof) == 0 {
		t.Fatal("receipt proof not found")
	}
	key, err := gethrlp.EncodeToBytes(uint(39))
	if err != nil {
		t.Fatal(err)
	}
	// A receipt trie's leaf holds the whole receipt, logs included: no 532-byte bound there.
	cases = append(cases, proofCase{"receipt 39", block.ReceiptsRoot, key, nodes(receipt.Proof), 1 << 16})
	return cases
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

func TestVerifyNativeDecodesTheAccount(t *testing.T) {
	var p getProof
	readJSON(t, "state/getproof-21925176-deposit-contract.json", &p)
	var block struct {
		StateRoot common.Hash `json:"stateRoot"`
	}
	readJSON(t, "state/block-21925176.json", &block)
	v, _, err := VerifyNative(block.StateRoot, crypto.Keccak256(p.Address[:]), nodes(p.AccountProof))
	if err != nil {
		t.Fatal(err)
	}
	var acc types.StateAccount
	if err := gethrlp.DecodeBytes(v, &acc); err != nil || acc.Root != p.StorageHash {
		t.Fatalf("account %+v (%v), storageHash %s", acc, err, p.StorageHash)
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
