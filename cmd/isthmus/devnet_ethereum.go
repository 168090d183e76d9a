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
	beacon               string
	sent, delivered      uint64
	batches, rotations   int
	periods              uint64 // the Inbox's period at the end
	committee            common.Hash
	submitGas, sendGas   uint64
	proofSize            int
	elapsed              time.Duration
	finalizedSlot, block uint64
}

// runEthereum runs the demo with Ethereum as the source: a simulated beacon chain over the
// source chain (a sync committee of --sync-devnet-committee, 16 slots a period) served on
// loopback through the standard light-client API; an Inbox that trusts the source under the
// sync committee of period 0; the relay, whose light client follows that beacon node, proves
// each batch under the update that finalized its block. Half the messages are sent first;
// the rest after the beacon chain has moved --periods on, so that the relay hands the Inbox
// over from committee to committee by rotation proofs before it delivers them.
func (o *devnetOptions) runEthereum(ctx context.Context, out io.Writer, log *slog.Logger) error {
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
			plan, err := p.Fit(ethereumBatch(c))
			if err != nil {
				return nil, err
			}
			bp, calldata, err := proveForInbox(p.ProvePlanned(ctx, plan))
			if err != nil {
				return nil, err
			}
			rep.proofSize = len(calldata)
			return &relay.Batch{Statement: bp.Statement, Proof: calldata}, nil
		}
	}
	start := time.Now()
	d, err := devnet.Start(ctx, cfg)
	if err != nil {
		return fail(fmt.Errorf("start devnet: %w", err))
	}
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
	rep.beacon = "http://" + ln.Addr().String()
	// The first half of the messages, early in period 0: its updates finalize up to slot 4.
	first := uint64(o.messages+1) / 2
	send := func(n uint64) error {
		for i := range n {
			_, rc, err := d.Src.Send(ctx, devnet.DevKey("user"), cfg.DestinationDomain, recipient, 200_000, []byte(fmt.Sprintf("message %d", rep.sent+i)))
			if err != nil {
				return err
			}
			rep.sendGas += rc.GasUsed
		}
		rep.sent += n
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
	if err := slots(12); err != nil {
		return fail(err)
	}
	client := beacon.NewClient(rep.beacon)
	root, err := b.Root(2)
	if err != nil {
		return fail(err)
	}
	f, err := beacon.Follow(ctx, client, bcfg, root)
	if err != nil {
		return fail(err)
	}
	log.Info("devnet up: Ethereum as the source", "source", d.Source.URL, "destination", d.Destination.URL, "beacon", rep.beacon,
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
			rep.batches++
			if c.Rotate {
				rep.rotations++
			}
			return prove(ctx, c)
		},
	}
	// until steps the relay, a beacon slot or two apart, until done holds.
	until := func(what string, done func(st chain.DomainState) bool) error {
		failures := 0
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
			if err := slots(2); err != nil {
				return err
			}
		}
	}
	if err := until("the first messages", func(st chain.DomainState) bool { return st.DeliveredCount == first }); err != nil {
		return fail(err)
	}
	// The beacon chain moves --periods on; the rest of the messages wait.
	if err := slots(int(o.periods * bcfg.SlotsPerEpoch * bcfg.EpochsPerPeriod)); err != nil {
		return fail(err)
	}
	if err := send(uint64(o.messages) - first); err != nil {
		return fail(err)
	}
	if err := until("the rest, under the committee of the light client's period", func(st chain.DomainState) bool {
		return st.DeliveredCount == rep.sent && st.Epoch >= o.periods && st.Epoch == bcfg.Period(f.Store.Finalized.Slot)
	}); err != nil {
		return fail(err)
	}
	st, err := d.Dst.State(ctx, cfg.SourceDomain)
	if err != nil {
		return fail(err)
	}
	rep.delivered, rep.periods, rep.committee = st.DeliveredCount, st.Epoch, st.Committee
	rep.finalizedSlot, rep.block = f.Store.Finalized.Slot, f.Store.Execution.BlockNumber
	rep.submitGas = uint64(r.Metrics.Gas)
	rep.elapsed = time.Since(start)
	com, err := bcfg.NewCommittee(&b.Committee(st.Epoch).JSON)
	if err != nil {
		return fail(err)
	}
	if want := synccommittee.CommitmentOf(com, st.Epoch); common.Hash(want.Bytes()) != st.Committee {
		return fail(fmt.Errorf("the Inbox trusts %s at period %d, not the beacon chain's committee of it", common.Hash(st.Committee), st.Epoch))
	}
	printEthereumReport(out, d, rep, p)
	return nil
}

func printEthereumReport(out io.Writer, d *devnet.Devnet, rep *ethereumReport, p *aggregator.Prover) {
	fmt.Fprintf(out, "\nIsthmus devnet, Ethereum as the source: domain %d → domain %d\n\n", d.Config.SourceDomain, d.Config.DestinationDomain)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%s\t"+format+"\n", append([]any{label}, args...)...)
	}
	row("source chain", "%s, Outbox %s", d.Source.URL, d.Outbox)
	row("beacon node", "%s (simulated: the light-client API over the source chain's blocks)", rep.beacon)
	row("destination chain", "%s, Inbox %s", d.Destination.URL, d.Inbox)
	row("messages", "%d sent (%d gas per send on average), %d delivered", rep.sent, rep.sendGas/max(rep.sent, 1), rep.delivered)
	row("batches", "%d, %d of them handing the Inbox over to the next period's sync committee", rep.batches, rep.rotations)
	row("Inbox", "at period %d, trusting sync committee %s", rep.periods, rep.committee)
	row("light client", "finalized slot %d, execution block %d", rep.finalizedSlot, rep.block)
	if p == nil {
		row("gas", "%d in all for batches and deliveries (TestOnlyVerifier: no proof)", rep.submitGas)
	} else {
		for _, c := range p.Circuits() {
			row("circuit "+c.Name, "%d constraints (%s)", c.Keys.Manifest.Constraints, c.Keys.Manifest.Curve)
		}
		row("batch proof", "%d bytes of calldata", rep.proofSize)
		row("gas", "%d in all for batches and deliveries, through the generated Groth16 verifier", rep.submitGas)
	}
	row("time", "%s", rep.elapsed.Round(time.Millisecond))
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
