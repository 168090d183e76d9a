package chain

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/isthmus-xyz/isthmus/protocol"
)

// StorageProof is one storage slot's value with its Merkle-Patricia proof under the
// account's storageRoot.
type StorageProof struct {
	Slot  common.Hash     `json:"slot"`
	Value common.Hash     `json:"value"`
	Proof []hexutil.Bytes `json:"proof"`
}

// CheckpointProof is a stored lane checkpoint with its storage proof.
type CheckpointProof struct {
	Count uint64 `json:"count"`
	StorageProof
}

// LaneProof is an Outbox lane's state at one block, with everything needed to check it
// against the block's stateRoot: the account proof of the Outbox and the storage proofs
// of the lane's word, accumulator and checkpoints.
type LaneProof struct {
	SrcDomain    uint32            `json:"srcDomain"`
	DstDomain    uint32            `json:"dstDomain"`
	Outbox       common.Address    `json:"outbox"`
	Header       *types.Header     `json:"header"`
	StorageRoot  common.Hash       `json:"storageRoot"`
	AccountProof []hexutil.Bytes   `json:"accountProof"`
	Word         StorageProof      `json:"word"`
	Acc          StorageProof      `json:"acc"`
	Checkpoints  []CheckpointProof `json:"checkpoints"`
}

func hexNodes(nodes []string) []hexutil.Bytes {
	out := make([]hexutil.Bytes, len(nodes))
	for i, n := range nodes {
		out[i] = common.FromHex(n)
	}
	return out
}

// accountResult is eth_getProof's answer (EIP-1186), the fields a lane proof takes.
type accountResult struct {
	AccountProof []string      `json:"accountProof"`
	StorageHash  common.Hash   `json:"storageHash"`
	StorageProof []storageItem `json:"storageProof"`
}

type storageItem struct {
	Key   string       `json:"key"`
	Value *hexutil.Big `json:"value"`
	Proof []string     `json:"proof"`
}

// getProof asks the node for account's proof and its storage proofs of keys at block number
// (eth_getProof, EIP-1186).
func (c *Client) getProof(ctx context.Context, account common.Address, keys []string, number *big.Int) (*accountResult, error) {
	var res accountResult
	if err := c.rpc.CallContext(ctx, &res, "eth_getProof", account, keys, hexutil.EncodeBig(number)); err != nil {
		return nil, err
	}
	for i, s := range res.StorageProof {
		if s.Value == nil {
			return nil, fmt.Errorf("eth_getProof: storage proof %d has no value", i)
		}
	}
	return &res, nil
}

func storageProofOf(r storageItem) StorageProof {
	return StorageProof{Slot: common.HexToHash(r.Key), Value: common.BigToHash(r.Value.ToInt()), Proof: hexNodes(r.Proof)}
}

// verifyMPT returns the value stored under keccak256(key) in the trie with the given root.
func verifyMPT(root common.Hash, key []byte, nodes []hexutil.Bytes) ([]byte, error) {
	// The empty trie holds nothing; its proofs have no node.
	if root == types.EmptyRootHash && len(nodes) == 0 {
		return nil, nil
	}
	db := memorydb.New()
	for _, n := range nodes {
		if err := db.Put(crypto.Keccak256(n), n); err != nil {
			return nil, err
		}
	}
	return trie.VerifyProof(root, crypto.Keccak256(key), db)
}

// Verify checks the account proof against the header's stateRoot and each storage proof
// against the account's storageRoot, and that the lane word and slots are the lane's.
func (p *LaneProof) Verify() error {
	if p.Header == nil {
		return fmt.Errorf("%w: no header", ErrBadProof)
	}
	accRLP, err := verifyMPT(p.Header.Root, p.Outbox[:], p.AccountProof)
	if err != nil {
		return fmt.Errorf("%w: account %s under stateRoot %s: %w", ErrBadProof, p.Outbox, p.Header.Root, err)
	}
	if accRLP == nil {
		return fmt.Errorf("%w: account %s absent at block %d", ErrBadProof, p.Outbox, p.Header.Number)
	}
	var account types.StateAccount
	if err := rlp.DecodeBytes(accRLP, &account); err != nil {
		return fmt.Errorf("%w: decode account: %w", ErrBadProof, err)
	}
	if account.Root != p.StorageRoot {
		return fmt.Errorf("%w: storageRoot %s, proven %s", ErrBadProof, p.StorageRoot, account.Root)
	}
	check := func(name string, sp *StorageProof, slot common.Hash) error {
		if sp.Slot != slot {
			return fmt.Errorf("%w: %s proof is for slot %s, want %s", ErrBadProof, name, sp.Slot, slot)
		}
		enc, err := verifyMPT(account.Root, slot[:], sp.Proof)
		if err != nil {
			return fmt.Errorf("%w: %s slot %s: %w", ErrBadProof, name, slot, err)
		}
		var value []byte
		if enc != nil {
			if err := rlp.DecodeBytes(enc, &value); err != nil {
				return fmt.Errorf("%w: %s value: %w", ErrBadProof, name, err)
			}
		}
		if new(big.Int).SetBytes(value).Cmp(sp.Value.Big()) != 0 {
			return fmt.Errorf("%w: %s value %s, proven %x", ErrBadProof, name, sp.Value, value)
		}
		return nil
	}
	if err := check("lane word", &p.Word, protocol.LaneWordSlot(p.DstDomain)); err != nil {
		return err
	}
	if _, err := protocol.DecodeLaneWord(p.Word.Value); err != nil {
		return fmt.Errorf("%w: %w", ErrBadProof, err)
	}
	if err := check("lane acc", &p.Acc, protocol.LaneAccSlot(p.DstDomain)); err != nil {
		return err
	}
	for i := range p.Checkpoints {
		cp := &p.Checkpoints[i]
		if err := check(fmt.Sprintf("checkpoint %d", cp.Count), &cp.StorageProof, protocol.CheckpointSlot(p.DstDomain, cp.Count)); err != nil {
			return err
		}
		if cp.Value == (common.Hash{}) {
			return fmt.Errorf("%w: no checkpoint stored at count %d", ErrBadProof, cp.Count)
		}
	}
	return nil
}

// Head is the lane's (count, acc) at the proof's block.
func (p *LaneProof) Head() (protocol.Accumulator, error) {
	w, err := protocol.DecodeLaneWord(p.Word.Value)
	if err != nil {
		return protocol.Accumulator{}, err
	}
	return protocol.Accumulator{Count: w.Count, Acc: p.Acc.Value}, nil
}

// Claims returns the lane claims this proof supports, for the committee that finalized its
// block: one per stored checkpoint, then the head, in ascending count.
func (p *LaneProof) Claims(committee common.Hash) ([]protocol.LaneClaim, error) {
	claim := func(kind protocol.ClaimKind, count uint64, acc common.Hash) protocol.LaneClaim {
		return protocol.LaneClaim{
			Kind: kind, SrcDomain: p.SrcDomain, DstDomain: p.DstDomain, Outbox: p.Outbox, Committee: committee,
			BlockNumber: p.Header.Number.Uint64(), BlockHash: p.Header.Hash(), Count: count, Acc: acc,
		}
	}
	head, err := p.Head()
	if err != nil {
		return nil, err
	}
	var out []protocol.LaneClaim
	for _, cp := range p.Checkpoints {
		if cp.Count < head.Count {
			out = append(out, claim(protocol.KindLaneCheckpoint, cp.Count, cp.Value))
		}
	}
	return append(out, claim(protocol.KindLaneHead, head.Count, head.Acc)), nil
}
