package synccommittee

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// The beacon node light-client API's JSON (`/eth/v1/beacon/light_client/...`): numbers as
// decimal strings, bytes as 0x-hex, each object in {"version": fork, "data": ...}.

// Uint64 is a uint64 written as a decimal string.
type Uint64 uint64

// UnmarshalJSON reads a decimal string.
func (u *Uint64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a decimal string: %w", err)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return err
	}
	*u = Uint64(v)
	return nil
}

// MarshalJSON writes a decimal string.
func (u Uint64) MarshalJSON() ([]byte, error) { return json.Marshal(strconv.FormatUint(uint64(u), 10)) }

// BeaconHeaderJSON is a BeaconBlockHeader as the API writes it.
type BeaconHeaderJSON struct {
	Slot          Uint64      `json:"slot"`
	ProposerIndex Uint64      `json:"proposer_index"`
	ParentRoot    common.Hash `json:"parent_root"`
	StateRoot     common.Hash `json:"state_root"`
	BodyRoot      common.Hash `json:"body_root"`
}

// Header is the header it describes.
func (h *BeaconHeaderJSON) Header() BeaconBlockHeader {
	return BeaconBlockHeader{uint64(h.Slot), uint64(h.ProposerIndex), h.ParentRoot, h.StateRoot, h.BodyRoot}
}

// ExecutionJSON is an ExecutionPayloadHeader as the API writes it.
type ExecutionJSON struct {
	ParentHash       common.Hash    `json:"parent_hash"`
	FeeRecipient     common.Address `json:"fee_recipient"`
	StateRoot        common.Hash    `json:"state_root"`
	ReceiptsRoot     common.Hash    `json:"receipts_root"`
	LogsBloom        hexutil.Bytes  `json:"logs_bloom"`
	PrevRandao       common.Hash    `json:"prev_randao"`
	BlockNumber      Uint64         `json:"block_number"`
	GasLimit         Uint64         `json:"gas_limit"`
	GasUsed          Uint64         `json:"gas_used"`
	Timestamp        Uint64         `json:"timestamp"`
	ExtraData        hexutil.Bytes  `json:"extra_data"`
	BaseFeePerGas    string         `json:"base_fee_per_gas"`
	BlockHash        common.Hash    `json:"block_hash"`
	TransactionsRoot common.Hash    `json:"transactions_root"`
	WithdrawalsRoot  common.Hash    `json:"withdrawals_root"`
	BlobGasUsed      *Uint64        `json:"blob_gas_used,omitempty"`
	ExcessBlobGas    *Uint64        `json:"excess_blob_gas,omitempty"`
}

// Header is the execution payload header it describes.
func (e *ExecutionJSON) Header() (ExecutionPayloadHeader, error) {
	fee, ok := new(big.Int).SetString(e.BaseFeePerGas, 10)
	if !ok {
		return ExecutionPayloadHeader{}, fmt.Errorf("%w: base_fee_per_gas %q", ErrField, e.BaseFeePerGas)
	}
	if len(e.LogsBloom) != 256 {
		return ExecutionPayloadHeader{}, fmt.Errorf("%w: logs_bloom of %d bytes", ErrField, len(e.LogsBloom))
	}
	if (e.BlobGasUsed == nil) != (e.ExcessBlobGas == nil) {
		return ExecutionPayloadHeader{}, fmt.Errorf("%w: one of blob_gas_used and excess_blob_gas", ErrField)
	}
	h := ExecutionPayloadHeader{
		ParentHash: e.ParentHash, FeeRecipient: e.FeeRecipient, StateRoot: e.StateRoot, ReceiptsRoot: e.ReceiptsRoot,
		PrevRandao: e.PrevRandao, BlockNumber: uint64(e.BlockNumber), GasLimit: uint64(e.GasLimit), GasUsed: uint64(e.GasUsed),
		Timestamp: uint64(e.Timestamp), ExtraData: e.ExtraData, BaseFeePerGas: fee, BlockHash: e.BlockHash,
		TransactionsRoot: e.TransactionsRoot, WithdrawalsRoot: e.WithdrawalsRoot,
	}
	copy(h.LogsBloom[:], e.LogsBloom)
	if e.BlobGasUsed != nil {
		h.Blobs, h.BlobGasUsed, h.ExcessBlobGas = true, uint64(*e.BlobGasUsed), uint64(*e.ExcessBlobGas)
	}
	return h, nil
}

