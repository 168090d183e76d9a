package protocol

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Limits the Outbox enforces, and the bounds of a lane segment (see Lane). SegmentMaxBytes
// bounds the segment's packed delivery size (PackedOverhead + payload length per message), so
// that a segment's delivery stays below go-ethereum's 128 KiB transaction size limit. The
// bounds are derived from the Inbox's measured worst case (contracts/src/Protocol.sol has the
// derivation; contracts/liveness_test.go the measurement): a maximal segment of cold,
// failing, gas-burning recipients needs 14,122,158 gas, under 90% of the 2^24 cap.
const (
	MaxPayload  = 64 * 1024
	MaxGasLimit = 5_000_000
	// InlineGasLimit is the largest gasLimit the Inbox's deliver runs with the relayer's gas;
	// a message that asks for more is deferred, run by retry with its caller's gas, and its
	// gasLimit does not count towards SegmentMaxGas (InlineGas).
	InlineGasLimit     = 125_000
	SegmentMaxMessages = 128
	SegmentMaxGas      = 8_000_000
	SegmentMaxBytes    = 120_000
)

// Outbox storage: slot 0 holds mapping(uint32 dstDomain => Lane). A lane's base slot is
// keccak256(pad32(dstDomain) ‖ pad32(0)); base + 0 holds its word, base + 1 its accumulator,
// and base + 2 + count the checkpoint stored when a segment closed at count. Keeping the
// checkpoints beside the word makes a checkpoint's slot one addition away from the word's,
// so a circuit derives both storage keys with the same keccak permutations.
const lanesSlot = 0

// mappingSlot is Solidity's slot of mapping[key] for a mapping at slot base.
func mappingSlot(key uint64, base common.Hash) common.Hash {
	var k [32]byte
	binary.BigEndian.PutUint64(k[24:], key)
	return crypto.Keccak256Hash(k[:], base[:])
}

func slotAt(n uint64) common.Hash {
	return common.BigToHash(new(big.Int).SetUint64(n))
}

// laneSlot is the lane's base slot plus offset, modulo 2^256.
func laneSlot(dstDomain uint32, offset *big.Int) common.Hash {
	s := new(big.Int).SetBytes(LaneWordSlot(dstDomain).Bytes())
	s.Add(s, offset)
	return common.BytesToHash(s.Bytes()) // keeps the low 32 bytes
}

// LaneWordSlot is the storage slot of the lane's packed word (count and open segment).
func LaneWordSlot(dstDomain uint32) common.Hash {
	return mappingSlot(uint64(dstDomain), slotAt(lanesSlot))
}

// LaneAccSlot is the storage slot of the lane's accumulator.
func LaneAccSlot(dstDomain uint32) common.Hash {
	return laneSlot(dstDomain, big.NewInt(1))
}

// CheckpointSlot is the storage slot of the accumulator stored when the lane's segment
// closed at count: the lane's base slot + 2 + count.
func CheckpointSlot(dstDomain uint32, count uint64) common.Hash {
	off := new(big.Int).SetUint64(count)
	return laneSlot(dstDomain, off.Add(off, big.NewInt(2)))
}

// LaneWord is the Outbox's packed per-lane word: count in bits 0-63, then the open segment's
// message count (64-95), summed gasLimit (96-159) and summed payload bytes (160-191).
type LaneWord struct {
	Count       uint64
	SegMessages uint32
	SegGas      uint64
	SegBytes    uint32
}

// DecodeLaneWord reads the packed word from its 32-byte storage value.
func DecodeLaneWord(v common.Hash) (LaneWord, error) {
	for _, b := range v[:8] {
		if b != 0 {
			return LaneWord{}, fmt.Errorf("lane word %x: %w: bits above 192 set", v, ErrBadEncoding)
		}
	}
	return LaneWord{
		Count:       binary.BigEndian.Uint64(v[24:32]),
		SegMessages: binary.BigEndian.Uint32(v[20:24]),
		SegGas:      binary.BigEndian.Uint64(v[12:20]),
		SegBytes:    binary.BigEndian.Uint32(v[8:12]),
	}, nil
}

// Encode returns the word as stored.
func (w LaneWord) Encode() common.Hash {
	var v common.Hash
	binary.BigEndian.PutUint64(v[24:32], w.Count)
	binary.BigEndian.PutUint32(v[20:24], w.SegMessages)
	binary.BigEndian.PutUint64(v[12:20], w.SegGas)
	binary.BigEndian.PutUint32(v[8:12], w.SegBytes)
	return v
}

// InlineGas is the part of a message's gasLimit the Inbox's deliver spends: all of it up to
// InlineGasLimit, none above (the message is deferred to retry).
func InlineGas(gasLimit uint64) uint64 {
	if gasLimit <= InlineGasLimit {
		return gasLimit
	}
	return 0
}

// Lane is the native twin of one Outbox lane: its accumulator, its open segment, and the
// checkpoints stored so far. Before a message would take the open segment past
// SegmentMaxMessages, SegmentMaxGas (inline gas) or SegmentMaxBytes (packed size), the accumulator is stored as a
// checkpoint under the current count and a new segment opens; so the messages between two
// consecutive checkpoints always fit one destination transaction.
type Lane struct {
	SrcDomain, DstDomain uint32
	Word                 LaneWord
	Acc                  common.Hash
	Checkpoints          map[uint64]common.Hash
}

// NewLane returns the empty lane from src to dst.
func NewLane(src, dst uint32) *Lane {
	return &Lane{SrcDomain: src, DstDomain: dst, Checkpoints: map[uint64]common.Hash{}}
}

// Head is the lane's current (count, acc).
func (l *Lane) Head() Accumulator { return Accumulator{Count: l.Word.Count, Acc: l.Acc} }

// Send appends a message as the Outbox does and returns it with its nonce and domains set.
// checkpointed reports whether a checkpoint was stored before it.
func (l *Lane) Send(sender, recipient common.Address, gasLimit uint64, payload []byte) (m Message, checkpointed bool, err error) {
	m = Message{
		SrcDomain: l.SrcDomain, DstDomain: l.DstDomain, Nonce: l.Word.Count,
		Sender: sender, Recipient: recipient, GasLimit: gasLimit, Payload: payload,
	}
	if err := m.Validate(); err != nil {
		return Message{}, false, err
	}
	w := &l.Word
	size := uint64(PackedSize(len(payload)))
	if uint64(w.SegMessages)+1 > SegmentMaxMessages || w.SegGas+InlineGas(gasLimit) > SegmentMaxGas ||
		uint64(w.SegBytes)+size > SegmentMaxBytes {
		l.Checkpoints[w.Count] = l.Acc
		w.SegMessages, w.SegGas, w.SegBytes = 0, 0, 0
		checkpointed = true
	}
	l.Acc = Fold(l.Acc, m.Hash())
	w.Count++
	w.SegMessages++
	w.SegGas += InlineGas(gasLimit)
	w.SegBytes += uint32(size)
	return m, checkpointed, nil
}
