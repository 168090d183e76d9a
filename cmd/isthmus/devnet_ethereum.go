//go:build devnet

package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/aggregator/relay"
	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/beacon"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// ethereumReport is what the Ethereum-source demo did.
type ethereumReport struct {
	Beacon        string        `json:"beacon"`
	Sent          uint64        `json:"sent"`
	Delivered     uint64        `json:"delivered"`
	Batches       int           `json:"batches"`
	Rotations     int           `json:"rotations"`
	Period        uint64        `json:"period"` // the Inbox's period at the end
	Committee     common.Hash   `json:"committee"`
	SubmitGas     uint64        `json:"submitGas"`
	SendGas       uint64        `json:"sendGas"`
	ProofSize     int           `json:"proofSize"`
	Elapsed       time.Duration `json:"elapsedNs"`
	FinalizedSlot uint64        `json:"finalizedSlot"`
	Block         uint64        `json:"block"`
}

// runEthereum runs the demo with Ethereum as the source: a simulated beacon chain over the
// source chain (a sync committee of --sync-devnet-committee, 16 slots a period) served on
// loopback through the standard light-client API; an Inbox that trusts the source under the
// sync committee of period 0; the relay, whose light client follows that beacon node, proves
// each batch under the update that finalized its block. Half the messages are sent first and
// delivered under period 0's committee; the rest once the beacon chain is in period
// --periods, and the relay hands the Inbox over from committee to committee by rotation
// proofs, exactly --periods times, before it delivers them (the chain moves no further).
func (o *devnetOptions) runEthereum(ctx, live context.Context, out io.Writer, log *slog.Logger) error {
	fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
	size := o.store.syncSize
	bcfg := devnet.BeaconConfig(size)
	b := devnet.NewBeacon(bcfg, "isthmus devnet beacon")
	com0, err := bcfg.NewCommittee(&b.Committee(0).JSON)
	if err != nil {
		return fail(err)
	}
	c0 := synccommittee.CommitmentOf(com0, 0)
	cfg := devnet.DefaultConfig()
	cfg.Committee, cfg.Adapter = common.Hash(c0.Bytes()), protocol.AdapterSyncCommittee

	var prove relay.Prover
	var p *aggregator.Prover
	var dst *chain.Destination // the devnet's Inbox, once it runs: a hand-over's recorded key runs
	rep := &ethereumReport{}
	if o.testOnly {
		prove = testOnlyEthereumBatch
	} else {
		var stop func()
		if p, stop, err = o.store.dispatcher(ctx, &o.queue, "", nil); err != nil {
			return fail(err)
		}
		defer stop()
		if cfg.DeployVerifier, err = generatedVerifier(p, log); err != nil {
			return fail(err)
		}
		prove = func(ctx context.Context, c relay.Claim) (*relay.Batch, error) {
			plan, err := p.Fit(ethereumBatch(ctx, c, dst))
			if err != nil {
				return nil, err
			}
			bp, calldata, err := proveForInbox(p.ProvePlanned(ctx, plan))
			if err != nil {
				return nil, err
			}
			rep.ProofSize = len(calldata)
			return &relay.Batch{Statement: bp.Statement, Proof: calldata}, nil
		}
	}
	start := time.Now()
	d, err := devnet.Start(ctx, cfg)
	if err != nil {
		return fail(fmt.Errorf("start devnet: %w", err))
	}
	dst = d.Dst
	defer func() {
		if err := d.Close(); err != nil {
			log.Warn("devnet shutdown", "err", err)
		}
	}()
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		return fail(err)
	}
	// The beacon node, on loopback.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // Serve returns when Close is called
	defer srv.Close()
	rep.Beacon = "http://" + ln.Addr().String()
	// lastHead is the newest head slot at which the beacon chain's finalized checkpoint (two
	// epochs behind) is still in period p: the relay hands the Inbox over no further.
	lastHead := func(p uint64) int {
		return int(((p+1)*bcfg.EpochsPerPeriod+2)*bcfg.SlotsPerEpoch) - 1
	}
	// lastFinal is the newest slot an update signed in period p finalizes (its attested
	// header at most two slots before the period's end, finality two epochs behind it): a
	// message at a later slot is delivered under a later period's committee. The first
	// messages (one a slot) go under period 0's, the rest under period --periods'.
	spp, spe := int(bcfg.SlotsPerEpoch*bcfg.EpochsPerPeriod), int(bcfg.SlotsPerEpoch)
	lastFinal := func(p uint64) int { return int(p)*spp + spe }
	first := uint64(min((o.messages+1)/2, lastFinal(0)-int(d.Source.Head())))
	if first < 1 {
		return fail(fmt.Errorf("the source chain is at slot %d, past the slots period 0 finalizes", d.Source.Head()))
	}
	send := func(n uint64) error {
		for i := range n {
			_, rc, err := d.Src.Send(ctx, devnet.DevKey("user"), cfg.DestinationDomain, recipient, 200_000, []byte(fmt.Sprintf("message %d", rep.Sent+i)))
			if err != nil {
				return err
			}
			rep.SendGas += rc.GasUsed
		}
		rep.Sent += n
		return nil
	}
	if err := send(first); err != nil {
		return fail(err)
	}
	// slots seals n empty blocks and brings the beacon chain up to them.
	slots := func(n int) error {
		for range n {
			d.Source.Commit()
		}
		return b.Sync(ctx, d.SourceClient.Eth)
	}
	// Up to the first slot whose update (signed a slot later) finalizes the first messages.
	if err := slots(max(0, lastFinal(0)+2*spe+1-int(d.Source.Head()))); err != nil {
		return fail(err)
	}
	client := beacon.NewClient(rep.Beacon)
	root, err := b.Root(2)
	if err != nil {
		return fail(err)
	}
	f, err := beacon.Follow(ctx, client, bcfg, root)
	if err != nil {
		return fail(err)
	}
	log.Info("devnet up: Ethereum as the source", "source", d.Source.URL, "destination", d.Destination.URL, "beacon", rep.Beacon,
		"sync committee", bcfg.CommitteeSize, "inbox trusts", common.Hash(c0.Bytes()), "elapsed", time.Since(start).Round(time.Millisecond))
	if o.testOnly {
		log.Warn("--test-only-verifier: batches are checked by the TestOnlyVerifier, which proves nothing")
	}
	dir, err := os.MkdirTemp("", "isthmus-devnet-relay-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	r := &relay.Relay{
		Config: relay.Config{SrcDomain: cfg.SourceDomain, DstDomain: cfg.DestinationDomain, BatchMessages: 1, StateDir: dir, Key: d.Relayer},
		Src:    d.Src, Dst: d.Dst, Ethereum: &relay.Ethereum{Follower: f, Clock: client.Clock(12)}, Log: log, Metrics: &relay.Metrics{},
		Prove: func(ctx context.Context, c relay.Claim) (*relay.Batch, error) {
			rep.Batches++
			if c.Rotate {
				rep.Rotations++
			}
			return prove(ctx, c)
		},
	}
	// until steps the relay, a beacon slot apart but never past last, until done holds.
	until := func(what string, last int, done func(st chain.DomainState) bool) error {
		failures, stalled := 0, 0
		for {
			st, err := d.Dst.State(ctx, cfg.SourceDomain)
			if err != nil {
				return err
			}
			if done(st) {
				return nil
			}
			if err := r.Step(ctx); err != nil {
				if failures++; failures == 20 || ctx.Err() != nil {
					return fmt.Errorf("%s: %w", what, err)
				}
				log.Warn("relay step failed; retrying", "err", err)
			}
			n := min(1, last-b.Head())
			if n <= 0 {
				if stalled++; stalled == 30 {
					return fmt.Errorf("%s: not done by slot %d, the last before the next period's finality (the light client finalized slot %d; %d of %d sent delivered)",
						what, last, f.Store.Finalized.Slot, st.DeliveredCount, rep.Sent)
				}
			}
			if err := slots(max(n, 0)); err != nil {
				return err
			}
		}
	}
	if err := until("the first messages", lastHead(0), func(st chain.DomainState) bool { return st.DeliveredCount == first }); err != nil {
		return fail(err)
	}
	// The rest go to the last slots period --periods finalizes; the relay hands the Inbox
	// over once a period, --periods times, and delivers them under that period's committee.
	rest := uint64(o.messages) - first
	at := lastFinal(o.periods) - int(rest)
	if at < int(d.Source.Head()) {
		return usageError(fmt.Errorf("--messages %d: at most %d with --source ethereum --periods %d (one a slot, in the slots a period finalizes)",
			o.messages, int(first)+lastFinal(o.periods)-int(d.Source.Head()), o.periods))
	}
	if err := slots(at - int(d.Source.Head())); err != nil {
		return fail(err)
	}
	if err := send(rest); err != nil {
		return fail(err)
	}
	if err := until("the rest, under the committee of period --periods", lastHead(o.periods), func(st chain.DomainState) bool {
		return st.DeliveredCount == rep.Sent && st.Epoch == o.periods
	}); err != nil {
		return fail(err)
	}
	st, err := d.Dst.State(ctx, cfg.SourceDomain)
	if err != nil {
		return fail(err)
	}
	rep.Delivered, rep.Period, rep.Committee = st.DeliveredCount, st.Epoch, st.Committee
	rep.FinalizedSlot, rep.Block = f.Store.Finalized.Slot, f.Store.Execution.BlockNumber
	rep.SubmitGas = uint64(r.Metrics.Gas)
	rep.Elapsed = time.Since(start)
	com, err := bcfg.NewCommittee(&b.Committee(st.Epoch).JSON)
	if err != nil {
		return fail(err)
	}
	if want := synccommittee.CommitmentOf(com, st.Epoch); common.Hash(want.Bytes()) != st.Committee {
		return fail(fmt.Errorf("the Inbox trusts %s at period %d, not the beacon chain's committee of it", common.Hash(st.Committee), st.Epoch))
	}
	var try []string
	if o.keep {
		relay := fmt.Sprintf("isthmus relay --src-rpc %s --dst-rpc %s --outbox %s --inbox %s --devnet-relayer --beacon %s --trusted-root %s --beacon-devnet-committee %d",
			d.Source.URL, d.Destination.URL, d.Outbox, d.Inbox, rep.Beacon, root, size)
		if o.testOnly {
			relay += " --test-only-proofs"
		}
		try = []string{"beacon node " + rep.Beacon + " (a slot a second)", relay}
	}
	if o.json {
		if err := writeJSONTo(out, newDevnetJSON(d, rep.Beacon, rep, p, try)); err != nil {
			return err
		}
	} else {
		printEthereumReport(out, d, rep, p)
	}
	if o.keep {
		return keepServing(live, out, d, try, !o.json, func() error {
			d.Source.Commit()
			return b.Sync(live, d.SourceClient.Eth)
		})
	}
	return nil
}

