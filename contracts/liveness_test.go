package contracts_test

import (
	"context"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// txGasCap is the transaction gas cap of EIP-7825 (Osaka).
const txGasCap = 1 << 24

// worstSegment sends n messages to n distinct burners (each burns all its gas and fails,
// each cold in the delivery), with payloads of random non-zero bytes of the given sizes and
// the given gas limits, many per block. It returns the messages.
func (e *env) worstSegment(sizes []int, gas []uint64) []protocol.Message {
	e.t.Helper()
	client, ctx := e.b.Client(), context.Background()
	deployer := bind.NewKeyedTransactor(e.owner, big.NewInt(1337))
	ownerNonce, err := client.PendingNonceAt(ctx, addr(e.owner))
	if err != nil {
		e.t.Fatal(err)
	}
	burners := make([]common.Address, len(sizes))
	for i := range burners {
		deployer.Nonce = new(big.Int).SetUint64(ownerNonce)
		ownerNonce++
		a, _, err := bind.DeployContract(deployer, common.FromHex(testbindings.TestGasBurnerRecipientMetaData.Bin), client, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		burners[i] = a
		if i%100 == 99 {
			e.b.Commit()
		}
	}
	e.b.Commit()
	r := rand.New(rand.NewPCG(1, 2))
	nonce, err := client.PendingNonceAt(ctx, addr(e.user))
	if err != nil {
		e.t.Fatal(err)
	}
	var hashes []common.Hash
	flush := func() { e.mine(hashes); hashes = hashes[:0] }
	var msgs []protocol.Message
	for i, n := range sizes {
		payload := make([]byte, n)
		for k := range payload {
			payload[k] = byte(1 + r.IntN(255))
		}
		opts := bind.NewKeyedTransactor(e.user, big.NewInt(1337))
		opts.Nonce, opts.GasLimit = new(big.Int).SetUint64(nonce), uint64(300_000+40*n)
		nonce++
		tx, err := e.outbox.RawTransact(opts, e.ob.PackSend(dstDomain, burners[i], gas[i], payload))
		if err != nil {
			e.t.Fatal(err)
		}
		hashes = append(hashes, tx.Hash())
		m, _, err := e.lane.Send(addr(e.user), burners[i], gas[i], payload)
		if err != nil {
			e.t.Fatal(err)
		}
		e.sent = append(e.sent, m)
		msgs = append(msgs, m)
		if len(hashes) == 100 {
			flush()
		}
	}
	flush()
	return msgs
}

// livenessBudget is what a segment's delivery may need, worst case: 90% of the transaction
// gas cap (a 10% margin for what the measurement does not see: other gas schedules, a
// recipient's refund-free paths, calldata repricings).
const livenessBudget = txGasCap * 9 / 10

// A segment at the Outbox's bounds (protocol.SegmentMaxMessages messages, summed gasLimit
// protocol.SegmentMaxGas, each run by deliver (at most protocol.InlineGasLimit: a message
// above it is deferred, which costs less), packed size protocol.SegmentMaxBytes) to recipients that are cold,
// burn all their gas and fail, with payloads of random non-zero bytes, is delivered in one
// transaction within livenessBudget, with the reserve deliver demands before the last call.
// Before, the bounds (256 messages) left out the Inbox's own ~32,000 gas a failing message:
// such a segment needed 18.9M gas and could never be delivered.
func TestLivenessMaximalSegmentDelivers(t *testing.T) {
	e := newEnv(t)
	n := protocol.SegmentMaxMessages
	payloadBytes := protocol.SegmentMaxBytes - n*protocol.PackedOverhead
	sizes, gas := make([]int, n), make([]uint64, n)
	var gasSum uint64
	for i := range sizes {
		sizes[i] = payloadBytes / n
		if i < payloadBytes%n {
			sizes[i]++
		}
		rest := uint64(protocol.SegmentMaxGas - protocol.InlineGasLimit)
		gas[i] = rest / uint64(n-1)
		if uint64(i) < rest%uint64(n-1) {
			gas[i]++
		}
		if i == n-1 {
			gas[i] = protocol.InlineGasLimit // the largest run last: its reserve is the largest
		}
		gasSum += gas[i]
	}
	if gas[n-1] > protocol.InlineGasLimit || gasSum != protocol.SegmentMaxGas {
		t.Fatalf("segment gas %d, last %d", gasSum, gas[n-1])
	}
	msgs := e.worstSegment(sizes, gas)
	packed := protocol.PackDelivery(msgs)
	if len(packed) != protocol.SegmentMaxBytes {
		t.Fatalf("packed %d bytes, want the bound %d", len(packed), protocol.SegmentMaxBytes)
	}
	if st := e.laneState(); st.checkpoint != (common.Hash{}) {
		t.Fatal("the Outbox closed the segment before its bounds")
	}
	e.prove(uint64(n))
	data := e.ib.PackDeliver(srcDomain, packed)
	r, err := e.txGas(e.relayer, e.inbox, data, txGasCap)
	if err != nil {
		t.Fatalf("the maximal segment is not delivered: %v", err)
	}
	failed := 0
	for _, l := range r.Logs {
		if _, err := e.ib.UnpackMessageFailedEvent(l); err == nil {
			failed++
		}
	}
	if failed != n {
		t.Fatalf("%d of %d messages failed, want all", failed, n)
	}
	need := r.GasUsed + protocol.InlineGasLimit/63 + 40_000 // deliver's check before the last call
	floor := 21_000 + 64*uint64(len(data))                  // EIP-7976's calldata floor
	t.Logf("maximal segment: %d messages, %d bytes of calldata: %d gas used, %d needed (budget %d), calldata floor %d",
		n, len(data), r.GasUsed, need, livenessBudget, floor)
	if need > livenessBudget || floor > livenessBudget {
		t.Fatalf("the maximal segment needs %d gas (floor %d), above the budget %d", need, floor, livenessBudget)
	}
	if len(data)+256 > 128*1024 {
		t.Fatalf("%d bytes of calldata: above go-ethereum's 128 KiB transaction", len(data))
	}
	// The next message opens a new segment, behind a checkpoint at the bound.
	e.worstSegment([]int{0}, []uint64{1})
	if st := e.laneState(); st.checkpoint == (common.Hash{}) {
		t.Fatal("the Outbox did not close the segment at its bounds")
	}
}

// The largest single message (MaxPayload bytes, MaxGasLimit gas) to a cold burner: deliver
// defers it (its gasLimit is above protocol.InlineGasLimit) within the budget, and anyone can
// run it with retry and their own gas, which reaches the recipient (the burner fails, so the
// retry reverts RetryFailed, not InsufficientGas) under the transaction cap. send refuses
// nothing that fits, and what it refuses (PayloadTooLarge, GasLimitTooHigh) is all that could
// not.
func TestLivenessLargestMessageDelivers(t *testing.T) {
	e := newEnv(t)
	msgs := e.worstSegment([]int{protocol.MaxPayload}, []uint64{protocol.MaxGasLimit})
	e.prove(1)
	r, err := e.txGas(e.relayer, e.inbox, e.ib.PackDeliver(srcDomain, protocol.PackDelivery(msgs)), txGasCap)
	if err != nil {
		t.Fatal(err)
	}
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackMessageDeferredEvent(l); return err }) {
		t.Fatal("the largest message was not deferred")
	}
	t.Logf("largest message deferred: %d gas used", r.GasUsed)
	if r.GasUsed > livenessBudget {
		t.Fatalf("deferring the largest message took %d gas, above the budget %d", r.GasUsed, livenessBudget)
	}
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackRetry(chain.ToBindingMessages(msgs)[0]))
	wantRevert(t, err, "InboxRetryFailed")
	for _, tc := range []struct {
		gas     uint64
		payload int
		want    string
	}{{protocol.MaxGasLimit + 1, 0, "OutboxGasLimitTooHigh"}, {1, protocol.MaxPayload + 1, "OutboxPayloadTooLarge"}} {
		_, err := e.tx(e.user, e.outbox, e.ob.PackSend(dstDomain, common.Address{0xee}, tc.gas, make([]byte, tc.payload)))
		wantRevert(t, err, tc.want)
	}
}

