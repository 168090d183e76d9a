package contracts_test

import (
	"bytes"
	"context"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// sendN sends n messages of 16 bytes to recipient, each of the gas deliver runs at most
// (protocol.InlineGasLimit).
func (e *env) sendN(recipient common.Address, n int) []protocol.Message {
	var out []protocol.Message
	for i := 0; i < n; i++ {
		out = append(out, e.send(recipient, protocol.InlineGasLimit, bytes.Repeat([]byte{byte(len(e.sent))}, 16)))
	}
	return out
}

func TestInboxDeliversInOrderExactlyOnce(t *testing.T) {
	e := newEnv(t)
	rec, rc, rb := e.recorder()
	msgs := e.sendN(rec, 5)
	e.prove(5)
	r := e.must(e.deliver(msgs))
	if got := received(t, rc, rb); len(got) != 5 || got[0] != 0 || got[4] != 4 {
		t.Fatalf("recipient saw nonces %v, want 0..4 in order", got)
	}
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackDeliveredEvent(l); return err }) {
		t.Fatal("no Delivered event")
	}
	if st := e.domainState(); st.DeliveredCount != 5 || st.DeliveredAcc != e.lane.Acc {
		t.Fatalf("delivered state (%d, %x), want (5, %x)", st.DeliveredCount, st.DeliveredAcc, e.lane.Acc)
	}
	// Delivering the same messages again is a replay: they would take nonces 5..9, and the
	// delivered count only grows.
	_, err := e.deliver(msgs)
	wantRevert(t, err, "InboxNotProven")
	if got := received(t, rc, rb); len(got) != 5 {
		t.Fatalf("replay executed messages again: %v", got)
	}
}

func TestInboxRefusesBadDeliveries(t *testing.T) {
	e := newEnv(t)
	rec, _, _ := e.recorder()
	msgs := e.sendN(rec, 6)
	e.prove(5)
	tampered := append([]protocol.Message(nil), msgs[:5]...)
	tampered[2].Payload = append([]byte{0xff}, tampered[2].Payload[1:]...)
	wrongGas := append([]protocol.Message(nil), msgs[:5]...)
	wrongGas[1].GasLimit++
	truncated := protocol.PackDelivery(msgs[:5])

	for _, tc := range []struct {
		name string
		msgs []protocol.Message
		want string
	}{
		{"reordered", []protocol.Message{msgs[0], msgs[2], msgs[1], msgs[3], msgs[4]}, "InboxAccumulatorMismatch"},
		{"skipped", []protocol.Message{msgs[0], msgs[1], msgs[3], msgs[4], msgs[5]}, "InboxAccumulatorMismatch"},
		{"extra", msgs[:6], "InboxNotProven"},
		{"short of a checkpoint", msgs[:4], "InboxNotProven"},
		{"tampered payload", tampered, "InboxAccumulatorMismatch"},
		{"tampered gas limit", wrongGas, "InboxAccumulatorMismatch"},
		{"empty", nil, "InboxEmptyDelivery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.deliver(tc.msgs)
			wantRevert(t, err, tc.want)
		})
	}
	for _, cut := range []int{1, 20, protocol.PackedOverhead} {
		_, err := e.tx(e.relayer, e.inbox, e.ib.PackDeliver(srcDomain, truncated[:len(truncated)-cut]))
		wantRevert(t, err, "InboxMalformedDelivery")
	}
	if st := e.domainState(); st.DeliveredCount != 0 {
		t.Fatalf("refused deliveries moved the delivered count to %d", st.DeliveredCount)
	}
	e.must(e.deliver(msgs[:5]))
}

// derive calls deriveCheckpoint for count from the hashes of the sent messages [count, to).
func (e *env) derive(count uint64, acc common.Hash, to uint64) (*types.Receipt, error) {
	hashes := make([][32]byte, 0, to-count)
	for _, m := range e.sent[count:to] {
		hashes = append(hashes, m.Hash())
	}
	return e.tx(e.relayer, e.inbox, e.ib.PackDeriveCheckpoint(srcDomain, count, acc, hashes))
}