// LightClientHeader is a beacon header with its execution payload header and the branch
// from the payload to the header's body root.
type LightClientHeader struct {
	Beacon          BeaconHeaderJSON `json:"beacon"`
	Execution       ExecutionJSON    `json:"execution"`
	ExecutionBranch []common.Hash    `json:"execution_branch"`
}

// SyncCommitteeJSON is a SyncCommittee as the API writes it.
type SyncCommitteeJSON struct {
	Pubkeys         []hexutil.Bytes `json:"pubkeys"`
	AggregatePubkey hexutil.Bytes   `json:"aggregate_pubkey"`
}

// Keys are the committee's public keys and their aggregate, 48 bytes each.
func (c *SyncCommitteeJSON) Keys() (pubkeys [][48]byte, aggregate [48]byte, err error) {
	if len(c.AggregatePubkey) != 48 {
		return nil, aggregate, fmt.Errorf("%w: aggregate public key of %d bytes", ErrField, len(c.AggregatePubkey))
	}
	copy(aggregate[:], c.AggregatePubkey)
	pubkeys = make([][48]byte, len(c.Pubkeys))
	for i, pk := range c.Pubkeys {
		if len(pk) != 48 {
			return nil, aggregate, fmt.Errorf("%w: public key %d of %d bytes", ErrField, i, len(pk))
		}
		copy(pubkeys[i][:], pk)
	}
	return pubkeys, aggregate, nil
}

// SyncAggregate is the committee's participation bits and aggregate signature.
type SyncAggregate struct {
	Bits      hexutil.Bytes `json:"sync_committee_bits"`      // Bitvector[committee size], bit i of byte i/8 at i%8
	Signature hexutil.Bytes `json:"sync_committee_signature"` // 96 bytes, compressed G2
}

// Participant reports whether member i signed.
func (a *SyncAggregate) Participant(i int) bool {
	return i/8 < len(a.Bits) && a.Bits[i/8]>>(i%8)&1 == 1
}

// Participants counts the members who signed.
func (a *SyncAggregate) Participants() int {
	n := 0
	for i := 0; i < 8*len(a.Bits); i++ {
		if a.Participant(i) {
			n++
		}
	}
	return n
}

// Bootstrap is a LightClientBootstrap: a trusted header, its state's current committee and
// the branch to it.
type Bootstrap struct {
	Header                     LightClientHeader `json:"header"`
	CurrentSyncCommittee       SyncCommitteeJSON `json:"current_sync_committee"`
	CurrentSyncCommitteeBranch []common.Hash     `json:"current_sync_committee_branch"`
}

// Update is a LightClientUpdate; a finality update has no next committee, an optimistic one
// no finalized header either.
type Update struct {
	AttestedHeader          LightClientHeader  `json:"attested_header"`
	NextSyncCommittee       *SyncCommitteeJSON `json:"next_sync_committee,omitempty"`
	NextSyncCommitteeBranch []common.Hash      `json:"next_sync_committee_branch,omitempty"`
	FinalizedHeader         *LightClientHeader `json:"finalized_header,omitempty"`
	FinalityBranch          []common.Hash      `json:"finality_branch,omitempty"`
	SyncAggregate           SyncAggregate      `json:"sync_aggregate"`
	SignatureSlot           Uint64             `json:"signature_slot"`
}

// Versioned is the API's envelope: {"version": fork name, "data": ...}.
type Versioned[T any] struct {
	Version string `json:"version"`
	Data    T      `json:"data"`
}
