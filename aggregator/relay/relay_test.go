package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/attest"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// testOnlyProver is a test double of the batch prover: it collects a quorum of attestations
// from the attester nodes, as the real one does, then returns a TestOnlyProof (which the
// devnet's TestOnlyVerifier accepts) instead of proving. It counts its calls.
type testOnlyProver struct {
	urls  []string
	calls int
}

func (p *testOnlyProver) prove(ctx context.Context, c Claim) (*Batch, error) {
	p.calls++
	members, _ := devnet.Committee()
	h := c.Lane.Header
	if p.urls != nil {
		if _, err := attest.Collect(ctx, p.urls, members, c.Lane.SrcDomain, h.Number.Uint64(), h.Hash(), nil); err != nil {
			return nil, err
		}
	}
	return testOnlyBatch(c)
}

// testOnlyBatch is the batch of the claim c asks for, under the committee of c.Epoch, with a
// TestOnlyProof.
func testOnlyBatch(c Claim) (*Batch, error) {
	members, _ := devnet.CommitteeOfEpoch(c.Epoch)
	claims, err := c.Lane.Claims(members.CommitmentHash())
	if err != nil {
		return nil, err
	}
	var s protocol.Statement
	for _, cl := range claims {
		if cl.Kind == protocol.KindLaneHead {
			s.Lanes = append(s.Lanes, cl)
			break
		}
	}
	if len(s.Lanes) == 0 {
		return nil, errors.New("no head claim in the lane proof")
	}
	if c.Rotate {
		rot, _, err := devnet.AttestRotation(c.Lane.SrcDomain, c.Epoch+1, 3)
		if err != nil {
			return nil, err
		}
		s.Rotations = []protocol.RotationClaim{rot}
	}
	return &Batch{Statement: s, Proof: devnet.TestOnlyProof(s.PublicInput())}, nil
}

// startWithRecipient starts a devnet, closed with the test, and deploys a recipient of the
// given bytecode on its destination chain.
func startWithRecipient(t *testing.T, ctx context.Context, bin string) (*devnet.Devnet, common.Address) {
	t.Helper()
	d := devnet.StartForTest(t)
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, recipient
}