type laneState struct{ checkpoint common.Hash }

// laneState reads the checkpoint stored at the twin's current count, if any.
func (e *env) laneState() laneState {
	e.t.Helper()
	count := uint64(len(e.sent)) - 1
	cp, err := bind.Call(e.outbox, nil, e.ob.PackCheckpoint(dstDomain, count), e.ob.UnpackCheckpoint)
	if err != nil {
		e.t.Fatal(err)
	}
	return laneState{checkpoint: cp}
}

// A span between two proven counts larger than the rate limit's bucket (here one proven head
// after SegmentMaxMessages+1 messages, the bucket holding SegmentMaxMessages) is delivered
// once the bucket is full, and empties it: the limit delays the lane, never stalls it.
// Before, RateLimited(129, 128) refused it for ever.
func TestLivenessRateLimitDelaysNeverStalls(t *testing.T) {
	const window = 3600
	capacity := uint64(protocol.SegmentMaxMessages)
	e := newEnv(t, withRateLimit(capacity, window))
	msgs := e.sendN(common.Address{0xee}, int(capacity)+11)
	e.prove(10, capacity+11)
	e.must(e.deliver(msgs[:10]))
	// The bucket is not full: the larger span waits.
	_, err := e.deliver(msgs[10:])
	wantRevert(t, err, "InboxRateLimited")
	e.adjustTime(window * time.Second)
	e.must(e.deliver(msgs[10:]))
	if st := e.domainState(); st.DeliveredCount != capacity+11 || st.RateAvailable != 0 {
		t.Fatalf("delivered %d, %d tokens left; want %d and 0", st.DeliveredCount, st.RateAvailable, capacity+11)
	}
	// The next delivery waits for tokens again.
	more := e.sendN(common.Address{0xee}, 1)
	e.block++
	e.prove(capacity + 12)
	_, err = e.deliver(more)
	wantRevert(t, err, "InboxRateLimited")
	e.adjustTime(window / 2 * time.Second)
	e.must(e.deliver(more))
}

