package relay

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
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

// The security review's finding 2, its second part: a sender who closes segments (here three,
// of 64 messages each at the most gas deliver runs, to a recipient that burns it) delayed an
// honest message sent after them by a batch a segment, since the relay proved one segment
// end a batch. With ClaimsPerBatch lane claims a batch, the relay proves every segment end up
// to that many at once: the honest message is delivered after one batch.
func TestHardeningRelayProvesEverySegmentEndInOneBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, burner := startWithRecipient(t, ctx, testbindings.TestGasBurnerRecipientMetaData.Bin)
	honest, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	const per = protocol.SegmentMaxGas / protocol.InlineGasLimit
	for i := 0; i < 3*per; i++ {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, burner, protocol.InlineGasLimit, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, honest, 100_000, []byte("honest")); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	cps, err := d.Src.Checkpoints(ctx, d.Config.DestinationDomain, 0, ^uint64(0), nil)
	if err != nil || len(cps) != 3 {
		t.Fatalf("checkpoints %v (%v): want the three segments' ends", cps, err)
	}

	prover := &testOnlyProver{}
	r := &Relay{Config: Config{SrcDomain: d.Config.SourceDomain, DstDomain: d.Config.DestinationDomain, BatchMessages: 1,
		StateDir: t.TempDir(), Key: d.Relayer, ClaimsPerBatch: 4}, Src: d.Src, Dst: d.Dst, Prove: prover.prove}
	st := stepUntil(t, ctx, d, r, 8, 3*per+1)
	if st.DeliveredCount != 3*per+1 {
		t.Fatalf("delivered %d of %d", st.DeliveredCount, 3*per+1)
	}
	if prover.calls != 1 {
		t.Fatalf("%d batches proven, want one carrying every segment end", prover.calls)
	}
	rec := testbindings.NewTestRecordingRecipient()
	got, err := chain.CallUint(ctx, d.DestinationClient, rec, honest, rec.PackReceivedCount(), rec.UnpackReceivedCount)
	if err != nil || got != 1 {
		t.Fatalf("the honest recipient received %d (%v)", got, err)
	}

	// At one claim a batch, as before: a batch a segment end.
	d2, burner2 := startWithRecipient(t, ctx, testbindings.TestGasBurnerRecipientMetaData.Bin)
	for i := 0; i < 2*per+1; i++ {
		if _, _, err := d2.Src.Send(ctx, devnet.DevKey("user"), d2.Config.DestinationDomain, burner2, protocol.InlineGasLimit, nil); err != nil {
			t.Fatal(err)
		}
	}
	d2.Source.Finalize(d2.Source.Head())
	one := &testOnlyProver{}
	r2 := &Relay{Config: Config{SrcDomain: d2.Config.SourceDomain, DstDomain: d2.Config.DestinationDomain, BatchMessages: 1,
		StateDir: t.TempDir(), Key: d2.Relayer}, Src: d2.Src, Dst: d2.Dst, Prove: one.prove}
	st = stepUntil(t, ctx, d2, r2, 12, 2*per+1)
	if st.DeliveredCount != 2*per+1 || one.calls != 3 {
		t.Fatalf("one claim a batch: delivered %d in %d batches, want %d in 3", st.DeliveredCount, one.calls, 2*per+1)
	}
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
	d, err := devnet.Start(ctx, devnet.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
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
