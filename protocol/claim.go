package protocol

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ClaimKind is a claim's first encoded byte: no claim of one kind hashes as another.
type ClaimKind uint8

// The claim kinds. A new kind takes the next number, a leaf circuit, a slot in the
// aggregation's registry and a rule in the Inbox.
const (
	// KindLaneHead: at a block the lane held (count, acc) in its word and accumulator slots.
	KindLaneHead ClaimKind = 1
	// KindLaneCheckpoint: the Outbox stored acc at CheckpointSlot(dst, count); it never changes.
	KindLaneCheckpoint ClaimKind = 2
	// KindRotation: a domain's committee signed the commitment of its next epoch.
	KindRotation ClaimKind = 3
	// KindLaneReceipt: in the block, the Outbox emitted MessageSent for nonce count−1 with the
	// accumulator acc after it (a receipt proof of the log). Like a checkpoint it never
	// changes, and every count has one.
	KindLaneReceipt ClaimKind = 4
	// KindEvent: in the block, a contract emitted a log (a receipt proof of the log).
	KindEvent ClaimKind = 5
	// KindKeyRun: a run of a committee's keys, named by its sync-keys fact (members
	// [first, first+count), the commitment chain over their keys and their SSZ subtree
	// root): a fact about keys alone, true whoever proves it. The Inbox records it, so that a
	// hand-over too large for one batch is proven over several (KindHandOver).
	KindKeyRun ClaimKind = 6
	// KindHandOver: a rotation whose next committee's keys are runs the Inbox has recorded
	// (KindKeyRun): the rotation's fields, then the runs' facts in order.
	KindHandOver ClaimKind = 7
)

// Header adapters: how a source domain's headers are final (the Inbox keeps one a domain).
const (
	// AdapterCommittee: a quorum of an attester committee (EdDSA), from epoch 0.
	AdapterCommittee uint8 = 0
	// AdapterSyncCommittee: Ethereum's sync committee of a period (BLS12-381); the epoch is
	// the period, and the committee's commitment is synccommittee.CommitmentOf its keys and
	// that period.
	AdapterSyncCommittee uint8 = 1
)

// MaxTopics is the most topics a log has (LOG0 to LOG4).
const MaxTopics = 4

// MessageSentTopic is the Outbox's MessageSent event signature: the first topic of the log a
// lane-by-receipt claim proves, whose others are the destination domain, the nonce (count − 1)
// and the accumulator after the message.
var MessageSentTopic = crypto.Keccak256Hash([]byte("MessageSent(uint32,uint64,bytes32,address,address,uint64,bytes)"))

// EventTopicsOffset is where an event claim's topic count sits in its encoding.
const EventTopicsOffset = 1 + 4 + 32 + 8 + 32 + 4 + 4 + 20

