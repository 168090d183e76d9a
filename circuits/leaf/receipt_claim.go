package leaf

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// ReceiptClaimPublic is what a receipt claim's leaf reads of one claim proven by receipt (a lane
// by receipt or an event): the block, and the log the claim's receipt leaf must read. For a
// lane by receipt the log is the Outbox's MessageSent(dst, count − 1, acc), its transaction
// and log index and data free; for an event, all of the claim's fields. Hashes and topics are
// 128-bit halves, high first.
type ReceiptClaimPublic struct {
	SrcDomain   frontend.Variable                        `gnark:",public"`
	Committee   frontend.Variable                        `gnark:",public"`
	BlockNumber frontend.Variable                        `gnark:",public"`
	BlockHash   [2]frontend.Variable                     `gnark:",public"`
	Emitter     frontend.Variable                        `gnark:",public"`
	Topics      [protocol.MaxTopics][2]frontend.Variable `gnark:",public"`
	// Log packs the claim's kind (0 for an unused slot), the log's topic count, and an
	// event's transaction and log index: see PackReceiptLog.
	Log      frontend.Variable    `gnark:",public"`
	DataHash [2]frontend.Variable `gnark:",public"`
}

// Bit offsets of a receipt claim's packed Log input.
const (
	logTopics, logTx, logIndex, ReceiptLogBits = 8, 16, 48, 80
)

// PackReceiptLog is a receipt claim's packed Log.
func PackReceiptLog(kind protocol.ClaimKind, numTopics int, txIndex, logIdx uint32) *big.Int {
	v := new(big.Int).SetUint64(uint64(logIdx))
	v.Lsh(v, logIndex-logTx).Or(v, new(big.Int).SetUint64(uint64(txIndex)))
	v.Lsh(v, logTx-logTopics).Or(v, big.NewInt(int64(numTopics)))
	return v.Lsh(v, logTopics).Or(v, big.NewInt(int64(kind)))
}

// Offsets of the fields of a packed event claim (protocol.EventClaim.Encode).
const (
	evSrc, evCommittee, evNumber, evHash, evTx, evLog, evEmitter, evTopics, evTopicList, evData = 1, 5, 37, 45, 77, 81, 85, 105, 106, 234
)

