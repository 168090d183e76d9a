// Package synccommittee is Ethereum's beacon-chain light client: the sync committee's
// signature over an attested beacon header, the SSZ branches from its state to the finalized
// header and to the next committee, and from a header's body to its execution payload, by
// the consensus specs' light-client rules (Altair's, with Capella's execution payload,
// Deneb's blob fields and Electra's deeper state), natively (ssz.go, lightclient.go: the
// twin the circuits are checked against) and in circuits on BLS12-377: the committee's
// signature (signature.go), the attested header's signing root (header.go), the SSZ
// branches (branch.go), the finalized header's slot and payload root and the payload
// header's used fields (step.go, payload.go: Step and its links), and a committee's
// rotation: its keys, SSZ root and commitment, in chunks (rotation.go).
package synccommittee

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/ethereum/go-ethereum/common"
)

// ErrBranch is returned for an SSZ Merkle branch that does not lead to its root.
var ErrBranch = errors.New("SSZ branch does not verify")

func hash(a, b []byte) [32]byte {
	h := sha256.New()
	h.Write(a)
	h.Write(b)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// zeroHashes[i] is the root of a tree of depth i with every leaf zero.
var zeroHashes = func() [][32]byte {
	z := make([][32]byte, 41)
	for i := 1; i < len(z); i++ {
		z[i] = hash(z[i-1][:], z[i-1][:])
	}
	return z
}()

// merkleize is SSZ's merkleization of chunks, padded with zero chunks to limit (a power of
// two at least len(chunks); 0 means the next power of two).
func merkleize(chunks [][32]byte, limit int) [32]byte {
	if limit == 0 {
		limit = 1
		for limit < len(chunks) {
			limit *= 2
		}
	}
	if len(chunks) > limit {
		panic("ssz: more chunks than the limit")
	}
	depth := bits.Len(uint(limit)) - 1
	layer := append([][32]byte(nil), chunks...)
	for d := 0; d < depth; d++ {
		if len(layer)%2 == 1 {
			layer = append(layer, zeroHashes[d])
		}
		next := make([][32]byte, len(layer)/2)
		for i := range next {
			next[i] = hash(layer[2*i][:], layer[2*i+1][:])
		}
		layer = next
	}
	if len(layer) == 0 {
		return zeroHashes[depth]
	}
	return layer[0]
}

func uint64Chunk(v uint64) [32]byte {
	var c [32]byte
	binary.LittleEndian.PutUint64(c[:], v)
	return c
}

// bytesChunks packs bytes into 32-byte chunks, the last one zero-padded.
func bytesChunks(b []byte) [][32]byte {
	out := make([][32]byte, (len(b)+31)/32)
	for i := range out {
		copy(out[i][:], b[32*i:])
	}
	return out
}

// BeaconBlockHeader is phase0's BeaconBlockHeader.
type BeaconBlockHeader struct {
	Slot          uint64
	ProposerIndex uint64
	ParentRoot    common.Hash
	StateRoot     common.Hash
	BodyRoot      common.Hash
}

// Root is its hash_tree_root.
func (h *BeaconBlockHeader) Root() [32]byte {
	return merkleize([][32]byte{uint64Chunk(h.Slot), uint64Chunk(h.ProposerIndex), h.ParentRoot, h.StateRoot, h.BodyRoot}, 8)
}

// ExecutionPayloadHeader is the execution payload header of Capella (withdrawals) and, with
// the blob fields, of Deneb and later forks (Electra and Fulu leave it as Deneb's).
type ExecutionPayloadHeader struct {
	ParentHash       common.Hash
	FeeRecipient     common.Address
	StateRoot        common.Hash
	ReceiptsRoot     common.Hash
	LogsBloom        [256]byte
	PrevRandao       common.Hash
	BlockNumber      uint64
	GasLimit         uint64
	GasUsed          uint64
	Timestamp        uint64
	ExtraData        []byte // at most 32 bytes
	BaseFeePerGas    *big.Int
	BlockHash        common.Hash
	TransactionsRoot common.Hash
	WithdrawalsRoot  common.Hash
	// Deneb and later.
	Blobs         bool // whether the header has the two fields below (a Deneb or later fork)
	BlobGasUsed   uint64
	ExcessBlobGas uint64
}

// ErrField is returned for a field out of its SSZ type's range.
var ErrField = errors.New("SSZ field out of range")

// Root is its hash_tree_root.
func (e *ExecutionPayloadHeader) Root() ([32]byte, error) {
	leaves, err := e.leaves()
	if err != nil {
		return [32]byte{}, err
	}
	return merkleize(leaves, 0), nil
}

// leaves are its fields' SSZ chunks (hash_tree_root of each), in order.
func (e *ExecutionPayloadHeader) leaves() ([][32]byte, error) {
	if len(e.ExtraData) > 32 {
		return nil, fmt.Errorf("%w: extra_data of %d bytes (at most 32)", ErrField, len(e.ExtraData))
	}
	if e.BaseFeePerGas == nil || e.BaseFeePerGas.Sign() < 0 || e.BaseFeePerGas.BitLen() > 256 {
		return nil, fmt.Errorf("%w: base_fee_per_gas %v", ErrField, e.BaseFeePerGas)
	}
	var fee [32]byte
	be := e.BaseFeePerGas.FillBytes(make([]byte, 32))
	for i := range fee {
		fee[i] = be[31-i] // little-endian
	}
	var recipient [32]byte
	copy(recipient[:], e.FeeRecipient[:])
	extra := merkleize(bytesChunks(e.ExtraData), 1)
	extraLen := uint64Chunk(uint64(len(e.ExtraData)))
	fields := [][32]byte{
		e.ParentHash, recipient, e.StateRoot, e.ReceiptsRoot,
		merkleize(bytesChunks(e.LogsBloom[:]), 8), e.PrevRandao,
		uint64Chunk(e.BlockNumber), uint64Chunk(e.GasLimit), uint64Chunk(e.GasUsed), uint64Chunk(e.Timestamp),
		hash(extra[:], extraLen[:]), fee, e.BlockHash, e.TransactionsRoot, e.WithdrawalsRoot,
	}
	if e.Blobs {
		fields = append(fields, uint64Chunk(e.BlobGasUsed), uint64Chunk(e.ExcessBlobGas))
	}
	return fields, nil
}

// PubkeyRoot is the hash_tree_root of a 48-byte BLS public key.
func PubkeyRoot(pk [48]byte) [32]byte {
	var second [32]byte
	copy(second[:], pk[32:])
	return hash(pk[:32], second[:])
}

// CommitteeRoot is the hash_tree_root of a SyncCommittee: its members' public keys in order,
// and their aggregate.
func CommitteeRoot(pubkeys [][48]byte, aggregate [48]byte) [32]byte {
	roots := make([][32]byte, len(pubkeys))
	for i, pk := range pubkeys {
		roots[i] = PubkeyRoot(pk)
	}
	keys := merkleize(roots, 0)
	agg := PubkeyRoot(aggregate)
	return hash(keys[:], agg[:])
}

// VerifyBranch checks that leaf sits at generalized index gindex under root.
func VerifyBranch(leaf [32]byte, branch []common.Hash, gindex uint64, root [32]byte) error {
	depth := bits.Len64(gindex) - 1
	if depth < 1 || len(branch) != depth {
		return fmt.Errorf("%w: a branch of %d nodes for generalized index %d (depth %d)", ErrBranch, len(branch), gindex, depth)
	}
	node := leaf
	for i := 0; i < depth; i++ {
		if (gindex>>i)&1 == 1 {
			node = hash(branch[i][:], node[:])
		} else {
			node = hash(node[:], branch[i][:])
		}
	}
	if node != root {
		return fmt.Errorf("%w: generalized index %d leads to %x, want %x", ErrBranch, gindex, node, root)
	}
	return nil
}

// SigningRoot is compute_signing_root(object, domain), with domain compute_domain(domain
// type, fork version, genesis validators root).
func SigningRoot(object [32]byte, domainType [4]byte, forkVersion [4]byte, genesisValidatorsRoot common.Hash) [32]byte {
	domain := Domain(domainType, forkVersion, genesisValidatorsRoot)
	return hash(object[:], domain[:])
}

// MerkleRoot is the SSZ root over nodes (a power of two of them), as a key tree's node
// joins its subtrees.
func MerkleRoot(nodes [][32]byte) [32]byte { return merkleize(nodes, 0) }