// A segment end derived from a later proven count by the hashes of the messages between: the
// Inbox records it and a delivery can end there; every wrong derivation is refused and moves
// nothing.
func TestInboxDerivesCheckpointFromALaterProvenCount(t *testing.T) {
	e := newEnv(t)
	rec, rc, rb := e.recorder()
	msgs := e.sendN(rec, 10)
	e.prove(10)
	at := func(n uint64) common.Hash { return e.claim(n).Acc }
	proven := func(n uint64) common.Hash {
		acc, err := bind.Call(e.inbox, nil, e.ib.PackProvenAcc(srcDomain, n), e.ib.UnpackProvenAcc)
		if err != nil {
			t.Fatal(err)
		}
		return acc
	}
	wrong := at(4)
	wrong[0] ^= 1
	hashes := func(from, to uint64) [][32]byte {
		var out [][32]byte
		for _, m := range e.sent[from:to] {
			out = append(out, m.Hash())
		}
		return out
	}
	swapped := hashes(4, 10)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	for _, tc := range []struct {
		name   string
		count  uint64
		acc    common.Hash
		hashes [][32]byte
		want   string
	}{
		{"wrong accumulator", 4, wrong, hashes(4, 10), "InboxAccumulatorMismatch"},
		{"hashes reordered", 4, at(4), swapped, "InboxAccumulatorMismatch"},
		{"short of a proven count", 4, at(4), hashes(4, 9), "InboxNotProven"},
		{"past a proven count", 4, at(4), append(hashes(4, 10), [32]byte{1}), "InboxNotProven"},
		{"no hash", 4, at(4), nil, "InboxEmptyDerivation"},
		{"another domain", 4, at(4), hashes(4, 10), "InboxUnknownDomain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := uint32(srcDomain)
			if tc.name == "another domain" {
				src++
			}
			_, err := e.tx(e.relayer, e.inbox, e.ib.PackDeriveCheckpoint(src, tc.count, tc.acc, tc.hashes))
			wantRevert(t, err, tc.want)
			if proven(tc.count) != (common.Hash{}) {
				t.Fatal("a refused derivation recorded the count")
			}
		})
	}
	_, err := e.deliver(msgs[:4])
	wantRevert(t, err, "InboxNotProven")

	r := e.must(e.derive(4, at(4), 10))
	if proven(4) != at(4) {
		t.Fatal("the derived count is not recorded")
	}
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackCheckpointDerivedEvent(l); return err }) {
		t.Fatal("no CheckpointDerived event")
	}
	t.Logf("deriveCheckpoint over 6 hashes: %d gas", r.GasUsed)
	// From the derived count down: a chain of derivations needs nothing but the hashes.
	e.must(e.derive(2, at(2), 4))
	e.must(e.deliver(msgs[:2]))
	e.must(e.deliver(msgs[2:4]))
	e.must(e.deliver(msgs[4:]))
	if got := received(t, rc, rb); len(got) != 10 || got[9] != 9 {
		t.Fatalf("recipient saw nonces %v, want 0..9 in order", got)
	}
	// At or below the delivered count: skipped, nothing recorded.
	r = e.must(e.derive(3, at(3), 10))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackClaimSkippedEvent(l); return err }) || proven(3) != (common.Hash{}) {
		t.Fatal("a derivation below the delivered count was not skipped")
	}

	// A paused domain derives nothing.
	more := e.sendN(rec, 4)
	e.prove(14)
	e.must(e.tx(e.guardian, e.inbox, e.ib.PackPauseDomain(srcDomain)))
	_, err = e.derive(12, at(12), 14)
	wantRevert(t, err, "InboxDomainIsPaused")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackUnpauseDomain(srcDomain)))
	e.must(e.derive(12, at(12), 14))
	e.must(e.deliver(more[:2]))

	// A count proven with another accumulator (the committee signed two histories): the
	// derivation is refused, not taken over the proof.
	e.sendN(rec, 4)
	e.prove(18)
	other := e.contradiction(16)
	other.Kind = protocol.KindLaneCheckpoint
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{other}}))
	_, err = e.derive(16, at(16), 18)
	wantRevert(t, err, "InboxAlreadyProven")
}

func TestInboxSubmitBatchRefusals(t *testing.T) {
	e := newEnv(t)
	e.sendN(common.Address{0xee}, 4)
	good := protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(2)}}

	// A valid proof with a claim field changed in calldata: the statement hash differs.
	changed := protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(2)}}
	changed.Lanes[0].Acc[0] ^= 1
	_, err := e.submitWithProof(changed, devnet.TestOnlyProof(good.PublicInput()))
	wantRevert(t, err, "InboxInvalidProof")
	// A proof of another batch.
	other := protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(3)}}
	_, err = e.submitWithProof(good, devnet.TestOnlyProof(other.PublicInput()))
	wantRevert(t, err, "InboxInvalidProof")

	mutate := func(f func(c *protocol.LaneClaim)) protocol.Statement {
		c := e.claim(2)
		f(&c)
		return protocol.Statement{Lanes: []protocol.LaneClaim{c}}
	}
	for _, tc := range []struct {
		name string
		s    protocol.Statement
		want string
	}{
		{"untrusted committee", mutate(func(c *protocol.LaneClaim) { c.Committee[0] ^= 1 }), "InboxWrongCommittee"},
		{"other outbox", mutate(func(c *protocol.LaneClaim) { c.Outbox[0] ^= 1 }), "InboxWrongOutbox"},
		{"other destination", mutate(func(c *protocol.LaneClaim) { c.DstDomain = 9 }), "InboxWrongDestination"},
		{"unknown source", mutate(func(c *protocol.LaneClaim) { c.SrcDomain = 9 }), "InboxUnknownDomain"},
		{"no kind", mutate(func(c *protocol.LaneClaim) { c.Kind = 0 }), "InboxMalformedClaim"},
		{"rotation kind", mutate(func(c *protocol.LaneClaim) { c.Kind = protocol.KindRotation }), "InboxMalformedClaim"},
		{"empty", protocol.Statement{}, "InboxEmptyBatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.submit(tc.s)
			wantRevert(t, err, tc.want)
		})
	}

	e.must(e.submit(good))
	// The same batch again, or a claim of count zero, changes nothing: it is skipped.
	before := e.domainState()
	for _, s := range []protocol.Statement{good, mutate(func(c *protocol.LaneClaim) { c.Count = 0 })} {
		if r := e.must(e.submit(s)); !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackClaimSkippedEvent(l); return err }) {
			t.Fatalf("claim of count %d not skipped", s.Lanes[0].Count)
		}
	}
	if after := e.domainState(); after != before {
		t.Fatalf("skipped claims changed the domain: %+v, was %+v", after, before)
	}
}

