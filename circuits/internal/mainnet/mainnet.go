// Package mainnet loads the Ethereum mainnet vectors in testdata/mainnet (see its
// PROVENANCE.md) for the circuits' tests: account, storage and receipt proofs with what they
// must prove.
package mainnet

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// Proof is a Merkle-Patricia proof of one key.
type Proof struct {
	Name    string
	Root    common.Hash
	Key     []byte // the trie key: keccak256(address or slot), or rlp(index) for receipts
	Nodes   [][]byte
	Account bool        // a state-trie (account) proof
	Want    common.Hash // what the leaf gives: the account's storageRoot or the storage word
}

// Dir is testdata/mainnet, found from the working directory up to the module root.
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "mainnet"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("mainnet vectors: no go.mod above the working directory")
		}
		dir = parent
	}
}

// MoreLightClientDir is the shared, read-in-place light-client data beside the checkout
// (../shared/testdata/mainnet/lightclient-more from the module root), and whether it is
// there: tests read it in place and skip, saying so, where it is absent.
func MoreLightClientDir() (string, bool) {
	dir, err := Dir()
	if err != nil {
		return "", false
	}
	root := filepath.Dir(filepath.Dir(dir)) // the module root
	more := filepath.Join(filepath.Dir(root), "shared", "testdata", "mainnet", "lightclient-more")
	if st, err := os.Stat(more); err != nil || !st.IsDir() {
		return more, false
	}
	return more, true
}

func readJSON(name string, v any) error {
	dir, err := Dir()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func nodes(p []hexutil.Bytes) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}

// StateProofs are the account and storage proofs: the beacon deposit contract (account, slot
// 1) and a fee recipient's account at block 21,925,176; WETH (account, slot 2 = 18) at block
// 19,000,000; and an account at genesis whose path runs through an extension node.
func StateProofs() ([]Proof, error) {
	var block struct {
		StateRoot common.Hash `json:"stateRoot"`
	}
	if err := readJSON("state/block-21925176.json", &block); err != nil {
		return nil, err
	}
	var out []Proof
	for _, f := range []string{"state/getproof-21925176-deposit-contract.json", "state/getproof-21925176-fee-recipient.json"} {
		var p struct {
			Address      common.Address  `json:"address"`
			AccountProof []hexutil.Bytes `json:"accountProof"`
			StorageHash  common.Hash     `json:"storageHash"`
			StorageProof []struct {
				Key   common.Hash     `json:"key"`
				Value hexutil.Big     `json:"value"`
				Proof []hexutil.Bytes `json:"proof"`
			} `json:"storageProof"`
		}
		if err := readJSON(f, &p); err != nil {
			return nil, err
		}
		out = append(out, Proof{"account " + p.Address.Hex() + " at 21925176", block.StateRoot, crypto.Keccak256(p.Address[:]), nodes(p.AccountProof), true, p.StorageHash})
		for _, sp := range p.StorageProof {
			out = append(out, Proof{"slot " + sp.Key.Big().String() + " of " + p.Address.Hex(), p.StorageHash, crypto.Keccak256(sp.Key[:]),
				nodes(sp.Proof), false, common.BigToHash((*big.Int)(&sp.Value))})
		}
	}
	weth, err := wethProofs()
	if err != nil {
		return nil, err
	}
	genesis, err := genesisProof()
	if err != nil {
		return nil, err
	}
	return append(append(out, weth...), genesis), nil
}

// ReceiptProof is transaction 39's receipt in block 21,925,176's receipts trie.
func ReceiptProof() (Proof, error) {
	var block struct {
		ReceiptsRoot common.Hash `json:"receiptsRoot"`
	}
	if err := readJSON("state/block-21925176.json", &block); err != nil {
		return Proof{}, err
	}
	var r struct {
		Proof []hexutil.Bytes `json:"receiptProof"`
	}
	if err := readJSON("receipts/receipt-21925176-tx39-with-proof.json", &r); err != nil {
		return Proof{}, err
	}
	if len(r.Proof) == 0 {
		return Proof{}, fmt.Errorf("receipt proof: no nodes")
	}
	key, err := rlp.EncodeToBytes(uint(39))
	if err != nil {
		return Proof{}, err
	}
	return Proof{Name: "receipt 39 of 21925176", Root: block.ReceiptsRoot, Key: key, Nodes: nodes(r.Proof)}, nil
}

