package synccommittee

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	frbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// What a simulated beacon chain (a devnet's) needs to make the light client's objects: a sync
// committee whose secret keys it knows, the SSZ roots and branches of a block body and of a
// state holding only what the light client reads, and the execution payload header of an
// execution block. The light client checks them exactly as it checks mainnet's.

// Signer is a sync committee whose members' secret keys are known: keys from a seed, for a
// devnet.
type Signer struct {
	secrets []frbls12381.Element
	JSON    SyncCommitteeJSON
}

// NewSigner derives a committee of size members from seed: member i's secret key is
// sha256(seed ‖ i) reduced modulo r.
func NewSigner(seed []byte, size int) *Signer {
	s := &Signer{}
	_, _, g1, _ := bls12381.Generators()
	var agg bls12381.G1Jac
	for i := range size {
		h := sha256.New()
		h.Write(seed)
		binary.Write(h, binary.BigEndian, uint32(i)) //nolint:errcheck // a hash never fails to write
		var sk frbls12381.Element
		sk.SetBytes(h.Sum(nil))
		s.secrets = append(s.secrets, sk)
		var pk bls12381.G1Affine
		pk.ScalarMultiplication(&g1, sk.BigInt(new(big.Int)))
		b := pk.Bytes()
		s.JSON.Pubkeys = append(s.JSON.Pubkeys, hexutil.Bytes(b[:]))
		agg.AddMixed(&pk)
	}
	var a bls12381.G1Affine
	a.FromJacobian(&agg)
	b := a.Bytes()
	s.JSON.AggregatePubkey = b[:]
	return s
}

// Root is the committee's SSZ root.
func (s *Signer) Root() ([32]byte, error) {
	pubkeys, aggregate, err := s.JSON.Keys()
	if err != nil {
		return [32]byte{}, err
	}
	return CommitteeRoot(pubkeys, aggregate), nil
}

// Sign is the sync aggregate of the members signers over a signing root.
func (s *Signer) Sign(signingRoot [32]byte, signers []int) (SyncAggregate, error) {
	h, err := bls12381.HashToG2(signingRoot[:], []byte(SignatureDST))
	if err != nil {
		return SyncAggregate{}, err
	}
	agg := SyncAggregate{Bits: make([]byte, (len(s.secrets)+7)/8)}
	var sum bls12381.G2Jac
	for _, i := range signers {
		if i < 0 || i >= len(s.secrets) {
			return SyncAggregate{}, fmt.Errorf("%w: member %d of %d", ErrField, i, len(s.secrets))
		}
		var sig bls12381.G2Affine
		sig.ScalarMultiplication(&h, s.secrets[i].BigInt(new(big.Int)))
		sum.AddMixed(&sig)
		agg.Bits[i/8] |= 1 << (i % 8)
	}
	var sig bls12381.G2Affine
	sig.FromJacobian(&sum)
	b := sig.Bytes()
	agg.Signature = b[:]
	return agg, nil
}

// branchOf is the Merkle branch of leaf index in a tree of leaves (a power of two of them),
// bottom first, with the tree's root.
func branchOf(leaves [][32]byte, index int) ([]common.Hash, [32]byte) {
	var branch []common.Hash
	layer := append([][32]byte(nil), leaves...)
	for len(layer) > 1 {
		branch = append(branch, layer[index^1])
		next := make([][32]byte, len(layer)/2)
		for i := range next {
			next[i] = hash(layer[2*i][:], layer[2*i+1][:])
		}
		layer, index = next, index/2
	}
	return branch, layer[0]
}

// BodyOf is the root of a beacon block body (Capella to Fulu: 16 leaves) whose execution
// payload header has root payload, its other fields zero, with the branch from the payload
// (ExecutionPayloadGindex).
func BodyOf(payload [32]byte) ([32]byte, []common.Hash) {
	leaves := make([][32]byte, 16)
	leaves[ExecutionPayloadGindex-16] = payload
	branch, root := branchOf(leaves, ExecutionPayloadGindex-16)
	return root, branch
}

// StateBranches are a state's root and the light client's branches in it.
type StateBranches struct {
	Root                                      [32]byte
	Finality, CurrentCommittee, NextCommittee []common.Hash
}

// StateOf is the root of a beacon state (Capella to Deneb: 32 fields) that holds only the
// finalized checkpoint (epoch, root) and the current and next sync committees' roots, with
// the light client's branches to them.
func StateOf(finalizedEpoch uint64, finalized, current, next [32]byte) StateBranches {
	return stateOf(FinalizedRootGindex, CurrentSyncCommitteeGindex, NextSyncCommitteeGindex, finalizedEpoch, finalized, current, next)
}