// receiptClaim constrains a claim proven by receipt: its encoding (a lane by receipt of 141
// bytes or an event claim of 266, or kind 0 for none) against pub. It returns the claim's
// hash and whether there is a claim.
func receiptClaim(api frontend.API, bf *uints.Bytes, enc []uints.U8, pub *ReceiptClaimPublic, keccak func([]uints.U8, frontend.Variable) ([]uints.U8, error)) ([]uints.U8, frontend.Variable, error) {
	number := func(bs []uints.U8) frontend.Variable { return bigEndian(api, bf, bs) }
	halvesOf := func(bs []uints.U8) [2]frontend.Variable { return mpt.Ref(api, byteValues(bf, bs)) }
	sel := func(cond frontend.Variable, a, b [2]frontend.Variable) [2]frontend.Variable {
		return [2]frontend.Variable{api.Select(cond, a[0], b[0]), api.Select(cond, a[1], b[1])}
	}
	assertPair := func(got, want [2]frontend.Variable) {
		api.AssertIsEqual(got[0], want[0])
		api.AssertIsEqual(got[1], want[1])
	}

	// The kind: none (0), a lane by receipt (4) or an event (5).
	kind := bf.Value(enc[offKind])
	isLane := api.IsZero(api.Sub(kind, uint8(protocol.KindLaneReceipt)))
	isEvent := api.IsZero(api.Sub(kind, uint8(protocol.KindEvent)))
	used := api.Add(isLane, isEvent)
	api.AssertIsEqual(api.Mul(api.Sub(1, used), kind), 0)

	// The fields both kinds have, each at its kind's offset.
	api.AssertIsEqual(number(enc[offSrc:offDst]), pub.SrcDomain) // the same offset in both
	committeeBytes := make([]frontend.Variable, 32)
	for k := range committeeBytes {
		committeeBytes[k] = api.Select(isEvent, bf.Value(enc[evCommittee+k]), bf.Value(enc[offCommittee+k]))
	}
	api.AssertIsEqual(fieldElement(api, committeeBytes), pub.Committee)
	api.AssertIsEqual(api.Select(isEvent, number(enc[evNumber:evHash]), number(enc[offNumber:offHash])), pub.BlockNumber)
	assertPair(sel(isEvent, halvesOf(enc[evHash:evTx]), halvesOf(enc[offHash:offCount])), pub.BlockHash)

	// The log. A lane's: the Outbox's MessageSent(dst, count − 1, acc), count at least 1.
	count := number(enc[offCount:offAcc])
	api.AssertIsEqual(api.Mul(isLane, api.IsZero(count)), 0)
	sig, acc := halves(protocol.MessageSentTopic), halvesOf(enc[offAcc:protocol.LaneClaimSize])
	laneTopics := [protocol.MaxTopics][2]frontend.Variable{ // zero in an unused slot
		{api.Mul(isLane, sig[0]), api.Mul(isLane, sig[1])},
		{0, api.Mul(isLane, number(enc[offDst:offOutbox]))},
		{0, api.Mul(isLane, api.Sub(count, 1))},
		{api.Mul(isLane, acc[0]), api.Mul(isLane, acc[1])},
	}
	api.AssertIsEqual(api.Select(isEvent, number(enc[evEmitter:evTopics]), number(enc[offOutbox:offCommittee])), pub.Emitter)
	// An event's topic count is at most four.
	numTopics := bf.Value(enc[evTopics])
	eventTopics := api.Mul(isEvent, numTopics)
	api.ToBinary(eventTopics, 3)
	api.ToBinary(api.Sub(protocol.MaxTopics, eventTopics), 3)
	for t := range pub.Topics {
		assertPair(sel(isEvent, halvesOf(enc[evTopicList+32*t:evTopicList+32*t+32]), laneTopics[t]), pub.Topics[t])
	}
	zero := [2]frontend.Variable{0, 0}
	assertPair(sel(isEvent, halvesOf(enc[evData:protocol.EventClaimSize]), zero), pub.DataHash)
	topics := api.Add(eventTopics, api.Mul(isLane, protocol.MaxTopics))
	tx := api.Mul(isEvent, number(enc[evTx:evLog]))
	lg := api.Mul(isEvent, number(enc[evLog:evEmitter]))
	packed := api.Add(kind, api.Mul(topics, 1<<logTopics), api.Mul(tx, 1<<logTx), api.Mul(lg, new(big.Int).Lsh(big.NewInt(1), logIndex)))
	api.AssertIsEqual(packed, pub.Log)

	hash, err := keccak(enc, api.Select(isEvent, protocol.EventClaimSize, protocol.LaneClaimSize))
	if err != nil {
		return nil, nil, err
	}
	return hash, used, nil
}

// ReceiptLog is the native twin of a receipt slot's public inputs: the claim proven by
// receipt (Kind 0 for an unused slot) and the log its receipt leaf must read.
type ReceiptLog struct {
	Kind        protocol.ClaimKind
	SrcDomain   uint32
	Committee   common.Hash
	BlockNumber uint64
	BlockHash   common.Hash
	Emitter     common.Address
	Topics      []common.Hash
	// An event's transaction and log index and data hash; zero for a lane, whose log may be
	// anywhere in the block.
	TxIndex, LogIndex uint32
	DataHash          common.Hash
}