// Attesters and a relay against the two devnet chains over loopback JSON-RPC. The relay is
// killed after proving (before submission) and in the middle of a delivery, and restarted;
// every message is delivered exactly once, in order.
func TestRelayResumesAfterKills(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	_, keys := devnet.Committee()
	prover := &testOnlyProver{}
	for i, k := range keys {
		c, err := chain.Dial(ctx, d.Source.URL)
		if err != nil {
			t.Fatal(err)
		}
		a := &attest.Attester{Domain: d.Config.SourceDomain, Index: i, Key: k, Chain: c.Eth, Poll: 10 * time.Millisecond}
		go a.Run(ctx)
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		prover.urls = append(prover.urls, srv.URL)
	}
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	send := func(n int) {
		for i := 0; i < n; i++ {
			if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, 100_000, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		d.Source.Finalize(d.Source.Head())
	}
	stateDir := t.TempDir()
	newRelay := func() *Relay {
		return &Relay{
			Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
				Poll: 20 * time.Millisecond, StateDir: stateDir, Key: d.Relayer},
			Src: d.Src, Dst: d.Dst, Prove: prover.prove, Metrics: &Metrics{},
		}
	}
	// Steps until the attesters have signed (the prover fails until then) or the step is killed.
	step := func(r *Relay, ctx context.Context) error {
		for {
			err := r.Step(ctx)
			if err == nil || ctx.Err() != nil || !errors.Is(err, attest.ErrNoQuorum) {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	send(5)

	// Killed after proving, before submission.
	r1 := newRelay()
	kill1, stop1 := context.WithCancel(ctx)
	r1.afterSave = stop1
	if err := step(r1, kill1); err == nil {
		t.Fatal("the killed relay's step succeeded")
	}
	if _, err := os.Stat(filepath.Join(stateDir, pendingFile)); err != nil {
		t.Fatalf("no pending batch saved: %v", err)
	}
	if st, err := d.Dst.State(ctx, d.Config.SourceDomain); err != nil || st.ProvenCount != 0 {
		t.Fatalf("proven %d before submission (%v)", st.ProvenCount, err)
	}
	calls := prover.calls

	// Restarted: submits the saved batch without proving again, then is killed mid-delivery.
	r2 := newRelay()
	if err := r2.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if prover.calls != calls {
		t.Fatal("the restarted relay proved again instead of submitting the saved batch")
	}
	st, err := d.Dst.State(ctx, d.Config.SourceDomain)
	if err != nil || st.ProvenCount != 5 || st.DeliveredCount != 0 {
		t.Fatalf("after the restart: proven %d delivered %d (%v)", st.ProvenCount, st.DeliveredCount, err)
	}
	kill2, stop2 := context.WithTimeout(ctx, 5*time.Millisecond) // the delivery takes a block or more
	defer stop2()
	_ = r2.Step(kill2)

	// Restarted again, and more messages: everything arrives once, in order.
	send(3)
	r3 := newRelay()
	run, stop3 := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- r3.Run(run) }()
	rec := testbindings.NewTestRecordingRecipient()
	for {
		n, err := chain.CallUint(ctx, d.DestinationClient, rec, recipient, rec.PackReceivedCount(), rec.UnpackReceivedCount)
		if err != nil {
			t.Fatal(err)
		}
		if n >= 8 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of 8 messages delivered", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a duplicate would land now
	stop3()
	<-done
	bound := d.DestinationClient.Contract(rec, recipient)
	n, err := chain.CallUint(ctx, d.DestinationClient, rec, recipient, rec.PackReceivedCount(), rec.UnpackReceivedCount)
	if err != nil || n != 8 {
		t.Fatalf("recipient received %d messages (%v), want 8", n, err)
	}
	for i := uint64(0); i < n; i++ {
		got, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, rec.PackReceived(new(big.Int).SetUint64(i)), rec.UnpackReceived)
		if err != nil {
			t.Fatal(err)
		}
		if got.Nonce != i {
			t.Fatalf("message %d has nonce %d: out of order", i, got.Nonce)
		}
	}
	if r3.Metrics.Delivered == 0 && r2.Metrics.Delivered == 0 {
		t.Fatal("no delivery counted")
	}
	// The metrics endpoint.
	srv := httptest.NewServer(r3.Metrics.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "isthmus_relay_batches_total 1") {
		t.Fatalf("metrics:\n%s", body)
	}
}

// An Inbox that refuses the batch (a bad proof) and a recipient that reverts: the relay
// names the refusal, drops the batch and proves again; the failing message is delivered as
// failed (stored for retry) and the lane goes on.
func TestRelayRefusedBatchAndRevertingRecipient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, recipient := startWithRecipient(t, ctx, testbindings.TestRecordingRecipientMetaData.Bin)
	rec := testbindings.NewTestRecordingRecipient()
	if _, err := d.DestinationClient.Transact(ctx, d.Deployer, d.DestinationClient.Contract(rec, recipient), rec.PackSetFailing(true), 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, 100_000, []byte{1}); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	bad := true
	prove := func(ctx context.Context, c Claim) (*Batch, error) {
		b, err := testOnlyBatch(c)
		if err != nil {
			return nil, err
		}
		if bad {
			b.Proof[0] ^= 1 // what a broken prover would send
			bad = false
		}
		return b, nil
	}
	r := &Relay{Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
		StateDir: t.TempDir(), Key: d.Relayer}, Src: d.Src, Dst: d.Dst, Prove: prove}
	err := r.Step(ctx)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "InvalidProof") {
		t.Fatalf("a refused batch: %v, want ErrRefused naming InvalidProof", err)
	}
	for i := 0; i < 2; i++ { // prove again and submit; then deliver
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st, err := d.Dst.State(ctx, d.Config.SourceDomain)
	if err != nil || st.DeliveredCount != 1 {
		t.Fatalf("delivered %d (%v), want 1", st.DeliveredCount, err)
	}
	if r.Metrics.Failed != 1 {
		t.Fatalf("failed deliveries counted: %v, want 1", r.Metrics.Failed)
	}
}

