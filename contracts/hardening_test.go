package contracts_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// shiftedCommitment is c + r: the same field element in a circuit that read bytes modulo r,
// another commitment to a contract that compares bytes.
func shiftedCommitment(c common.Hash) common.Hash {
	return common.BigToHash(new(big.Int).Add(c.Big(), protocol.CommitmentModulus))
}

// The security review's finding 1: a hand-over to NextCommittee = C + r would seat bytes that
// no canonical claim repeats, stalling the domain each period. The Inbox seats only canonical
// commitments: by rotation, by addDomain and by the owner's re-seat; the canonical hand-over
// still applies after the shifted one was refused.
func TestHardeningInboxRefusesShiftedCommitments(t *testing.T) {
	e := newEnv(t)
	next := testCommitment("the next committee")
	if !protocol.CanonicalCommitment(next) || protocol.CanonicalCommitment(shiftedCommitment(next)) {
		t.Fatal("test commitments: the canonical one is not below r, or the shifted one is")
	}
	if got := new(big.Int).Sub(shiftedCommitment(next).Big(), next.Big()); got.Cmp(protocol.CommitmentModulus) != 0 {
		t.Fatal("the shift is not r")
	}
	rot := protocol.RotationClaim{SrcDomain: srcDomain, Committee: devCommittee, NextEpoch: 1, NextCommittee: shiftedCommitment(next)}
	_, err := e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rot}})
	wantRevert(t, err, "InboxNonCanonicalCommittee")
	// At the modulus exactly, and at the largest 32 bytes.
	for _, v := range []*big.Int{protocol.CommitmentModulus, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))} {
		rot.NextCommittee = common.BigToHash(v)
		_, err = e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rot}})
		wantRevert(t, err, "InboxNonCanonicalCommittee")
	}
	rot.NextCommittee = next
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{rot}}))
	if st := e.domainState(); st.Committee != next || st.Epoch != 1 {
		t.Fatalf("after the canonical hand-over: committee %x epoch %d", st.Committee, st.Epoch)
	}
	// r − 1 is canonical.
	top := common.BigToHash(new(big.Int).Sub(protocol.CommitmentModulus, big.NewInt(1)))
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{{SrcDomain: srcDomain, Committee: next, NextEpoch: 2, NextCommittee: top}}}))

	_, err = e.tx(e.owner, e.inbox, e.ib.PackAddDomain(srcDomain+10, e.outbox.Address(), protocol.AdapterSyncCommittee, shiftedCommitment(next), 5, 0, 0))
	wantRevert(t, err, "InboxNonCanonicalCommittee")
	_, err = e.tx(e.owner, e.inbox, e.ib.PackProposeCommittee(srcDomain, shiftedCommitment(next), 3))
	wantRevert(t, err, "InboxNonCanonicalCommittee")
}