func TestInboxCheckpointsOnlyMoveForward(t *testing.T) {
	e := newEnv(t)
	msgs := e.sendN(common.Address{0xee}, 6)
	e.block = 100
	e.prove(3)
	// An older block, even with a higher count: refused.
	e.block = 90
	_, err := e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(5)}})
	wantRevert(t, err, "InboxBlockNotForward")
	// A count at or below what was delivered: skipped, recording nothing.
	e.block = 110
	e.must(e.deliver(msgs[:3]))
	r := e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(2)}}))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackClaimSkippedEvent(l); return err }) {
		t.Fatal("a claim below the delivered count was not skipped")
	}
	if acc := e.provenAcc(2); acc != (common.Hash{}) {
		t.Fatalf("a skipped claim recorded %x", acc)
	}
	// A checkpoint below the proven head but above the delivered count, at a newer block, is
	// accepted: a relay can still prove a segment end it left out.
	e.prove(6)
	e.block = 120
	e.prove(4)
	e.must(e.deliver(msgs[3:4]))
	e.must(e.deliver(msgs[4:6]))
	if st := e.domainState(); st.DeliveredCount != 6 || st.ProvenCount != 6 || st.ProvenBlock != 120 {
		t.Fatalf("state %+v", st)
	}
}

// contradiction is a claim of another accumulator for count, at a later block: evidence that
// the committee signed two histories of the lane.
func (e *env) contradiction(count uint64) protocol.LaneClaim {
	c := e.claim(count)
	c.Acc = crypto.Keccak256Hash([]byte("another history"))
	c.BlockNumber++
	return c
}

func TestInboxFreezesOnContradiction(t *testing.T) {
	e := newEnv(t)
	msgs := e.sendN(common.Address{0xee}, 3)
	e.prove(3)
	forged := e.contradiction(3)
	r := e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{forged}}))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackContradictionDetectedEvent(l); return err }) {
		t.Fatal("no ContradictionDetected event")
	}
	if st := e.domainState(); !st.Paused {
		t.Fatal("domain not frozen after a proven contradiction")
	}
	if acc, _ := bind.Call(e.inbox, nil, e.ib.PackProvenAcc(srcDomain, 3), e.ib.UnpackProvenAcc); acc != e.claim(3).Acc {
		t.Fatal("the contradicting claim overwrote the proven checkpoint")
	}
	_, err := e.deliver(msgs)
	wantRevert(t, err, "InboxDomainIsPaused")
	// Only the owner lifts it.
	_, err = e.tx(e.guardian, e.inbox, e.ib.PackUnpauseDomain(srcDomain))
	wantRevert(t, err, "InboxUnauthorized")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackUnpauseDomain(srcDomain)))
	e.must(e.deliver(msgs))
}

// frozenByContradiction sends three messages, proves them, and freezes the domain with a
// contradicting claim of count 3 (under the trusted committee, at a later block); it
// returns the messages and that claim.
func (e *env) frozenByContradiction() ([]protocol.Message, protocol.LaneClaim) {
	e.t.Helper()
	msgs := e.sendN(common.Address{0xee}, 3)
	e.prove(3)
	forged := e.contradiction(3)
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{forged}}))
	if !e.domainState().Paused {
		e.t.Fatal("not frozen by the contradiction")
	}
	return msgs, forged
}

// After a proven contradiction the owner restores the domain, and the same evidence cannot
// freeze it again (before, anyone could resubmit it right after the unpause, for ever). The
// committee that signed both histories is replaced by a re-seat behind the upgrade delay;
// claims under it are refused from then on.
func TestLivenessContradictionFreezesOnce(t *testing.T) {
	e := newEnv(t)
	msgs, forged := e.frozenByContradiction()
	e.must(e.tx(e.owner, e.inbox, e.ib.PackUnpauseDomain(srcDomain)))
	_, err := e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{forged}})
	wantRevert(t, err, "InboxAlreadyProven")
	if e.domainState().Paused {
		t.Fatal("the same contradiction froze the domain again")
	}
	e.must(e.deliver(msgs))

	// Re-seat the committee: only the owner proposes, only after the delay, the guardian
	// can cancel; anyone activates.
	next := testCommitment("the next committee")
	_, err = e.tx(e.guardian, e.inbox, e.ib.PackProposeCommittee(srcDomain, next, 1))
	wantRevert(t, err, "InboxUnauthorized")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackProposeCommittee(srcDomain, next, 1)))
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackActivateCommittee(srcDomain))
	wantRevert(t, err, "InboxUpgradeNotReady")
	e.must(e.tx(e.guardian, e.inbox, e.ib.PackCancelCommittee(srcDomain)))
	e.adjustTime(dayS * time.Second)
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackActivateCommittee(srcDomain))
	wantRevert(t, err, "InboxNoPendingCommittee")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackProposeCommittee(srcDomain, next, 1)))
	e.adjustTime(dayS * time.Second)
	e.must(e.tx(e.relayer, e.inbox, e.ib.PackActivateCommittee(srcDomain)))
	if st := e.domainState(); st.Committee != next || st.Epoch != 1 {
		t.Fatalf("after the re-seat: committee %x epoch %d", st.Committee, st.Epoch)
	}
	e.sendN(common.Address{0xee}, 1)
	e.block++
	_, err = e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(4)}}) // under the old committee
	wantRevert(t, err, "InboxWrongCommittee")
}