// A burst of messages of the most gas deliver runs (protocol.InlineGasLimit) to a recipient
// that burns it: the Outbox closes a segment every 64 (8,000,000 of summed gas), and no
// delivery of 130 fits a transaction. Someone else proves the head first; the relay proves
// nothing: it derives the segment ends inside the span from that head (Inbox.deriveCheckpoint,
// top down) and delivers segment by segment: every message once, in order, failed ones
// retriable. Then a lane with no one else: the relay proves the head, derives the segment end
// below it and delivers both segments.
func TestLivenessRelayDeliversSegmentBySegment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, burner := startWithRecipient(t, ctx, testbindings.TestGasBurnerRecipientMetaData.Bin)
	const per = protocol.SegmentMaxGas / protocol.InlineGasLimit
	sent := uint64(0)
	send := func(n int) {
		for i := 0; i < n; i++ {
			if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, burner, protocol.InlineGasLimit, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		sent += uint64(n)
		d.Source.Finalize(d.Source.Head())
	}
	send(2*per + 2)
	submitHead(t, ctx, d) // another prover's head, first
	msgs, err := d.Src.Messages(ctx, d.Config.DestinationDomain, 0, sent, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Dst.Deliver(ctx, d.Relayer, d.Config.SourceDomain, msgs, 1<<24); err == nil {
		t.Fatal("the whole span delivered in one transaction: the test proves nothing")
	}
	d.Source.Finalize(d.Source.Head()) // the relay's block is a later one

	prover := &testOnlyProver{}
	r := &Relay{Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
		StateDir: t.TempDir(), Key: d.Relayer}, Src: d.Src, Dst: d.Dst, Prove: prover.prove}
	steps := func(want uint64) {
		t.Helper()
		for i := 0; i < 20; i++ {
			st, err := d.Dst.State(ctx, d.Config.SourceDomain)
			if err != nil {
				t.Fatal(err)
			}
			if st.DeliveredCount == want {
				return
			}
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("not delivered up to %d in 20 steps", want)
	}
	steps(sent)
	if prover.calls != 0 || r.Metrics.Derived != 2 {
		t.Fatalf("the relay proved %d batches and derived %v segment ends, want none and the 2 inside the span", prover.calls, r.Metrics.Derived)
	}
	send(per) // a segment ends at 3·per: the head proven, the segment end derived
	steps(sent)
	if prover.calls != 1 || r.Metrics.Derived != 3 {
		t.Fatalf("the relay proved %d batches and derived %v segment ends, want 1 and 3", prover.calls, r.Metrics.Derived)
	}
	if r.Metrics.Failed != float64(sent) || r.Metrics.Delivered != float64(sent) {
		t.Fatalf("delivered %v, failed %v: want all %d delivered, failed and retriable", r.Metrics.Delivered, r.Metrics.Failed, sent)
	}
	all, err := d.Src.Messages(ctx, d.Config.DestinationDomain, 0, sent, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if ok, err := d.Dst.Failed(ctx, &m); err != nil || !ok {
			t.Fatalf("message %d is not retriable (%v)", m.Nonce, err)
		}
	}
}

// The committee signs a hand-over to epoch 1: the relay finds it (a quorum over HTTP),
// carries it in its next batch with the lane claim due, and the Inbox rotates; the next
// batch's lane claim is under the new committee. A hand-over signed while no message waits
// travels with the lane's head, which the Inbox skips.
func TestRelayCarriesTheHandOver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, recipient := startWithRecipient(t, ctx, testbindings.TestRecordingRecipientMetaData.Bin)
	src := d.Config.SourceDomain
	var urls []string
	serve := func(epoch uint64) {
		current, keys := devnet.CommitteeOfEpoch(epoch - 1)
		next, _ := devnet.CommitteeOfEpoch(epoch)
		urls = urls[:0]
		for i, k := range keys {
			a := &attest.Attester{Domain: src, Index: i, Key: k}
			err := a.SignRotation(current, attest.Rotation{Claim: protocol.RotationClaim{SrcDomain: src, Committee: current.CommitmentHash(),
				NextEpoch: epoch, NextCommittee: next.CommitmentHash()}, Next: next})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(a.Handler())
			t.Cleanup(srv.Close)
			urls = append(urls, srv.URL)
		}
	}
	rotation := func(ctx context.Context, next uint64) (bool, error) {
		current, _ := devnet.CommitteeOfEpoch(next - 1)
		_, _, err := attest.CollectRotation(ctx, urls, current, src, next, nil)
		if errors.Is(err, attest.ErrNoQuorum) {
			return false, nil
		}
		return err == nil, err
	}
	prover := &testOnlyProver{}
	r := &Relay{Config: Config{SrcDomain: src, DstDomain: d.Config.DestinationDomain, BatchMessages: 1, StateDir: t.TempDir(), Key: d.Relayer},
		Src: d.Src, Dst: d.Dst, Prove: prover.prove, Rotation: rotation}
	send := func(n int) {
		for i := 0; i < n; i++ {
			if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, 100_000, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		d.Source.Finalize(d.Source.Head())
	}
	until := func(what string, done func(st chain.DomainState) bool) chain.DomainState {
		t.Helper()
		return relayUntil(t, ctx, r, src, what, 10, done, nil)
	}
	send(2)
	serve(1)
	st := until("rotated and delivered", func(st chain.DomainState) bool { return st.DeliveredCount == 2 && st.Epoch == 1 })
	next, _ := devnet.CommitteeOfEpoch(1)
	if st.Committee != next.CommitmentHash() || prover.calls != 1 {
		t.Fatalf("committee %s after %d batches; want epoch 1's %s in one batch", st.Committee, prover.calls, next.CommitmentHash())
	}
	send(1)
	until("delivered under the new committee", func(st chain.DomainState) bool { return st.DeliveredCount == 3 })
	// No message waits; the hand-over to epoch 2 travels with the head.
	serve(2)
	st = until("rotated again", func(st chain.DomainState) bool { return st.Epoch == 2 })
	if st.DeliveredCount != 3 || prover.calls != 3 {
		t.Fatalf("delivered %d after %d batches, want 3 after 3", st.DeliveredCount, prover.calls)
	}
	// A paused domain (as after a proven contradiction): the relay waits, proving nothing,
	// until a hand-over is signed, which it carries; the domain stays paused for the owner.
	inbox := bindings.NewInbox()
	if _, err := d.DestinationClient.Transact(ctx, d.Deployer, d.DestinationClient.Contract(inbox, d.Inbox), inbox.PackPauseDomain(src), 0, inbox.UnpackError); err != nil {
		t.Fatal(err)
	}
	send(1)
	for i := 0; i < 3; i++ {
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if prover.calls != 3 {
		t.Fatalf("the relay proved %d batches for a paused domain, want none", prover.calls-3)
	}
	serve(3)
	st = until("rotated while paused", func(st chain.DomainState) bool { return st.Epoch == 3 })
	if !st.Paused || st.DeliveredCount != 3 {
		t.Fatalf("paused %v, delivered %d: want still paused, 3", st.Paused, st.DeliveredCount)
	}
}

// receiptProver is a test double of a prover whose circuits have receipt slots: a claim by
// receipt is checked against the pipeline's receipt leaf bounds natively (as the real planner
// does) and, if it fits, returned as a lane by receipt with a TestOnlyProof; a lane proof as
// testOnlyBatch does. It records the kinds of the claims it proved.
type receiptProver struct {
	outbox common.Address
	kinds  []protocol.ClaimKind
}

func (p *receiptProver) prove(ctx context.Context, c Claim) (*Batch, error) {
	if c.Receipt == nil {
		b, err := testOnlyBatch(c)
		if err == nil {
			p.kinds = append(p.kinds, b.Statement.Lanes[0].Kind)
		}
		return b, err
	}
	enc, _ := gethrlp.EncodeToBytes(uint64(c.Receipt.TxIndex))
	nodes := make([][]byte, len(c.Receipt.Nodes))
	for i, n := range c.Receipt.Nodes {
		nodes[i] = n
	}
	_, steps, err := mpt.VerifyNative(c.Receipt.Header.ReceiptHash, enc, nodes)
	if err != nil {
		return nil, err
	}
	if _, _, err := leaf.AssignReceiptLeaf(int(c.Receipt.TxIndex), steps, int(c.Receipt.LogIndex), leaf.ReceiptNodeLen, leaf.ReceiptMaxData); err != nil {
		if errors.Is(err, leaf.ErrReceiptTooLarge) {
			return nil, fmt.Errorf("%w: %w", ErrReceiptTooLarge, err)
		}
		return nil, err
	}
	members, _ := devnet.CommitteeOfEpoch(c.Epoch)
	claim, err := c.Receipt.LaneByReceipt(p.outbox, members.CommitmentHash())
	if err != nil {
		return nil, err
	}
	p.kinds = append(p.kinds, claim.Kind)
	s := protocol.Statement{Lanes: []protocol.LaneClaim{claim}}
	return &Batch{Statement: s, Proof: devnet.TestOnlyProof(s.PublicInput())}, nil
}

// A relay whose prover takes claims by receipt proves each count by its last message's
// MessageSent log, and the Inbox delivers up to it; a count whose receipt is over the receipt
// leaf's bounds (a 400-byte payload) is proven by storage, said in the log and counted.
func TestEventRelayProvesLanesByReceipt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, recipient := startWithRecipient(t, ctx, testbindings.TestRecordingRecipientMetaData.Bin)
	prover := &receiptProver{outbox: d.Outbox}
	var logs strings.Builder
	r := &Relay{
		Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
			StateDir: t.TempDir(), Key: d.Relayer, ByReceipt: true},
		Src: d.Src, Dst: d.Dst, Prove: prover.prove, Metrics: &Metrics{},
		Log: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	send := func(payload []byte) {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, 100_000, payload); err != nil {
			t.Fatal(err)
		}
		d.Source.Finalize(d.Source.Head())
	}
	// Steps until count messages are delivered.
	until := func(count uint64) {
		for {
			st, err := d.Dst.State(ctx, d.Config.SourceDomain)
			if err != nil {
				t.Fatal(err)
			}
			if st.DeliveredCount >= count {
				return
			}
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 3 {
		send([]byte{byte(i)})
	}
	until(3)
	if len(prover.kinds) != 1 || prover.kinds[0] != protocol.KindLaneReceipt {
		t.Fatalf("claims proven: %v, want one lane by receipt", prover.kinds)
	}
	send(make([]byte, 400))
	until(4)
	if len(prover.kinds) != 2 || prover.kinds[1] != protocol.KindLaneHead || r.Metrics.StorageFallbacks != 1 {
		t.Fatalf("claims proven: %v, fallbacks %v: want the 400-byte send's count proven by storage", prover.kinds, r.Metrics.StorageFallbacks)
	}
	if !strings.Contains(logs.String(), "proving the lane by storage") {
		t.Fatalf("the fallback is not in the relay's log:\n%s", logs.String())
	}
	send([]byte{9})
	until(5)
	if prover.kinds[len(prover.kinds)-1] != protocol.KindLaneReceipt {
		t.Fatalf("claims proven: %v, want a lane by receipt again", prover.kinds)
	}
}

// relayUntil steps r until done holds of the Inbox's state of src, at most steps times,
// calling between (if set) after each step; it fails the test with what otherwise.
func relayUntil(t *testing.T, ctx context.Context, r *Relay, src uint32, what string, steps int, done func(st chain.DomainState) bool, between func()) chain.DomainState {
	t.Helper()
	for range steps {
		st, err := r.Dst.State(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if done(st) {
			return st
		}
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if between != nil {
			between()
		}
	}
	t.Fatalf("not %s in %d steps", what, steps)
	return chain.DomainState{}
}