// The security review's finding 5: a re-seat took `epoch + 1`, but a sync commitment names
// its period, so after a re-seat of a sync domain several periods on no hand-over could
// follow. The owner's re-seat now takes the period with the committee, forward only, and a
// rotation from that period applies after it.
func TestHardeningReseatTakesTheSyncPeriod(t *testing.T) {
	e := newEnv(t)
	const eth = 7
	period := syncPeriod
	e.must(e.tx(e.owner, e.inbox, e.ib.PackAddDomain(eth, e.outbox.Address(), protocol.AdapterSyncCommittee, period(862), 862, 0, 0)))
	state := func() bindings.InboxDomain { return e.domainOf(eth) }
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{{SrcDomain: eth, Committee: period(862), NextEpoch: 863, NextCommittee: period(863)}}}))

	// The domain stalled at 863 while the chain moved on: the owner re-seats period 870's
	// committee. Backwards or in place is refused.
	for _, p := range []uint64{862, 863} {
		_, err := e.tx(e.owner, e.inbox, e.ib.PackProposeCommittee(eth, period(p), p))
		wantRevert(t, err, "InboxWrongEpoch")
	}
	e.must(e.tx(e.owner, e.inbox, e.ib.PackProposeCommittee(eth, period(870), 870)))
	e.adjustTime(dayS * time.Second)
	e.must(e.tx(e.relayer, e.inbox, e.ib.PackActivateCommittee(eth)))
	if st := state(); st.Epoch != 870 || st.Committee != period(870) {
		t.Fatalf("after the re-seat: epoch %d committee %x, want period 870's", st.Epoch, st.Committee)
	}
	// The hand-over from 870 to 871 applies; one to 864 (what epoch + 1 would have expected
	// before) does not.
	_, err := e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{{SrcDomain: eth, Committee: period(870), NextEpoch: 864, NextCommittee: period(864)}}})
	wantRevert(t, err, "InboxWrongEpoch")
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{{SrcDomain: eth, Committee: period(870), NextEpoch: 871, NextCommittee: period(871)}}}))
	if st := state(); st.Epoch != 871 || st.Committee != period(871) {
		t.Fatalf("after the hand-over: epoch %d", st.Epoch)
	}

	// A re-seat overtaken by rotations during its delay is not activated backwards.
	e.must(e.tx(e.owner, e.inbox, e.ib.PackProposeCommittee(eth, period(872), 872)))
	e.must(e.submit(protocol.Statement{Rotations: []protocol.RotationClaim{{SrcDomain: eth, Committee: period(871), NextEpoch: 872, NextCommittee: period(872)}}}))
	e.adjustTime(dayS * time.Second)
	_, err = e.tx(e.relayer, e.inbox, e.ib.PackActivateCommittee(eth))
	wantRevert(t, err, "InboxWrongEpoch")
}

// The security review's finding 2: twelve sends at the gasLimit cap (5,000,000) to a recipient
// that burns its gas, then an honest message. Before, each closed a segment (no two shared
// 8,000,000 of summed gas), the relay proved one segment end a batch, so the honest message
// waited twelve batches, and deliver spent 5,161,451 of the relayer's gas on each. Now a gas
// limit above protocol.InlineGasLimit is deferred: it does not count towards the segment,
// deliver records it without running it, and whoever wants it run pays for it with retry.
// All thirteen share one segment: one claim, one delivery, the honest message executed.
func TestHardeningHighGasMessagesShareASegment(t *testing.T) {
	e := newEnv(t)
	gas := make([]uint64, 12)
	for i := range gas {
		gas[i] = protocol.MaxGasLimit
	}
	attack := e.worstSegment(make([]int, 12), gas)
	rec, rc, rb := e.recorder()
	honest := e.send(rec, 100_000, []byte("honest"))
	for c := uint64(1); c <= 13; c++ {
		cp, err := bind.Call(e.outbox, nil, e.ob.PackCheckpoint(dstDomain, c), e.ob.UnpackCheckpoint)
		if err != nil {
			t.Fatal(err)
		}
		if cp != (common.Hash{}) {
			t.Fatalf("the Outbox closed a segment at %d", c)
		}
	}
	e.prove(13) // one claim: the head
	msgs := append(attack, honest)
	r := e.must(e.deliver(msgs))
	deferred := 0
	for _, l := range r.Logs {
		if _, err := e.ib.UnpackMessageDeferredEvent(l); err == nil {
			deferred++
		}
	}
	if deferred != 12 {
		t.Fatalf("%d messages deferred, want the 12 above the inline limit", deferred)
	}
	if got := received(t, rc, rb); len(got) != 1 {
		t.Fatalf("the honest recipient saw %v", got)
	}
	// The relayer's gas for the whole delivery, against 12 × 5,161,451 before.
	t.Logf("one delivery of 12 deferred messages and the honest one: %d gas (%d a deferred message at most)", r.GasUsed, r.GasUsed/12)
	if r.GasUsed > 12*protocol.InlineGasLimit {
		t.Fatalf("the delivery spent %d gas of the relayer's", r.GasUsed)
	}
	// Each deferred message is run by whoever pays for it; the burner fails, so it stays
	// retriable.
	_, err := e.tx(e.user, e.inbox, e.ib.PackRetry(chain.ToBindingMessages(attack[:1])[0]))
	wantRevert(t, err, "InboxRetryFailed")
	if ok, err := bind.Call(e.inbox, nil, e.ib.PackFailed(attack[0].Hash()), e.ib.UnpackFailed); err != nil || !ok {
		t.Fatal("a deferred message is not retriable")
	}
}