// A domain frozen by a proven contradiction is restored by its committee's hand-over: the
// rotation applies while the domain is paused (its lane claims are skipped meanwhile), the
// domain stays paused until the owner lifts it, and then the lane goes on under the new
// committee; the old committee's claims, the contradicting one included, are refused.
func TestLivenessContradictionResolvedByRotation(t *testing.T) {
	e := newEnv(t)
	msgs, forged := e.frozenByContradiction()
	next := testCommitment("the successor")
	rot := protocol.RotationClaim{SrcDomain: srcDomain, Committee: devCommittee, NextEpoch: 1, NextCommittee: next}
	head := e.claim(3)
	head.BlockNumber++
	r := e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{head}, Rotations: []protocol.RotationClaim{rot}}))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackClaimSkippedEvent(l); return err }) {
		t.Fatal("the paused domain's lane claim was not skipped")
	}
	st := e.domainState()
	if st.Committee != next || st.Epoch != 1 || !st.Paused {
		t.Fatalf("after the hand-over: committee %x epoch %d paused %v; want the successor, 1, still paused", st.Committee, st.Epoch, st.Paused)
	}
	_, err := e.deliver(msgs)
	wantRevert(t, err, "InboxDomainIsPaused")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackUnpauseDomain(srcDomain)))
	_, err = e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{forged}})
	wantRevert(t, err, "InboxWrongCommittee")
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rot}})
	wantRevert(t, err, "InboxWrongCommittee") // a hand-over replayed
	e.must(e.deliver(msgs))
	e.sendN(common.Address{0xee}, 1)
	c := e.claim(4)
	c.Committee, c.BlockNumber = next, head.BlockNumber+1
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{c}}))
	if st := e.domainState(); st.ProvenCount != 4 || st.DeliveredCount != 3 {
		t.Fatalf("under the new committee: proven %d delivered %d", st.ProvenCount, st.DeliveredCount)
	}
}

// A valid proof about another lane of the same source (another destination, another Outbox,
// or a committee not trusted here) with the same count and another accumulator is no
// contradiction of this lane: it is refused and freezes nothing.
func TestInboxOtherLanesDoNotFreeze(t *testing.T) {
	e := newEnv(t)
	e.sendN(common.Address{0xee}, 3)
	e.prove(3)
	other := crypto.Keccak256Hash([]byte("another lane's history"))
	for _, tc := range []struct {
		name   string
		mutate func(c *protocol.LaneClaim)
		want   string
	}{
		{"another destination", func(c *protocol.LaneClaim) { c.DstDomain = 9 }, "InboxWrongDestination"},
		{"another outbox", func(c *protocol.LaneClaim) { c.Outbox = common.Address{0x0b} }, "InboxWrongOutbox"},
		{"an untrusted committee", func(c *protocol.LaneClaim) { c.Committee = other }, "InboxWrongCommittee"},
	} {
		c := e.claim(3)
		c.Acc, c.BlockNumber = other, c.BlockNumber+1
		tc.mutate(&c)
		_, err := e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{c}})
		wantRevert(t, err, tc.want)
		if e.domainState().Paused {
			t.Fatalf("%s froze the domain", tc.name)
		}
	}
}

func TestInboxPause(t *testing.T) {
	e := newEnv(t)
	msgs := e.sendN(common.Address{0xee}, 2)
	e.prove(2)
	_, err := e.tx(e.relayer, e.inbox, e.ib.PackPause())
	wantRevert(t, err, "InboxUnauthorized")
	e.must(e.tx(e.guardian, e.inbox, e.ib.PackPause()))
	_, err = e.deliver(msgs)
	wantRevert(t, err, "InboxIsPaused")
	_, err = e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(1)}})
	wantRevert(t, err, "InboxIsPaused")
	_, err = e.tx(e.guardian, e.inbox, e.ib.PackUnpause())
	wantRevert(t, err, "InboxUnauthorized")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackUnpause()))

	e.must(e.tx(e.guardian, e.inbox, e.ib.PackPauseDomain(srcDomain)))
	_, err = e.deliver(msgs)
	wantRevert(t, err, "InboxDomainIsPaused")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackUnpauseDomain(srcDomain)))
	e.must(e.deliver(msgs))
}

