package contracts_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The Outbox's lane (count, acc, segment word, checkpoints, events) equals the native twin's
// over 240 messages with random payloads of 0-1 KiB and random gas limits.
func TestOutboxMatchesNativeTwin(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(42, 42))
	ctx := context.Background()
	for i := 0; i < 240; i++ {
		payload := make([]byte, r.IntN(1025))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		// Mostly gas limits deliver runs, which count towards the segment's gas; some above
		// protocol.InlineGasLimit, which do not.
		gasLimit := protocol.InlineGasLimit/2 + r.Uint64N(protocol.InlineGasLimit/2+1)
		if i%8 == 0 {
			gasLimit = r.Uint64N(protocol.MaxGasLimit + 1)
		}
		recipient := common.BytesToAddress([]byte{byte(i), 0xaa})
		e.must(e.tx(e.user, e.outbox, e.ob.PackSend(dstDomain, recipient, gasLimit, payload)))
		m, _, err := e.lane.Send(addr(e.user), recipient, gasLimit, payload)
		if err != nil {
			t.Fatal(err)
		}
		e.sent = append(e.sent, m)

		count, err := bind.Call(e.outbox, nil, e.ob.PackLane(dstDomain), e.ob.UnpackLane)
		if err != nil {
			t.Fatal(err)
		}
		if count.Count != e.lane.Word.Count || count.Acc != e.lane.Acc {
			t.Fatalf("after message %d: outbox (%d, %x), twin (%d, %x)", i, count.Count, count.Acc, e.lane.Word.Count, e.lane.Acc)
		}
	}
	if len(e.lane.Checkpoints) < 2 {
		t.Fatalf("only %d checkpoints: the gas bound should close a segment every 64 to 128 messages", len(e.lane.Checkpoints))
	}

	// Storage, at the slots the protocol package computes: what provers read with eth_getProof.
	storage := func(slot common.Hash) common.Hash {
		v, err := e.b.Client().StorageAt(ctx, e.outbox.Address(), slot, nil)
		if err != nil {
			t.Fatal(err)
		}
		return common.BytesToHash(v)
	}
	if got := storage(protocol.LaneWordSlot(dstDomain)); got != e.lane.Word.Encode() {
		t.Fatalf("lane word slot holds %x, twin %x", got, e.lane.Word.Encode())
	}
	if got := storage(protocol.LaneAccSlot(dstDomain)); got != e.lane.Acc {
		t.Fatalf("lane acc slot holds %x, twin %x", got, e.lane.Acc)
	}
	for count, acc := range e.lane.Checkpoints {
		if got := storage(protocol.CheckpointSlot(dstDomain, count)); got != acc {
			t.Fatalf("checkpoint %d slot holds %x, twin %x", count, got, acc)
		}
		viaABI, err := bind.Call(e.outbox, nil, e.ob.PackCheckpoint(dstDomain, count), e.ob.UnpackCheckpoint)
		if err != nil || viaABI != acc {
			t.Fatalf("checkpoint(%d) = %x (%v), twin %x", count, viaABI, err, acc)
		}
	}
	if got := storage(protocol.CheckpointSlot(dstDomain, 1)); got != (common.Hash{}) {
		t.Fatalf("no checkpoint at count 1, but its slot holds %x", got)
	}

	// The events carry the full messages, as the twin built them.
	it, err := bind.FilterEvents(e.outbox, nil, e.ob.UnpackMessageSentEvent)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := bindings.OutboxMetaData.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	if id := parsed.Events[bindings.OutboxMessageSentEventName].ID; id != protocol.MessageSentTopic {
		t.Fatalf("MessageSent's topic is %s, protocol.MessageSentTopic %s", id, protocol.MessageSentTopic)
	}
	n := 0
	var acc protocol.Accumulator
	for it.Next() {
		ev := it.Value()
		m := protocol.Message{SrcDomain: srcDomain, DstDomain: ev.DstDomain, Nonce: ev.Nonce, Sender: ev.Sender,
			Recipient: ev.Recipient, GasLimit: ev.GasLimit, Payload: ev.Payload}
		if m.Hash() != e.sent[n].Hash() {
			t.Fatalf("event %d carries a message other than the twin's", n)
		}
		// Each event carries the lane's accumulator after its message.
		acc.Append(m.Hash())
		if ev.Acc != acc.Acc {
			t.Fatalf("event %d carries the accumulator %x, the twin's after it is %x", n, ev.Acc, acc.Acc)
		}
		n++
	}
	if it.Error() != nil || n != len(e.sent) {
		t.Fatalf("%d MessageSent events (%v), want %d", n, it.Error(), len(e.sent))
	}
}

func TestOutboxRefusesBadSends(t *testing.T) {
	e := newEnv(t)
	_, err := e.tx(e.user, e.outbox, e.ob.PackSend(dstDomain, common.Address{1}, protocol.MaxGasLimit+1, nil))
	wantRevert(t, err, "OutboxGasLimitTooHigh")
	_, err = e.tx(e.user, e.outbox, e.ob.PackSend(dstDomain, common.Address{1}, 0, make([]byte, protocol.MaxPayload+1)))
	wantRevert(t, err, "OutboxPayloadTooLarge")
	_, err = e.tx(e.user, e.outbox, e.ob.PackSend(srcDomain, common.Address{1}, 0, nil))
	wantRevert(t, err, "OutboxSameDomain")
	if c, err := bind.Call(e.outbox, nil, e.ob.PackLane(dstDomain), e.ob.UnpackLane); err != nil || c.Count != 0 {
		t.Fatalf("refused sends changed the lane: %+v, %v", c, err)
	}
}