// yaml reads the flat YAML of the portal vectors: "key: '0x…'" scalars and "- '0x…'" lists,
// entries separated by a leading "- ".
func yaml(name string) ([]map[string][]string, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	scalar := regexp.MustCompile(`^(- )?\s*(\w+): '(0x[0-9a-f]+)'`)
	key := regexp.MustCompile(`^(\w+):\s*$`)
	item := regexp.MustCompile(`^\s*- '(0x[0-9a-f]+)'`)
	var out []map[string][]string
	cur, list := map[string][]string{}, ""
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<22)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case scalar.MatchString(line):
			m := scalar.FindStringSubmatch(line)
			if m[1] != "" && len(cur) > 0 {
				out = append(out, cur)
				cur = map[string][]string{}
			}
			cur[m[2]] = []string{m[3]}
		case key.MatchString(line):
			list = key.FindStringSubmatch(line)[1]
		case item.MatchString(line):
			cur[list] = append(cur[list], item.FindStringSubmatch(line)[1])
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, s.Err()
}

func hexNodes(list []string) [][]byte {
	out := make([][]byte, len(list))
	for i, h := range list {
		out[i] = common.FromHex(h)
	}
	return out
}

// headerRoot decodes a header and returns its state root, checking its hash when want is set.
func headerRoot(enc string, want common.Hash) (common.Hash, error) {
	var h types.Header
	if err := rlp.DecodeBytes(common.FromHex(enc), &h); err != nil {
		return common.Hash{}, err
	}
	if want != (common.Hash{}) && h.Hash() != want {
		return common.Hash{}, fmt.Errorf("header hashes to %s, want %s", h.Hash(), want)
	}
	return h.Root, nil
}

func wethProofs() ([]Proof, error) {
	weth, err := yaml("state/weth-19000000-storage-proof.yaml")
	if err != nil || len(weth) != 1 {
		return nil, fmt.Errorf("weth vectors: %v", err)
	}
	trieNodes, err := yaml("state/trie-nodes-19000000-and-genesis.yaml")
	if err != nil || len(trieNodes) == 0 {
		return nil, fmt.Errorf("trie-node vectors: %v", err)
	}
	root, err := headerRoot(trieNodes[0]["block_header"][0], common.HexToHash(weth[0]["block_hash"][0]))
	if err != nil {
		return nil, fmt.Errorf("block 19000000: %w", err)
	}
	addr := common.HexToAddress("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")
	accountNodes := hexNodes(weth[0]["account_proof"])
	// The storage root comes from the account leaf: the last account node's value.
	var leaf []any
	if err := rlp.DecodeBytes(accountNodes[len(accountNodes)-1], &leaf); err != nil || len(leaf) != 2 {
		return nil, fmt.Errorf("weth account leaf: %v", err)
	}
	var acc types.StateAccount
	if err := rlp.DecodeBytes(leaf[1].([]byte), &acc); err != nil {
		return nil, fmt.Errorf("weth account: %w", err)
	}
	slot := common.BigToHash(big.NewInt(2))
	return []Proof{
		{"account WETH at 19000000", root, crypto.Keccak256(addr[:]), accountNodes, true, acc.Root},
		{"slot 2 of WETH (decimals = 18)", acc.Root, crypto.Keccak256(slot[:]), hexNodes(weth[0]["storage_proof"]), false, common.BigToHash(big.NewInt(18))},
	}, nil
}