func TestInboxRateLimit(t *testing.T) {
	const capacity, window = 256, 3600
	e := newEnv(t, withRateLimit(capacity, window))
	msgs := e.sendN(common.Address{0xee}, 300)
	e.prove(200, 300)
	e.must(e.deliver(msgs[:200]))
	// 56 tokens left: 100 more messages exceed the limit.
	_, err := e.deliver(msgs[200:300])
	wantRevert(t, err, "InboxRateLimited")
	// Half a window refills 128 tokens (capped at capacity).
	e.adjustTime(window / 2 * time.Second)
	e.must(e.deliver(msgs[200:300]))

	// A capacity below one lane segment could stall a lane: refused.
	_, err = e.tx(e.owner, e.inbox, e.ib.PackSetRateLimit(srcDomain, protocol.SegmentMaxMessages-1, window))
	wantRevert(t, err, "InboxInvalidConfig")
}

func TestInboxFailingRecipientsDoNotBlock(t *testing.T) {
	e := newEnv(t)
	rec, rc, rb := e.recorder()
	burner := e.deploy(testbindings.TestGasBurnerRecipientMetaData.Bin, nil)
	e.must(e.tx(e.owner, rc, rb.PackSetFailing(true)))

	msgs := []protocol.Message{
		e.send(rec, 100_000, []byte("reverts")),
		e.send(burner, protocol.InlineGasLimit, []byte("burns all its gas")),
		e.send(common.Address{0xee}, 50_000, []byte("no code: fails, retriable once code is there")),
	}
	e.prove(3)
	r := e.must(e.deliver(msgs))
	var failed []uint64
	for _, l := range r.Logs {
		if ev, err := e.ib.UnpackMessageFailedEvent(l); err == nil {
			failed = append(failed, ev.Nonce)
		}
	}
	if len(failed) != 3 || failed[0] != 0 || failed[1] != 1 || failed[2] != 2 {
		t.Fatalf("failed nonces %v, want [0 1 2]", failed)
	}
	if st := e.domainState(); st.DeliveredCount != 3 {
		t.Fatalf("batch blocked: delivered %d", st.DeliveredCount)
	}

	retry := func(m protocol.Message) error {
		_, err := e.tx(e.relayer, e.inbox, e.ib.PackRetry(toBinding(m)))
		return err
	}
	// Still failing: the retry reverts and the message stays retryable.
	wantRevert(t, retry(msgs[0]), "InboxRetryFailed")
	wantRevert(t, retry(msgs[1]), "InboxRetryFailed")
	e.must(e.tx(e.owner, rc, rb.PackSetFailing(false)))
	if err := retry(msgs[0]); err != nil {
		t.Fatal(err)
	}
	if got := received(t, rc, rb); len(got) != 1 || got[0] != 0 {
		t.Fatalf("recipient saw %v after retry, want [0]", got)
	}
	// Exactly once: a second retry and a retry of a delivered message are refused.
	wantRevert(t, retry(msgs[0]), "InboxNotFailed")
	wantRevert(t, retry(msgs[2]), "InboxRetryFailed") // still no code there
}

// A recipient cannot run a later delivery from inside its own: the re-entrant deliver is
// refused and the messages arrive in nonce order. Before the lock, the recorder saw 2 before 1.
func TestHardeningReentrantRecipientCannotReorder(t *testing.T) {
	e := newEnv(t)
	rec, rc, rb := e.recorder()
	rr := testbindings.NewTestReentrantRecipient()
	reentrant := e.deploy(testbindings.TestReentrantRecipientMetaData.Bin, nil)
	rrc := rr.Instance(e.b.Client(), reentrant)
	msgs := []protocol.Message{e.send(reentrant, protocol.InlineGasLimit, nil), e.send(rec, 100_000, nil), e.send(rec, 100_000, nil)}
	e.prove(2, 3)
	e.must(e.tx(e.owner, rrc, rr.PackArm(e.inbox.Address(), srcDomain, protocol.PackDelivery(msgs[2:]))))
	e.must(e.deliver(msgs[:2]))
	reentered, err := bind.Call(rrc, nil, rr.PackReentered(), rr.UnpackReentered)
	if err != nil {
		t.Fatal(err)
	}
	if reentered {
		t.Error("the recipient delivered the next batch from inside its own delivery")
	}
	if st := e.domainState(); st.DeliveredCount != 2 {
		t.Fatalf("delivered %d, want 2", st.DeliveredCount)
	}
	e.must(e.deliver(msgs[2:]))
	if got := received(t, rc, rb); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("the recorder saw nonces %v, want [1 2]", got)
	}
}

// A message to an address without code fails and stays retriable; once a contract is deployed
// there, retry delivers it. Before, the call succeeded and the message was lost.
func TestHardeningCodelessRecipientIsRetriable(t *testing.T) {
	e := newEnv(t)
	nonce, err := e.b.Client().PendingNonceAt(context.Background(), addr(e.owner))
	if err != nil {
		t.Fatal(err)
	}
	later := crypto.CreateAddress(addr(e.owner), nonce) // the next contract the owner deploys
	msgs := []protocol.Message{e.send(later, 100_000, []byte("for a contract not yet deployed"))}
	e.prove(1)
	r := e.must(e.deliver(msgs))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackMessageFailedEvent(l); return err }) {
		t.Fatal("a message to an address without code counted as delivered")
	}
	retry := func() error {
		_, err := e.tx(e.relayer, e.inbox, e.ib.PackRetry(toBinding(msgs[0])))
		return err
	}
	wantRevert(t, retry(), "InboxRetryFailed")
	rec, rc, rb := e.recorder()
	if rec != later {
		t.Fatalf("the recorder is at %s, want %s", rec, later)
	}
	if err := retry(); err != nil {
		t.Fatal(err)
	}
	if got := received(t, rc, rb); len(got) != 1 || got[0] != 0 {
		t.Fatalf("the recipient saw %v, want [0]", got)
	}
}