func (k ClaimKind) String() string {
	switch k {
	case KindLaneHead:
		return "lane head"
	case KindLaneCheckpoint:
		return "lane checkpoint"
	case KindRotation:
		return "rotation"
	case KindLaneReceipt:
		return "lane by receipt"
	case KindEvent:
		return "event"
	case KindKeyRun:
		return "key run"
	case KindHandOver:
		return "hand-over"
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

// CheckClaim returns the kind of a packed claim, or ErrBadEncoding where the Inbox refuses
// it (Protocol.kindOf): an unknown kind, a length other than its kind's, an event of more
// than MaxTopics topics.
func CheckClaim(c []byte) (ClaimKind, error) {
	if len(c) == 0 {
		return 0, fmt.Errorf("%w: empty claim", ErrBadEncoding)
	}
	k := ClaimKind(c[0])
	want := 0
	switch {
	case k.IsLane():
		want = LaneClaimSize
	case k == KindRotation:
		want = RotationClaimSize
	case k == KindEvent:
		want = EventClaimSize
	case k == KindKeyRun:
		want = KeyRunClaimSize
	case k == KindHandOver:
		want = len(c)
		if runs := (len(c) - RotationClaimSize) / 32; len(c) < RotationClaimSize+32 || (len(c)-RotationClaimSize)%32 != 0 || runs > MaxHandOverRuns {
			return 0, fmt.Errorf("%w: a hand-over of %d bytes, want %d and 32 a run, 1 to %d runs", ErrBadEncoding, len(c), RotationClaimSize, MaxHandOverRuns)
		}
	default:
		return 0, fmt.Errorf("%w: unknown claim kind %d", ErrBadEncoding, c[0])
	}
	if len(c) != want {
		return 0, fmt.Errorf("%w: a %s claim of %d bytes, want %d", ErrBadEncoding, k, len(c), want)
	}
	if k == KindEvent && c[EventTopicsOffset] > MaxTopics {
		return 0, fmt.Errorf("%w: an event of %d topics", ErrBadEncoding, c[EventTopicsOffset])
	}
	return k, nil
}

// IsLane reports whether claims of the kind are LaneClaims.
func (k ClaimKind) IsLane() bool {
	return k == KindLaneHead || k == KindLaneCheckpoint || k == KindLaneReceipt
}

// ByReceipt reports whether claims of the kind are proven by a log in a block's receipts.
func (k ClaimKind) ByReceipt() bool { return k == KindLaneReceipt || k == KindEvent }

// LaneClaimSize, EventClaimSize and RotationClaimSize are the lengths of the packed claim
// encodings, kind byte included.
const (
	LaneClaimSize     = 1 + 4 + 4 + 20 + 32 + 8 + 32 + 8 + 32
	EventClaimSize    = 1 + 4 + 32 + 8 + 32 + 4 + 4 + 20 + 1 + MaxTopics*32 + 32
	RotationClaimSize = 1 + 4 + 32 + 8 + 32
	KeyRunClaimSize   = 1 + 32
)

// MaxHandOverRuns is the most key runs a hand-over names (its encoding: RotationClaimSize and
// 32 bytes a run).
const MaxHandOverRuns = 64

// LaneClaim states that at BlockNumber (hash BlockHash) of SrcDomain, finalized by the
// committee whose commitment is Committee, the Outbox had accumulated Acc after Count messages
// towards DstDomain. Kind says how: the lane's head (its word and accumulator slots), a
// checkpoint the Outbox stored when a segment closed at Count, or the Outbox's MessageSent log
// of nonce Count−1 in the block (lane by receipt).
type LaneClaim struct {
	Kind        ClaimKind      `json:"kind"`
	SrcDomain   uint32         `json:"srcDomain"`
	DstDomain   uint32         `json:"dstDomain"`
	Outbox      common.Address `json:"outbox"`
	Committee   common.Hash    `json:"committee"`
	BlockNumber uint64         `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	Count       uint64         `json:"count"`
	Acc         common.Hash    `json:"acc"`
}

// Encode returns the 141-byte packed encoding, kind first.
func (c *LaneClaim) Encode() []byte {
	out := make([]byte, 0, LaneClaimSize)
	out = append(out, byte(c.Kind))
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

// EventClaim states that in block BlockNumber (hash BlockHash) of SrcDomain, finalized by the
// committee whose commitment is Committee, transaction TxIndex's receipt holds at LogIndex
// (its position in the receipt) a log of Emitter with Topics (at most MaxTopics) and data of
// keccak256 DataHash. Logs of reverted transactions and calls never reach a receipt.
type EventClaim struct {
	SrcDomain   uint32         `json:"srcDomain"`
	Committee   common.Hash    `json:"committee"`
	BlockNumber uint64         `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	TxIndex     uint32         `json:"txIndex"`
	LogIndex    uint32         `json:"logIndex"`
	Emitter     common.Address `json:"emitter"`
	Topics      []common.Hash  `json:"topics"`
	DataHash    common.Hash    `json:"dataHash"`
}

// Encode returns the 266-byte packed encoding: kind ‖ srcDomain ‖ committee ‖ blockNumber ‖
// blockHash ‖ txIndex ‖ logIndex ‖ emitter ‖ uint8(#topics) ‖ the topics, zero-filled to four
// ‖ dataHash. It panics on more than MaxTopics topics (Validate refuses them).
func (c *EventClaim) Encode() []byte {
	if len(c.Topics) > MaxTopics {
		panic(fmt.Sprintf("protocol: event claim with %d topics", len(c.Topics)))
	}
	out := make([]byte, 0, EventClaimSize)
	out = append(out, byte(KindEvent))
	out = binary.BigEndian.AppendUint32(out, c.SrcDomain)
	out = append(out, c.Committee[:]...)
	out = binary.BigEndian.AppendUint64(out, c.BlockNumber)
	out = append(out, c.BlockHash[:]...)
	out = binary.BigEndian.AppendUint32(out, c.TxIndex)
	out = binary.BigEndian.AppendUint32(out, c.LogIndex)
	out = append(out, c.Emitter[:]...)
	out = append(out, byte(len(c.Topics)))
	for i := range MaxTopics {
		var t common.Hash
		if i < len(c.Topics) {
			t = c.Topics[i]
		}
		out = append(out, t[:]...)
	}
	return append(out, c.DataHash[:]...)
}

// Hash is keccak256 of Encode.
func (c *EventClaim) Hash() common.Hash { return crypto.Keccak256Hash(c.Encode()) }

// ID names the event whatever committee proved it: keccak256 of the encoding without its kind
// byte and committee (srcDomain ‖ blockNumber ‖ … ‖ dataHash). The Inbox records proven events
// by it, and a consumer contract computes it from the fields it expects.
func (c *EventClaim) ID() common.Hash {
	enc := c.Encode()
	return crypto.Keccak256Hash(enc[1:5], enc[37:])
}

// Validate refuses an event claim that has no encoding.
func (c *EventClaim) Validate() error {
	if len(c.Topics) > MaxTopics {
		return fmt.Errorf("%w: event with %d topics (at most %d)", ErrBadEncoding, len(c.Topics), MaxTopics)
	}
	return nil
}

// RotationClaim states that the committee Committee of SrcDomain signed NextCommittee as the
// commitment of epoch NextEpoch. With Runs it is a hand-over (KindHandOver): the next
// committee's keys are the key runs of those facts, in order, which the Inbox must have
// recorded.
type RotationClaim struct {
	SrcDomain     uint32        `json:"srcDomain"`
	Committee     common.Hash   `json:"committee"`
	NextEpoch     uint64        `json:"nextEpoch"`
	NextCommittee common.Hash   `json:"nextCommittee"`
	Runs          []common.Hash `json:"runs,omitempty"`
}

// Encode returns the 77-byte packed encoding, kind first; a hand-over's runs follow, 32 bytes
// each.
func (c *RotationClaim) Encode() []byte {
	out := make([]byte, 0, RotationClaimSize+32*len(c.Runs))
	kind := KindRotation
	if len(c.Runs) > 0 {
		kind = KindHandOver
	}
	out = append(out, byte(kind))
	out = binary.BigEndian.AppendUint32(out, c.SrcDomain)
	out = append(out, c.Committee[:]...)
	out = binary.BigEndian.AppendUint64(out, c.NextEpoch)
	out = append(out, c.NextCommittee[:]...)
	for _, r := range c.Runs {
		out = append(out, r[:]...)
	}
	return out
}

// KeyRunClaim encodes the key-run claim of a sync-keys fact: kind ‖ fact (33 bytes).
func KeyRunClaim(fact common.Hash) []byte { return append([]byte{byte(KindKeyRun)}, fact[:]...) }

// Hash is keccak256 of Encode.
func (c *RotationClaim) Hash() common.Hash { return crypto.Keccak256Hash(c.Encode()) }

// Statement is what one batch proof attests: a list of typed claims, its lane claims first
// (those proven by storage, then those proven by receipt), then its event claims, then its
// key runs (the sync-keys facts of runs of a next committee's keys), then its rotations and
// hand-overs. The Inbox takes them in this order.
type Statement struct {
	Lanes     []LaneClaim     `json:"lanes"`
	Events    []EventClaim    `json:"events,omitempty"`
	KeyRuns   []common.Hash   `json:"keyRuns,omitempty"`
	Rotations []RotationClaim `json:"rotations"`
}

// Claims returns the statement's claims, encoded, in order: what the Inbox's submitBatch takes.
func (s *Statement) Claims() [][]byte {
	out := make([][]byte, 0, len(s.Lanes)+len(s.Events)+len(s.KeyRuns)+len(s.Rotations))
	for i := range s.Lanes {
		out = append(out, s.Lanes[i].Encode())
	}
	for i := range s.Events {
		out = append(out, s.Events[i].Encode())
	}
	for _, f := range s.KeyRuns {
		out = append(out, KeyRunClaim(f))
	}
	for i := range s.Rotations {
		out = append(out, s.Rotations[i].Encode())
	}
	return out
}

// CommitmentModulus is the scalar field modulus r of BLS12-377, the leaf circuits' field: a
// committee commitment is one of its elements, and its 32 bytes (big-endian) are canonical
// only below r. The leaf circuits and the Inbox (Protocol.COMMITMENT_MODULUS) refuse any other
// encoding, so one committee has one commitment's bytes.
var CommitmentModulus, _ = new(big.Int).SetString("12ab655e9a2ca55660b44d1e5c37b00159aa76fed00000010a11800000000001", 16)

// CanonicalCommitment reports whether c is a commitment's one encoding: below CommitmentModulus.
func CanonicalCommitment(c common.Hash) bool {
	return new(big.Int).SetBytes(c[:]).Cmp(CommitmentModulus) < 0
}

// Validate refuses a statement the Inbox would refuse for its form, or the circuits could not
// prove: no claim, a lane claim of a kind that is not a lane's, a lane proven by storage after
// one proven by receipt, an event of more than MaxTopics topics, a commitment at or above
// CommitmentModulus.
func (s *Statement) Validate() error {
	if len(s.Lanes)+len(s.Events)+len(s.KeyRuns)+len(s.Rotations) == 0 {
		return fmt.Errorf("%w: empty statement", ErrBadEncoding)
	}
	for i := range s.Rotations {
		r := &s.Rotations[i]
		if !CanonicalCommitment(r.Committee) || !CanonicalCommitment(r.NextCommittee) {
			return fmt.Errorf("%w: rotation claim %d: commitment not below the field modulus", ErrBadEncoding, i)
		}
		if len(r.Runs) > MaxHandOverRuns {
			return fmt.Errorf("%w: hand-over %d of %d key runs (at most %d)", ErrBadEncoding, i, len(r.Runs), MaxHandOverRuns)
		}
		for _, f := range r.Runs {
			if !CanonicalCommitment(f) {
				return fmt.Errorf("%w: hand-over %d: a key run's fact not below the field modulus", ErrBadEncoding, i)
			}
		}
	}
	for i, f := range s.KeyRuns {
		if !CanonicalCommitment(f) {
			return fmt.Errorf("%w: key run %d: its fact not below the field modulus", ErrBadEncoding, i)
		}
	}
	for i := range s.Lanes {
		if !CanonicalCommitment(s.Lanes[i].Committee) {
			return fmt.Errorf("%w: lane claim %d: commitment not below the field modulus", ErrBadEncoding, i)
		}
		if !s.Lanes[i].Kind.IsLane() {
			return fmt.Errorf("%w: lane claim %d is of %s", ErrBadEncoding, i, s.Lanes[i].Kind)
		}
		if i > 0 && s.Lanes[i-1].Kind.ByReceipt() && !s.Lanes[i].Kind.ByReceipt() {
			return fmt.Errorf("%w: lane claim %d (%s) after a lane by receipt: storage-proven lanes come first", ErrBadEncoding, i, s.Lanes[i].Kind)
		}
	}
	for i := range s.Events {
		if !CanonicalCommitment(s.Events[i].Committee) {
			return fmt.Errorf("%w: event claim %d: commitment not below the field modulus", ErrBadEncoding, i)
		}
		if err := s.Events[i].Validate(); err != nil {
			return fmt.Errorf("event claim %d: %w", i, err)
		}
	}
	return nil
}

// Hash is the statement a batch proves: the statement chain of its claims' hashes
// (ChainStatement over ClaimHashes), as Protocol.statementHash computes it.
func (s *Statement) Hash() common.Hash { return ChainStatement(s.ClaimHashes()) }

// PublicInput is the batch proof's one public input: the statement's low ChainInputBits bits.
func (s *Statement) PublicInput() *big.Int { return ChainInput(s.Hash()) }