// genesisProof is the portal vector's proof of an account leaf at genesis, whose path runs
// through an extension node. Its key is the path the proof takes.
func genesisProof() (Proof, error) {
	entries, err := yaml("state/trie-nodes-19000000-and-genesis.yaml")
	if err != nil {
		return Proof{}, err
	}
	for _, e := range entries {
		root, err := headerRoot(e["block_header"][0], common.Hash{})
		if err != nil {
			return Proof{}, err
		}
		offer := common.FromHex(e["content_value_offer"][0])
		proof, err := sszNodes(offer)
		if err != nil {
			return Proof{}, err
		}
		last := proof[len(proof)-1]
		var leaf [][]byte
		if rlp.DecodeBytes(last, &leaf) != nil || len(leaf) != 2 || leaf[0][0]>>4 < 2 {
			continue // a proof of an inner node
		}
		hasGenesisHash := common.BytesToHash(offer[4:36]) == common.HexToHash("0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3")
		if !hasGenesisHash {
			continue
		}
		key, err := pathKey(proof)
		if err != nil {
			return Proof{}, err
		}
		var acc types.StateAccount
		if err := rlp.DecodeBytes(leaf[1], &acc); err != nil {
			return Proof{}, err
		}
		return Proof{"account at genesis, through an extension node", root, key, proof, true, acc.Root}, nil
	}
	return Proof{}, fmt.Errorf("no genesis account-leaf proof in the trie-node vectors")
}

// sszNodes reads the node list of a portal offer: Container(proof: List[ByteList], block_hash).
func sszNodes(offer []byte) ([][]byte, error) {
	if len(offer) < 36 {
		return nil, fmt.Errorf("offer of %d bytes", len(offer))
	}
	list := offer[binary.LittleEndian.Uint32(offer):]
	n := int(binary.LittleEndian.Uint32(list)) / 4
	var out [][]byte
	for i := 0; i < n; i++ {
		start := binary.LittleEndian.Uint32(list[4*i:])
		end := uint32(len(list))
		if i+1 < n {
			end = binary.LittleEndian.Uint32(list[4*i+4:])
		}
		if start > end || int(end) > len(list) {
			return nil, fmt.Errorf("bad offsets")
		}
		out = append(out, list[start:end])
	}
	return out, nil
}

// pathKey rebuilds the key a proof's path spells: the branch slot holding each next node's
// hash, then the nibbles of extension and leaf paths.
func pathKey(proof [][]byte) ([]byte, error) {
	var nib []byte
	for i, n := range proof {
		var items [][]byte
		if err := rlp.DecodeBytes(n, &items); err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		switch len(items) {
		case 17:
			next := crypto.Keccak256(proof[i+1])
			found := false
			for j := 0; j < 16; j++ {
				if string(items[j]) == string(next) {
					nib, found = append(nib, byte(j)), true
				}
			}
			if !found {
				return nil, fmt.Errorf("node %d: next node not a child", i)
			}
		case 2:
			p := items[0]
			if p[0]>>4&1 == 1 {
				nib = append(nib, p[0]&0x0f)
			}
			for _, b := range p[1:] {
				nib = append(nib, b>>4, b&0x0f)
			}
		}
	}
	if len(nib) != 64 {
		return nil, fmt.Errorf("path of %d nibbles", len(nib))
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = nib[2*i]<<4 | nib[2*i+1]
	}
	return key, nil
}

// Receipts are block 21,925,176's receipts, in transaction order, with its receiptsRoot (they
// are checked to rebuild it).
func Receipts() (types.Receipts, common.Hash, error) {
	var raw []json.RawMessage
	if err := readJSON("receipts/receipts-21925176.json", &raw); err != nil {
		return nil, common.Hash{}, err
	}
	var rs types.Receipts
	for i, r := range raw {
		var rc types.Receipt
		if err := json.Unmarshal(r, &rc); err != nil {
			return nil, common.Hash{}, fmt.Errorf("receipt %d: %w", i, err)
		}
		rs = append(rs, &rc)
	}
	var block struct {
		ReceiptsRoot common.Hash `json:"receiptsRoot"`
	}
	if err := readJSON("state/block-21925176.json", &block); err != nil {
		return nil, common.Hash{}, err
	}
	if root := types.DeriveSha(rs, trie.NewStackTrie(nil)); root != block.ReceiptsRoot {
		return nil, common.Hash{}, fmt.Errorf("receipts rebuild %s, the header's receiptsRoot is %s", root, block.ReceiptsRoot)
	}
	return rs, block.ReceiptsRoot, nil
}