// A relayer cannot make a message fail by giving too little gas: the whole delivery reverts.
func TestInboxRefusesTooLittleGasForAMessage(t *testing.T) {
	e := newEnv(t)
	rec, rc, rb := e.recorder()
	msgs := []protocol.Message{e.send(rec, protocol.InlineGasLimit, nil)}
	e.prove(1)
	_, err := e.txGas(e.relayer, e.inbox, e.ib.PackDeliver(srcDomain, protocol.PackDelivery(msgs)), 150_000)
	if err == nil {
		t.Fatal("delivery with too little gas for the message's gasLimit went through")
	}
	inbox := e.inbox.Address()
	_, err = e.b.Client().CallContract(context.Background(), ethereum.CallMsg{
		From: addr(e.relayer), To: &inbox, Gas: 150_000, Data: e.ib.PackDeliver(srcDomain, protocol.PackDelivery(msgs)),
	}, nil)
	wantRevert(t, chain.DecodeRevert(err, e.ib.UnpackError), "InboxInsufficientGas")
	if st := e.domainState(); st.DeliveredCount != 0 {
		t.Fatal("a short-gas delivery changed the delivered count")
	}
	if ok, _ := bind.Call(e.inbox, nil, e.ib.PackFailed(msgs[0].Hash()), e.ib.UnpackFailed); ok {
		t.Fatal("a short-gas delivery marked the message failed")
	}
	e.must(e.deliver(msgs))
	if got := received(t, rc, rb); len(got) != 1 {
		t.Fatalf("recipient saw %v", got)
	}
}

func TestInboxCommitteeRotatesOnlyByProof(t *testing.T) {
	e := newEnv(t)
	e.sendN(common.Address{0xee}, 2)
	next := testCommitment("next committee")
	rot := protocol.RotationClaim{SrcDomain: srcDomain, Committee: devCommittee, NextEpoch: 1, NextCommittee: next}

	// Signed by a committee that is not the trusted one: refused.
	bad := rot
	bad.Committee = next
	_, err := e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{bad}})
	wantRevert(t, err, "InboxWrongCommittee")
	skip := rot
	skip.NextEpoch = 2
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{skip}})
	wantRevert(t, err, "InboxWrongEpoch")

	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rot}}))
	if st := e.domainState(); st.Committee != next || st.Epoch != 1 {
		t.Fatalf("after rotation: committee %x epoch %d", st.Committee, st.Epoch)
	}
	// Replayed: refused.
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rot}})
	wantRevert(t, err, "InboxWrongCommittee")
	// Claims of the old committee are no longer accepted; the new one's are.
	_, err = e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{e.claim(1)}})
	wantRevert(t, err, "InboxWrongCommittee")
	c := e.claim(1)
	c.Committee = next
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{c}}))
	// The owner has no way to set a committee: re-adding the domain is refused.
	_, err = e.tx(e.owner, e.inbox, e.ib.PackAddDomain(srcDomain, e.outbox.Address(), protocol.AdapterCommittee, devCommittee, 0, 0, 0))
	wantRevert(t, err, "InboxDomainExists")
}

func TestInboxVerifierUpgradeWaitsForDelay(t *testing.T) {
	e := newEnv(t)
	newVerifier := e.deploy(testbindings.TestOnlyVerifierMetaData.Bin, nil)
	_, err := e.tx(e.relayer, e.inbox, e.ib.PackProposeVerifier(newVerifier))
	wantRevert(t, err, "InboxUnauthorized")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackProposeVerifier(newVerifier)))
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackActivateVerifier())
	wantRevert(t, err, "InboxUpgradeNotReady")
	e.adjustTime(dayS/2*time.Second + time.Second)
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackActivateVerifier())
	wantRevert(t, err, "InboxUpgradeNotReady")
	// The guardian can cancel; a cancelled proposal cannot be activated.
	e.must(e.tx(e.guardian, e.inbox, e.ib.PackCancelVerifier()))
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackActivateVerifier())
	wantRevert(t, err, "InboxNoPendingVerifier")

	e.must(e.tx(e.owner, e.inbox, e.ib.PackProposeVerifier(newVerifier)))
	e.adjustTime(dayS*time.Second + time.Second)
	e.must(e.tx(e.relayer, e.inbox, e.ib.PackActivateVerifier()))
	if v, _ := bind.Call(e.inbox, nil, e.ib.PackVerifier(), e.ib.UnpackVerifier); v != newVerifier {
		t.Fatalf("verifier %s, want %s", v, newVerifier)
	}
	// The delay itself has a floor.
	inbox := e.ib.PackConstructor(dstDomain, e.verifier, addr(e.owner), addr(e.guardian), big.NewInt(dayS-1))
	opts := bind.NewKeyedTransactor(e.owner, big.NewInt(1337))
	if _, _, err := bind.DeployContract(opts, common.FromHex(bindings.InboxMetaData.Bin), e.b.Client(), inbox); err == nil {
		t.Fatal("an Inbox with an upgrade delay below one day was deployed")
	}
}