// LogOfLane is the log that proves a lane by receipt: the Outbox's MessageSent(dst, count − 1,
// acc).
func LogOfLane(c protocol.LaneClaim) ReceiptLog {
	return ReceiptLog{
		Kind: protocol.KindLaneReceipt, SrcDomain: c.SrcDomain, Committee: c.Committee, BlockNumber: c.BlockNumber,
		BlockHash: c.BlockHash, Emitter: c.Outbox,
		Topics: []common.Hash{protocol.MessageSentTopic, common.BigToHash(big.NewInt(int64(c.DstDomain))),
			common.BigToHash(new(big.Int).SetUint64(c.Count - 1)), c.Acc},
	}
}

// LogOfEvent is the log an event claim names.
func LogOfEvent(c protocol.EventClaim) ReceiptLog {
	return ReceiptLog{
		Kind: protocol.KindEvent, SrcDomain: c.SrcDomain, Committee: c.Committee, BlockNumber: c.BlockNumber,
		BlockHash: c.BlockHash, Emitter: c.Emitter, Topics: c.Topics, TxIndex: c.TxIndex, LogIndex: c.LogIndex,
		DataHash: c.DataHash,
	}
}

// MatchReceipt checks a receipt slot's log against the header leaf and the receipt leaf that
// prove it, as the aggregation circuit does: the block is the header's, the leaf's log has the
// emitter and topics, and for an event also the transaction, the log index and the data (which
// must fit the leaf's bound). The
// leaf's place under the header's receiptsRoot is LinkReceipt's to check.
func MatchReceipt(l ReceiptLog, h *HeaderPublic, leaf *ReceiptLeafPublic) error {
	switch {
	case l.SrcDomain != h.SrcDomain || l.Committee != h.Committee || l.BlockNumber != h.BlockNumber || l.BlockHash != h.BlockHash:
		return fmt.Errorf("%w: the claim's block is not the header leaf's", mpt.ErrProof)
	case l.Emitter != leaf.Emitter || len(l.Topics) != len(leaf.Topics):
		return fmt.Errorf("%w: the log is %s's with %d topics, the claim names %s's with %d", mpt.ErrProof, leaf.Emitter, len(leaf.Topics), l.Emitter, len(l.Topics))
	case l.Kind == protocol.KindEvent && (int(l.TxIndex) != leaf.TxIndex || int(l.LogIndex) != leaf.LogIndex || !leaf.DataFits || l.DataHash != leaf.DataHash):
		return fmt.Errorf("%w: the log is transaction %d's log %d, the event claim names %d's log %d (or another data hash, or data over the leaf's bound)",
			mpt.ErrProof, leaf.TxIndex, leaf.LogIndex, l.TxIndex, l.LogIndex)
	}
	for i := range l.Topics {
		if l.Topics[i] != leaf.Topics[i] {
			return fmt.Errorf("%w: topic %d is %s, the claim names %s", mpt.ErrProof, i, leaf.Topics[i], l.Topics[i])
		}
	}
	return nil
}

// assignReceiptClaim is the witness of a claim proven by receipt: its encoding enc (padded to
// an event claim's length) and the log it names.
func assignReceiptClaim(enc []byte, l ReceiptLog) (ReceiptClaimPublic, [protocol.EventClaimSize]uints.U8) {
	var pub ReceiptClaimPublic
	pub.SrcDomain, pub.Committee, pub.BlockNumber = l.SrcDomain, new(big.Int).SetBytes(l.Committee[:]), l.BlockNumber
	pub.BlockHash, pub.Emitter, pub.DataHash = halves(l.BlockHash), new(big.Int).SetBytes(l.Emitter[:]), halves(l.DataHash)
	for t := range pub.Topics {
		pub.Topics[t] = halves(common.Hash{})
		if t < len(l.Topics) {
			pub.Topics[t] = halves(l.Topics[t])
		}
	}
	pub.Log = PackReceiptLog(l.Kind, len(l.Topics), l.TxIndex, l.LogIndex)
	buf := make([]byte, protocol.EventClaimSize)
	copy(buf, enc)
	var out [protocol.EventClaimSize]uints.U8
	copy(out[:], uints.NewU8Array(buf))
	return pub, out
}