// mine seals blocks until every transaction of hashes is mined (a block takes as many as its
// gas limit holds), and returns their receipts, all successful.
func (e *env) mine(hashes []common.Hash) []*types.Receipt {
	e.t.Helper()
	client, ctx := e.b.Client(), context.Background()
	receipts := make([]*types.Receipt, len(hashes))
	for tries := 0; ; tries++ {
		e.b.Commit()
		pending := 0
		for i, h := range hashes {
			if receipts[i] != nil {
				continue
			}
			rc, err := client.TransactionReceipt(ctx, h)
			if err != nil && tries < 100 {
				pending++
				continue
			}
			if err != nil || rc.Status != types.ReceiptStatusSuccessful {
				e.t.Fatalf("transaction %s: %v", h, err)
			}
			receipts[i] = rc
		}
		if pending == 0 {
			return receipts
		}
	}
}

// checkpointClaim is the claim of the checkpoint the Outbox stored at count, at e.block.
func (e *env) checkpointClaim(count uint64) protocol.LaneClaim {
	e.t.Helper()
	acc, ok := e.lane.Checkpoints[count]
	if !ok {
		e.t.Fatalf("the lane stored no checkpoint at %d", count)
	}
	c := e.claim(count)
	c.Kind, c.Acc = protocol.KindLaneCheckpoint, acc
	return c
}

// deliverSegments delivers msgs (the lane from what was delivered) from proven count to
// proven count, each in one transaction under the 2^24 cap, and checks that every message
// was delivered once, in order, its failure recorded and still retriable.
func (e *env) deliverSegments(msgs []protocol.Message, ends []uint64) {
	e.t.Helper()
	from := e.domainState().DeliveredCount
	for _, end := range ends {
		seg := msgs[from-msgs[0].Nonce : end-msgs[0].Nonce]
		r, err := e.txGas(e.relayer, e.inbox, e.ib.PackDeliver(srcDomain, protocol.PackDelivery(seg)), txGasCap)
		if err != nil {
			e.t.Fatalf("segment %d..%d not delivered: %v", from, end, err)
		}
		var nonces []uint64
		for _, l := range r.Logs {
			if ev, err := e.ib.UnpackMessageFailedEvent(l); err == nil {
				nonces = append(nonces, ev.Nonce)
			}
		}
		for i, m := range seg {
			if i >= len(nonces) || nonces[i] != m.Nonce {
				e.t.Fatalf("segment %d..%d: failed nonces %v", from, end, nonces)
			}
			if ok, err := bind.Call(e.inbox, nil, e.ib.PackFailed(m.Hash()), e.ib.UnpackFailed); err != nil || !ok {
				e.t.Fatalf("message %d is not retriable (%v)", m.Nonce, err)
			}
		}
		e.t.Logf("segment %d..%d delivered: %d gas", from, end, r.GasUsed)
		from = end
	}
	if st := e.domainState(); st.DeliveredCount != msgs[len(msgs)-1].Nonce+1 {
		e.t.Fatalf("delivered %d, want %d", st.DeliveredCount, msgs[len(msgs)-1].Nonce+1)
	}
}

// Someone else proves a later head first, whose span from the delivered count is longer
// than one transaction (130 messages run by deliver, to burners, at protocol.InlineGasLimit:
// the Outbox closed segments at 64 and 128 by their summed gas): the relay's older head claim
// is refused (BlockNotForward), but checkpoints are accepted at any block (they never change
// once written), so the relay proves them at its older block and delivers segment by segment.
func TestLivenessLaterHeadSubmittedFirst(t *testing.T) {
	e := newEnv(t)
	const n = 130
	gas := make([]uint64, n)
	for i := range gas {
		gas[i] = protocol.InlineGasLimit
	}
	msgs := e.worstSegment(make([]int, n), gas)
	per := uint64(protocol.SegmentMaxGas / protocol.InlineGasLimit)
	e.block = 200
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(n)}})) // the other prover's head
	// The whole span in one delivery does not fit the cap.
	if _, err := e.txGas(e.relayer, e.inbox, e.ib.PackDeliver(srcDomain, protocol.PackDelivery(msgs)), txGasCap); err == nil {
		t.Fatal("the whole span delivered in one transaction: the test proves nothing")
	}
	e.block = 150 // the relay's head, proven when the lane held fewer messages
	_, err := e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(n - 1)}})
	wantRevert(t, err, "InboxBlockNotForward")
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.checkpointClaim(per), e.checkpointClaim(2 * per)}}))
	e.deliverSegments(msgs, []uint64{per, 2 * per, n})
	// A checkpoint's kind is in its hash: the same fields as a head are another claim.
	head := e.checkpointClaim(per)
	head.Kind = protocol.KindLaneHead
	cp := e.checkpointClaim(per)
	if head.Hash() == cp.Hash() {
		t.Fatal("a checkpoint hashes as a head")
	}
}