// A lane by receipt is taken like a checkpoint: at any block, even older than the newest head,
// and the messages up to it deliver.
func TestEventLaneByReceiptTakenAtAnyBlock(t *testing.T) {
	e := newEnv(t)
	msgs := e.sendN(common.Address{0xee}, 5)
	e.block = 100
	e.prove(2)
	byReceipt := func(count uint64) protocol.LaneClaim {
		c := e.claim(count)
		c.Kind = protocol.KindLaneReceipt
		return c
	}
	e.block = 90
	r := e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{byReceipt(4)}}))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackCheckpointProvenEvent(l); return err }) {
		t.Fatal("a lane by receipt at an older block was not recorded")
	}
	if e.provenAcc(4) != e.claim(4).Acc {
		t.Fatal("the receipt's accumulator is not the proven one")
	}
	e.must(e.deliver(msgs[:4]))
	if st := e.domainState(); st.DeliveredCount != 4 || st.ProvenBlock != 100 {
		t.Fatalf("state %+v: want 4 delivered, the head's block unchanged", st)
	}
	// A receipt of another history for a proven count is a contradiction like any other.
	e.block = 91
	bad := byReceipt(5)
	e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{byReceipt(5)}}))
	bad.Acc = crypto.Keccak256Hash([]byte("another history"))
	r = e.must(e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{bad}}))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackContradictionDetectedEvent(l); return err }) {
		t.Fatal("a receipt claim of another accumulator did not freeze the domain")
	}
}

// eventClaim is a proven log of a token contract of the source domain.
func (e *env) eventClaim(logIndex uint32) protocol.EventClaim {
	return protocol.EventClaim{
		SrcDomain: srcDomain, Committee: devCommittee, BlockNumber: e.block,
		BlockHash: crypto.Keccak256Hash(big.NewInt(int64(e.block)).Bytes()), TxIndex: 3, LogIndex: logIndex,
		Emitter: common.HexToAddress("0x7070"), Topics: []common.Hash{crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")), {1}, {2}},
		DataHash: crypto.Keccak256Hash(common.LeftPadBytes([]byte{100}, 32)),
	}
}

func (e *env) eventProven(id common.Hash) bool {
	e.t.Helper()
	ok, err := bind.Call(e.inbox, nil, e.ib.PackProvenEvents(id), e.ib.UnpackProvenEvents)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

// Event claims are recorded by ID for consumer contracts; the rules: a known domain, its
// current committee, nothing for a paused domain, a replay skipped.
func TestEventClaimsRecorded(t *testing.T) {
	e := newEnv(t)
	e.block = 50
	ev := e.eventClaim(0)
	if e.eventProven(ev.ID()) {
		t.Fatal("an event is proven before any batch")
	}
	r := e.must(e.submit(protocol.Statement{Events: []protocol.EventClaim{ev}}))
	if !e.eventProven(ev.ID()) || !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackEventProvenEvent(l); return err }) {
		t.Fatal("the event was not recorded")
	}
	// What consumer contracts compute: the ID leaves out the committee.
	other := ev
	other.Committee = common.Hash{9}
	if other.ID() != ev.ID() {
		t.Fatal("the ID depends on the committee")
	}
	if unclaimed := e.eventClaim(1); e.eventProven(unclaimed.ID()) {
		t.Fatal("a log that was not claimed is proven")
	}
	r = e.must(e.submit(protocol.Statement{Events: []protocol.EventClaim{ev}}))
	if !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackEventSkippedEvent(l); return err }) {
		t.Fatal("a replayed event claim was not skipped")
	}
	for _, tc := range []struct {
		name   string
		mutate func(c *protocol.EventClaim)
		want   string
	}{
		{"untrusted committee", func(c *protocol.EventClaim) { c.Committee[0] ^= 1 }, "InboxWrongCommittee"},
		{"unknown source", func(c *protocol.EventClaim) { c.SrcDomain = 9 }, "InboxUnknownDomain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.eventClaim(2)
			tc.mutate(&c)
			_, err := e.submit(protocol.Statement{Events: []protocol.EventClaim{c}})
			wantRevert(t, err, tc.want)
		})
	}
	// Five topics cannot be encoded; a claim saying so in calldata is malformed.
	five := e.eventClaim(2)
	enc := five.Encode()
	enc[protocol.EventTopicsOffset] = 5
	_, err := e.tx(e.relayer, e.inbox, e.ib.PackSubmitBatch(devnet.TestOnlyProof(big.NewInt(1)), [][]byte{enc}))
	wantRevert(t, err, "InboxMalformedClaim")

	e.must(e.tx(e.owner, e.inbox, e.ib.PackPauseDomain(srcDomain)))
	paused := e.eventClaim(3)
	r = e.must(e.submit(protocol.Statement{Events: []protocol.EventClaim{paused}}))
	if e.eventProven(paused.ID()) || !hasEvent(r, func(l *types.Log) error { _, err := e.ib.UnpackEventSkippedEvent(l); return err }) {
		t.Fatal("an event of a paused domain was recorded")
	}
}