// stateOf is StateOf for a state whose branches have the given generalized indices (the
// fields' count is the next committee's layer: 32 before Electra, 64 from it).
func stateOf(finalizedGindex, currentGindex, nextGindex, finalizedEpoch uint64, finalized, current, next [32]byte) StateBranches {
	n := uint64(1) << (bits.Len64(nextGindex) - 1)
	leaves := make([][32]byte, n)
	epoch := uint64Chunk(finalizedEpoch)
	leaves[finalizedGindex/2-n] = hash(epoch[:], finalized[:])
	leaves[currentGindex-n] = current
	leaves[nextGindex-n] = next
	var s StateBranches
	up, root := branchOf(leaves, int(finalizedGindex/2-n))
	s.Root, s.Finality = root, append([]common.Hash{epoch}, up...)
	s.CurrentCommittee, _ = branchOf(leaves, int(currentGindex-n))
	s.NextCommittee, _ = branchOf(leaves, int(nextGindex-n))
	return s
}

// ExecutionHeaderOf is the execution payload header of an execution block (Deneb's shape when
// blobs: the blob gas fields), with the SSZ roots of its transactions and withdrawals.
func ExecutionHeaderOf(h *types.Header, txs types.Transactions, withdrawals types.Withdrawals, blobs bool) (ExecutionPayloadHeader, error) {
	e := ExecutionPayloadHeader{
		ParentHash: h.ParentHash, FeeRecipient: h.Coinbase, StateRoot: h.Root, ReceiptsRoot: h.ReceiptHash,
		LogsBloom: h.Bloom, PrevRandao: h.MixDigest, BlockNumber: h.Number.Uint64(), GasLimit: h.GasLimit,
		GasUsed: h.GasUsed, Timestamp: h.Time, ExtraData: h.Extra, BaseFeePerGas: h.BaseFee, BlockHash: h.Hash(), Blobs: blobs,
	}
	if e.BaseFeePerGas == nil {
		return e, fmt.Errorf("%w: block %d has no base fee", ErrField, e.BlockNumber)
	}
	if blobs {
		if h.BlobGasUsed == nil || h.ExcessBlobGas == nil {
			return e, fmt.Errorf("%w: block %d has no blob gas fields", ErrField, e.BlockNumber)
		}
		e.BlobGasUsed, e.ExcessBlobGas = *h.BlobGasUsed, *h.ExcessBlobGas
	}
	// transactions: List[ByteList[2^30], 2^20]; withdrawals: List[Withdrawal, 16].
	roots := make([][32]byte, len(txs))
	for i, tx := range txs {
		enc, err := tx.MarshalBinary()
		if err != nil {
			return e, err
		}
		r := merkleize(bytesChunks(enc), 1<<25)
		l := uint64Chunk(uint64(len(enc)))
		roots[i] = hash(r[:], l[:])
	}
	r, l := merkleize(roots, 1<<20), uint64Chunk(uint64(len(txs)))
	e.TransactionsRoot = hash(r[:], l[:])
	ws := make([][32]byte, len(withdrawals))
	for i, w := range withdrawals {
		var addr [32]byte
		copy(addr[:], w.Address[:])
		ws[i] = merkleize([][32]byte{uint64Chunk(w.Index), uint64Chunk(w.Validator), addr, uint64Chunk(w.Amount)}, 4)
	}
	r, l = merkleize(ws, 16), uint64Chunk(uint64(len(withdrawals)))
	e.WithdrawalsRoot = hash(r[:], l[:])
	return e, nil
}

// JSON is the header as the API writes it.
func (e *ExecutionPayloadHeader) JSON() ExecutionJSON {
	j := ExecutionJSON{
		ParentHash: e.ParentHash, FeeRecipient: e.FeeRecipient, StateRoot: e.StateRoot, ReceiptsRoot: e.ReceiptsRoot,
		LogsBloom: e.LogsBloom[:], PrevRandao: e.PrevRandao, BlockNumber: Uint64(e.BlockNumber), GasLimit: Uint64(e.GasLimit),
		GasUsed: Uint64(e.GasUsed), Timestamp: Uint64(e.Timestamp), ExtraData: e.ExtraData, BaseFeePerGas: e.BaseFeePerGas.String(),
		BlockHash: e.BlockHash, TransactionsRoot: e.TransactionsRoot, WithdrawalsRoot: e.WithdrawalsRoot,
	}
	if j.ExtraData == nil {
		j.ExtraData = []byte{}
	}
	if e.Blobs {
		used, excess := Uint64(e.BlobGasUsed), Uint64(e.ExcessBlobGas)
		j.BlobGasUsed, j.ExcessBlobGas = &used, &excess
	}
	return j
}

// JSON is the header as the API writes it.
func (h *BeaconBlockHeader) JSON() BeaconHeaderJSON {
	return BeaconHeaderJSON{Slot: Uint64(h.Slot), ProposerIndex: Uint64(h.ProposerIndex), ParentRoot: h.ParentRoot, StateRoot: h.StateRoot, BodyRoot: h.BodyRoot}
}
