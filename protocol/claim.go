package protocol

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// LaneClaimSize and RotationClaimSize are the lengths of the packed claim encodings.
const (
	LaneClaimSize     = 4 + 4 + 20 + 32 + 8 + 32 + 8 + 32
	RotationClaimSize = 4 + 32 + 8 + 32
)

// StatementTag opens every statement: keccak256("isthmus.statement.v1").
var StatementTag = crypto.Keccak256Hash([]byte("isthmus.statement.v1"))

// publicInputMask keeps the low 253 bits of the statement hash.
var publicInputMask = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 253), big.NewInt(1))

// LaneClaim states that at BlockNumber (hash BlockHash) of SrcDomain, finalized by the
// committee whose commitment is Committee, the Outbox had accumulated Acc after Count messages
// towards DstDomain. Count is the lane head or one of its stored checkpoints.
type LaneClaim struct {
	SrcDomain   uint32         `json:"srcDomain"`
	DstDomain   uint32         `json:"dstDomain"`
	Outbox      common.Address `json:"outbox"`
	Committee   common.Hash    `json:"committee"`
	BlockNumber uint64         `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	Count       uint64         `json:"count"`
	Acc         common.Hash    `json:"acc"`
}

// Encode returns the 140-byte packed encoding.
func (c *LaneClaim) Encode() []byte {
	out := make([]byte, 0, LaneClaimSize)
	out = binary.BigEndian.AppendUint32(out, c.SrcDomain)
	out = binary.BigEndian.AppendUint32(out, c.DstDomain)
	out = append(out, c.Outbox[:]...)
	out = append(out, c.Committee[:]...)
	out = binary.BigEndian.AppendUint64(out, c.BlockNumber)
	out = append(out, c.BlockHash[:]...)
	out = binary.BigEndian.AppendUint64(out, c.Count)
	return append(out, c.Acc[:]...)
}

// Hash is keccak256 of Encode.
func (c *LaneClaim) Hash() common.Hash { return crypto.Keccak256Hash(c.Encode()) }

// RotationClaim states that the committee Committee of SrcDomain signed NextCommittee as the
// commitment of epoch NextEpoch.
type RotationClaim struct {
	SrcDomain     uint32      `json:"srcDomain"`
	Committee     common.Hash `json:"committee"`
	NextEpoch     uint64      `json:"nextEpoch"`
	NextCommittee common.Hash `json:"nextCommittee"`
}

// Encode returns the 76-byte packed encoding.
func (c *RotationClaim) Encode() []byte {
	out := make([]byte, 0, RotationClaimSize)
	out = binary.BigEndian.AppendUint32(out, c.SrcDomain)
	out = append(out, c.Committee[:]...)
	out = binary.BigEndian.AppendUint64(out, c.NextEpoch)
	return append(out, c.NextCommittee[:]...)
}

// Hash is keccak256 of Encode.
func (c *RotationClaim) Hash() common.Hash { return crypto.Keccak256Hash(c.Encode()) }

// Statement is what one batch proof attests: its lane claims and committee rotations.
type Statement struct {
	Lanes     []LaneClaim     `json:"lanes"`
	Rotations []RotationClaim `json:"rotations"`
}

// Hash is keccak256(StatementTag ‖ uint32(#lanes) ‖ laneHashes ‖ uint32(#rotations) ‖ rotationHashes).
func (s *Statement) Hash() common.Hash {
	buf := make([]byte, 0, 32+4+32*len(s.Lanes)+4+32*len(s.Rotations))
	buf = append(buf, StatementTag[:]...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s.Lanes)))
	for i := range s.Lanes {
		h := s.Lanes[i].Hash()
		buf = append(buf, h[:]...)
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s.Rotations)))
	for i := range s.Rotations {
		h := s.Rotations[i].Hash()
		buf = append(buf, h[:]...)
	}
	return crypto.Keccak256Hash(buf)
}

// PublicInput is the batch proof's one public input: the statement hash's low 253 bits.
func (s *Statement) PublicInput() *big.Int {
	return PublicInputOf(s.Hash())
}

// PublicInputOf reduces a statement hash to the public input.
func PublicInputOf(statement common.Hash) *big.Int {
	return new(big.Int).And(new(big.Int).SetBytes(statement[:]), publicInputMask)
}