// A source domain final under Ethereum's sync committee: the Inbox keeps the commitment of
// the committee of the current period, the period as its epoch, and moves to the next period
// only by a rotation claim. Refused: a batch under a committee that is not the current one,
// a period skipped, a rotation replayed, an unknown adapter.
func TestEthereumSourceInboxSyncCommitteeDomain(t *testing.T) {
	e := newEnv(t)
	const eth = 7
	period := syncPeriod
	_, err := e.tx(e.owner, e.inbox, e.ib.PackAddDomain(eth, e.outbox.Address(), 2, period(862), 862, 0, 0))
	wantRevert(t, err, "InboxInvalidConfig")
	e.must(e.tx(e.owner, e.inbox, e.ib.PackAddDomain(eth, e.outbox.Address(), protocol.AdapterSyncCommittee, period(862), 862, 0, 0)))
	state := func() bindings.InboxDomain { return e.domainOf(eth) }
	if st := state(); st.Adapter != protocol.AdapterSyncCommittee || st.Epoch != 862 || st.Committee != period(862) {
		t.Fatalf("domain %+v: want the sync committee of period 862", st)
	}
	rotation := func(from, to uint64) protocol.RotationClaim {
		return protocol.RotationClaim{SrcDomain: eth, Committee: period(from), NextEpoch: to, NextCommittee: period(to)}
	}
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rotation(862, 863)}}))
	if st := state(); st.Epoch != 863 || st.Committee != period(863) {
		t.Fatalf("after the rotation: %+v", st)
	}
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rotation(863, 865)}})
	wantRevert(t, err, "InboxWrongEpoch")
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rotation(862, 863)}})
	wantRevert(t, err, "InboxWrongCommittee")
	old := e.claim(0)
	old.SrcDomain, old.Committee, old.Count = eth, period(862), 1
	_, err = e.submit(protocol.Statement{Lanes: []protocol.LaneClaim{old}})
	wantRevert(t, err, "InboxWrongCommittee")
}

// A hand-over too large for one batch: key runs recorded by earlier batches (in any order,
// twice without harm), the hand-over naming them taken as a rotation; one naming a run never
// proven, or whose rotation fields are wrong, refused with nothing recorded.
func TestEthereumSourceInboxHandOverOverBatches(t *testing.T) {
	e := newEnv(t)
	const eth = 7
	period := syncPeriod
	e.must(e.tx(e.owner, e.inbox, e.ib.PackAddDomain(eth, e.outbox.Address(), protocol.AdapterSyncCommittee, period(862), 862, 0, 0)))
	runs := []common.Hash{{0x01, 1}, {0x01, 2}, {0x01, 3}}
	proven := func(f common.Hash) bool {
		ok, err := bind.Call(e.inbox, nil, e.ib.PackProvenKeyRuns(f), e.ib.UnpackProvenKeyRuns)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	hand := protocol.RotationClaim{SrcDomain: eth, Committee: period(862), NextEpoch: 863, NextCommittee: period(863), Runs: runs}
	_, err := e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{hand}})
	wantRevert(t, err, "InboxUnknownKeyRun")
	e.must(e.submit(protocol.Statement{KeyRuns: runs[2:]}))
	e.must(e.submit(protocol.Statement{KeyRuns: runs[:2]}))
	e.must(e.submit(protocol.Statement{KeyRuns: runs[:1]})) // again: nothing changes
	for _, f := range runs {
		if !proven(f) {
			t.Fatalf("key run %x not recorded", f)
		}
	}
	if proven(common.Hash{0x01, 4}) {
		t.Fatal("a key run never proven reads as recorded")
	}
	missing := hand
	missing.Runs = append(slices.Clone(runs), common.Hash{0x01, 4})
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{missing}})
	wantRevert(t, err, "InboxUnknownKeyRun")
	wrong := hand
	wrong.NextEpoch = 864
	_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{wrong}})
	wantRevert(t, err, "InboxWrongEpoch")
	if st := e.domainOf(eth); st.Epoch != 862 {
		t.Fatalf("refused hand-overs moved the domain to epoch %d", st.Epoch)
	}
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{hand}}))
	if st := e.domainOf(eth); st.Epoch != 863 || st.Committee != period(863) {
		t.Fatalf("after the hand-over: %+v", st)
	}
	// A run and the hand-over naming it in one batch: the run is recorded first.
	next := protocol.RotationClaim{SrcDomain: eth, Committee: period(863), NextEpoch: 864, NextCommittee: period(864), Runs: []common.Hash{{0x01, 5}}}
	e.must(e.submit(protocol.Statement{KeyRuns: []common.Hash{{0x01, 5}}, Rotations: []protocol.RotationClaim{next}}))
	if st := e.domainOf(eth); st.Epoch != 864 {
		t.Fatalf("after a hand-over with its run: epoch %d", st.Epoch)
	}
}
