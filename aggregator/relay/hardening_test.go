package relay

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// submitHead submits, as another prover would, the lane's head at the source's finalized
// block in a batch with a TestOnlyProof.
func submitHead(t *testing.T, ctx context.Context, d *devnet.Devnet) {
	t.Helper()
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lane, err := d.Src.ProveLane(ctx, h, d.Config.DestinationDomain, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := testOnlyBatch(Claim{Lane: lane})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Dst.SubmitBatch(ctx, d.Relayer, b.Proof, &b.Statement); err != nil {
		t.Fatal(err)
	}
}

// stepUntil steps r until d's Inbox has delivered want, at most n steps, and returns the
// Inbox's state.
func stepUntil(t *testing.T, ctx context.Context, d *devnet.Devnet, r *Relay, n int, want uint64) chain.DomainState {
	t.Helper()
	var st chain.DomainState
	for i := 0; i <= n; i++ {
		var err error
		if st, err = d.Dst.State(ctx, d.Config.SourceDomain); err != nil {
			t.Fatal(err)
		}
		if st.DeliveredCount == want || i == n {
			break
		}
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// The security review's finding 2, its second part, as the review ran it: a sender closes 12
// segments (64 messages each at the most gas deliver runs, to a recipient that burns it), then
// an honest message follows. Before, the relay proved one segment end a batch (12 batches
// before the honest message moved); then as many as one aggregation held (3 at the devnet's
// depth). Now a batch proves the lane's head alone and the relay derives every segment end
// below it on the destination (Inbox.deriveCheckpoint): the honest message is delivered after
// one batch, however many segments the sender closed. The relayer's spend on the sender's
// segments is reported: one deriveCheckpoint (a segment's hashes) a segment.
func TestHardeningRelayProvesOneBatchWhateverTheSegments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d, burner := startWithRecipient(t, ctx, testbindings.TestGasBurnerRecipientMetaData.Bin)
	honest, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	const per = protocol.SegmentMaxGas / protocol.InlineGasLimit
	const segments = 12
	if err := d.Src.SendMany(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, burner, protocol.InlineGasLimit, nil, segments*per); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, honest, 100_000, []byte("honest")); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	cps, err := d.Src.Checkpoints(ctx, d.Config.DestinationDomain, 0, ^uint64(0), nil)
	if err != nil || len(cps) != segments {
		t.Fatalf("checkpoints %v (%v): want the %d segments' ends", cps, err, segments)
	}

	prover := &testOnlyProver{}
	r := &Relay{Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
		StateDir: t.TempDir(), Key: d.Relayer}, Src: d.Src, Dst: d.Dst, Prove: prover.prove, Metrics: &Metrics{}}
	var deriveGas uint64
	st := stepUntil(t, ctx, d, r, 4*segments, segments*per+1)
	if st.DeliveredCount != segments*per+1 {
		t.Fatalf("delivered %d of %d", st.DeliveredCount, segments*per+1)
	}
	if prover.calls != 1 {
		t.Fatalf("%d batches proven, want one: the head", prover.calls)
	}
	if r.Metrics.Derived != segments {
		t.Fatalf("%v segment ends derived, want %d", r.Metrics.Derived, segments)
	}
	rec := testbindings.NewTestRecordingRecipient()
	got, err := chain.CallUint(ctx, d.DestinationClient, rec, honest, rec.PackReceivedCount(), rec.UnpackReceivedCount)
	if err != nil || got != 1 {
		t.Fatalf("the honest recipient received %d (%v)", got, err)
	}
	logs, err := d.DestinationClient.Eth.FilterLogs(ctx, ethereum.FilterQuery{Addresses: []common.Address{d.Dst.Inbox}})
	if err != nil {
		t.Fatal(err)
	}
	inbox, derived := bindings.NewInbox(), map[common.Hash]bool{}
	for _, l := range logs {
		if _, err := inbox.UnpackCheckpointDerivedEvent(&l); err == nil {
			derived[l.TxHash] = true
		}
	}
	for tx := range derived {
		rc, err := d.DestinationClient.Eth.TransactionReceipt(ctx, tx)
		if err != nil {
			t.Fatal(err)
		}
		deriveGas += rc.GasUsed
	}
	if len(derived) != segments {
		t.Fatalf("%d deriveCheckpoint transactions, want %d", len(derived), segments)
	}
	t.Logf("%d segments of %d messages: 1 batch, %d deriveCheckpoint transactions of %d gas each on average (%d gas a message)",
		segments, per, len(derived), deriveGas/segments, deriveGas/(segments*per))
}

// A message of a gasLimit above protocol.InlineGasLimit through the relay: delivered in the
// same segment as an inline one, recorded unrun (the delivery report names it deferred), and
// run later by anyone with retry and their own gas.
func TestHardeningDeferredMessageRunsByRetry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, recipient := startWithRecipient(t, ctx, testbindings.TestRecordingRecipientMetaData.Bin)
	heavy, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, protocol.MaxGasLimit, []byte("heavy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, 100_000, []byte("light")); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	submitHead(t, ctx, d)
	msgs, err := d.Src.Messages(ctx, d.Config.DestinationDomain, 0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Dst.Deliver(ctx, d.Relayer, d.Config.SourceDomain, msgs, 0)
	if err != nil {
		t.Fatal(err)
	}
	received := func() uint64 {
		rec := testbindings.NewTestRecordingRecipient()
		n, err := chain.CallUint(ctx, d.DestinationClient, rec, recipient, rec.PackReceivedCount(), rec.UnpackReceivedCount)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if len(rep.Deferred) != 1 || rep.Deferred[0] != 0 || len(rep.Failed) != 0 || received() != 1 {
		t.Fatalf("report %+v, %d received: want message 0 deferred and message 1 run", rep, received())
	}
	if _, err := d.Dst.Retry(ctx, devnet.DevKey("user"), heavy); err != nil {
		t.Fatalf("the deferred message run by retry: %v", err)
	}
	if received() != 2 {
		t.Fatal("the deferred message did not reach its recipient")
	}
}

// A node that is down is retried with backoff: while the destination chain is down the relay
// does not fail (and warn) every poll, and once a step succeeds it polls at its interval
// again. At a 5 ms poll, a second of failures is ~200 tries at a fixed interval; with
// backoff from 5 ms (doubling, up to a minute) it is about ten.
func TestHardeningRelayBacksOffWhileANodeIsDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	r := &Relay{Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
		Poll: 5 * time.Millisecond, StateDir: t.TempDir(), Key: d.Relayer}, Src: d.Src, Dst: d.Dst, Prove: (&testOnlyProver{}).prove, Metrics: &Metrics{}}
	if err := d.Destination.Close(); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	if err := r.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	if r.Metrics.Errors < 2 || r.Metrics.Errors > 20 {
		t.Fatalf("%v failed steps in a second of a node down at a 5 ms poll: want backoff (about 10)", r.Metrics.Errors)
	}
	t.Logf("%v failed steps in a second", r.Metrics.Errors)
}