func printEthereumReport(out io.Writer, d *devnet.Devnet, rep *ethereumReport, p *aggregator.Prover) {
	fmt.Fprintf(out, "\nIsthmus devnet, Ethereum as the source: domain %d → domain %d\n\n", d.Config.SourceDomain, d.Config.DestinationDomain)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%s\t"+format+"\n", append([]any{label}, args...)...)
	}
	row("source chain", "%s, Outbox %s", d.Source.URL, d.Outbox)
	row("beacon node", "%s (simulated: the light-client API over the source chain's blocks)", rep.Beacon)
	row("destination chain", "%s, Inbox %s", d.Destination.URL, d.Inbox)
	row("messages", "%d sent (%d gas per send on average), %d delivered", rep.Sent, rep.SendGas/max(rep.Sent, 1), rep.Delivered)
	row("batches", "%d, %d of them handing the Inbox over to the next period's sync committee", rep.Batches, rep.Rotations)
	row("Inbox", "at period %d, trusting sync committee %s", rep.Period, rep.Committee)
	row("light client", "finalized slot %d, execution block %d", rep.FinalizedSlot, rep.Block)
	if p == nil {
		row("gas", "%d in all for batches and deliveries (TestOnlyVerifier: no proof)", rep.SubmitGas)
	} else {
		for _, c := range p.Circuits() {
			row("circuit "+c.Name, "%d constraints (%s)", c.Keys.Manifest.Constraints, c.Keys.Manifest.Curve)
		}
		row("batch proof", "%d bytes of calldata", rep.ProofSize)
		row("gas", "%d in all for batches and deliveries, through the generated Groth16 verifier", rep.SubmitGas)
	}
	row("time", "%s", rep.Elapsed.Round(time.Millisecond))
	w.Flush()
}

// generatedVerifier exports and compiles the prover's wrap verifier and returns its deployer.
func generatedVerifier(p *aggregator.Prover, log *slog.Logger) (func(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey) (common.Address, error), error) {
	compiled, err := p.Verifier()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey) (common.Address, error) {
		addr, err := verifier.Deploy(ctx, c, key, compiled)
		if err != nil {
			return common.Address{}, err
		}
		log.Info("generated Groth16 verifier deployed", "verifier", addr)
		return addr, nil
	}, nil
}

var errSource = errors.New("--source: committee or ethereum")
