//go:build devnet

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/prover"
)

type devnetOptions struct {
	messages int
	seed     uint64
	timeout  time.Duration
	testOnly bool
	source   string
	periods  uint64
	keep     bool
	json     bool
	store    storeFlag
	queue    queueFlags
}

func newDevnetCmd(out io.Writer) *cobra.Command {
	o := &devnetOptions{}
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run the end-to-end demo on two local chains",
		Long: `Starts a source and a destination chain in this process (go-ethereum, JSON-RPC on
loopback), deploys the Outbox, the generated Groth16 verifier and the Inbox, sends
messages, has the devnet committee sign the finalized header, proves the batch
(header, state-step, lane and fold leaves on BLS12-377, their aggregation on BW6-761,
the wrap on BN254), submits it to the Inbox and delivers every message.

Keys come from the key store (--key-dir, ISTHMUS_KEY_DIR, or the user's cache). The
first run on a machine makes them: about 105 minutes on 2 cores, logged per circuit.
--test-only-verifier skips the proofs: the Inbox then checks batches with the
TestOnlyVerifier, which proves nothing (contracts and chain plumbing only).

--keep keeps the chains (and the beacon node) serving after the demo, until interrupted,
finalizing the source's new blocks every second, and prints their URLs and the commands
(attest, relay) to try on them.

--source ethereum runs it with Ethereum as the source: a simulated beacon chain over the
source chain (a sync committee of --sync-devnet-committee, default 8; 16 slots a period)
serves the standard light-client API on loopback, the Inbox trusts the sync committee of
period 0, and the relay's light client follows that node: each batch is proven under the
update that finalized its block, and the relay hands the Inbox over from period to period
(exactly --periods times, at least 1) by rotation proofs before delivering the later messages. Its kinds'
keys take longer to make than the committee's (the signature kind alone is 2^21
constraints at 8 members).`,
		Example: `  isthmus devnet --test-only-verifier
  isthmus devnet --messages 6
  isthmus devnet --source ethereum --periods 1
  isthmus devnet --test-only-verifier --keep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.messages < 1 {
				return usageError(errors.New("--messages must be at least 1"))
			}
			switch o.source {
			case "committee":
			case "ethereum":
				if o.store.syncSize == 0 {
					o.store.syncSize = 8
				}
				if o.store.syncDomain == 0 {
					o.store.syncDomain = devnet.DefaultConfig().SourceDomain
				}
				if !cmd.Flags().Changed("messages") {
					o.messages = 6
				}
				if o.periods < 1 {
					return usageError(errors.New("--periods: at least 1 (the demo hands the Inbox over before its later messages)"))
				}
				if o.store.syncDomain != devnet.DefaultConfig().SourceDomain {
					return usageError(fmt.Errorf("--sync-domain %d: the devnet's source is domain %d", o.store.syncDomain, devnet.DefaultConfig().SourceDomain))
				}
			default:
				return usageError(fmt.Errorf("%w, not %q", errSource, o.source))
			}
			if o.source == "committee" {
				if err := unused(cmd, "--source committee", "sync-domain", "sync-devnet-committee", "sync-forks", "periods"); err != nil {
					return err
				}
			}
			if o.testOnly {
				if err := unused(cmd, "--test-only-verifier proves nothing", "nats", "workers", "key-dir", "ack-wait", "max-tries",
					"nats-creds", "nats-nkey", "nats-user", "nats-ca", "nats-cert", "nats-key", "sync-forks"); err != nil {
					return err
				}
			}
			o.json, _ = cmd.Flags().GetBool("json")
			return o.run(cmd.Context(), out)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.messages, "messages", 12, "messages to send (at most 12 with proofs: one segment)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the payloads and gas limits")
	f.DurationVar(&o.timeout, "timeout", 90*time.Minute, "give up after this long")
	f.BoolVar(&o.testOnly, "test-only-verifier", false, "no proofs: the Inbox uses the TestOnlyVerifier")
	f.StringVar(&o.source, "source", "committee", "how the source chain's blocks are final: committee (attesters) or ethereum (a beacon chain's sync committee)")
	f.BoolVar(&o.keep, "keep", false, "after the demo, serve the chains until interrupted, printing their URLs")
	f.Uint64Var(&o.periods, "periods", 2, "with --source ethereum: the sync-committee period the Inbox ends at: the relay proves that many hand-overs (at least 1) before the later messages")
	o.queue.register(cmd, true)
	o.store.registerCircuits(cmd)
	return cmd
}

func (o *devnetOptions) run(parent context.Context, out io.Writer) error {
	live, stop := interruptible(parent)
	defer stop()
	ctx, cancel := context.WithTimeout(live, o.timeout)
	defer cancel()

	log := slog.Default()
	if o.source == "ethereum" {
		return o.runEthereum(ctx, live, out, log)
	}
	cfg := devnet.DefaultConfig()
	demo := devnet.DemoConfig{Messages: o.messages, Seed: o.seed, Log: log}
	var p *aggregator.Prover
	if !o.testOnly {
		if o.messages > 12 {
			return usageError(errors.New("--messages: at most 12 with proofs (the circuits prove a lane head within one segment)"))
		}
		var err error
		var stop func()
		if p, stop, err = o.store.dispatcher(ctx, &o.queue, "", nil); err != nil {
			return &exitError{code: exitFailure, err: err}
		}
		defer stop()
		if cfg.DeployVerifier, err = generatedVerifier(p, log); err != nil {
			return &exitError{code: exitFailure, err: err}
		}
		demo.Prove = func(ctx context.Context, lane *chain.LaneProof, checkpoint uint64) (*devnet.ProvedBatch, error) {
			members, _ := devnet.Committee()
			n := lane.Header.Number.Uint64()
			sigs, err := devnet.Attest(lane.SrcDomain, n, lane.Header.Hash(), devnet.CommitteeSize)
			if err != nil {
				return nil, err
			}
			log.Info("finalized header attested", "block", n, "signers", len(sigs), "of", devnet.CommitteeSize)
			bp, calldata, err := proveForInbox(p.Prove(ctx, aggregator.Batch{Claims: []aggregator.ClaimInput{
				{Committee: members, Signatures: sigs, Lane: lane, Checkpoint: checkpoint}}}))
			if err != nil {
				return nil, err
			}
			pb := &devnet.ProvedBatch{Statement: &bp.Statement, Proof: calldata}
			for _, s := range bp.Stages {
				pb.Stages = append(pb.Stages, devnet.Stage{Name: fmt.Sprintf("prove: %s (%d proofs, peak %.2f GiB)", s.Name, s.Proofs, s.PeakGiB), Duration: s.Elapsed})
			}
			return pb, nil
		}
	}
	start := time.Now()
	d, err := devnet.Start(ctx, cfg)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("start devnet: %w", err)}
	}
	defer func() {
		if err := d.Close(); err != nil {
			log.Warn("devnet shutdown", "err", err)
		}
	}()
	log.Info("devnet up", "source", d.Source.URL, "destination", d.Destination.URL,
		"outbox", d.Outbox, "inbox", d.Inbox, "elapsed", time.Since(start).Round(time.Millisecond))
	if o.testOnly {
		log.Warn("--test-only-verifier: batches are checked by the TestOnlyVerifier, which proves nothing")
	}

	rep, err := devnet.RunDemo(ctx, d, demo)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("demo: %w", err)}
	}
	var try []string
	if o.keep {
		relay := fmt.Sprintf("isthmus relay --src-rpc %s --dst-rpc %s --outbox %s --inbox %s --devnet-relayer --devnet-committee --attesters %s",
			d.Source.URL, d.Destination.URL, d.Outbox, d.Inbox, "http://127.0.0.1:7000,http://127.0.0.1:7001,http://127.0.0.1:7002")
		if o.testOnly {
			relay += " --test-only-proofs"
		}
		try = []string{
			fmt.Sprintf("isthmus attest --rpc %s --domain %d --devnet-key --index I --listen 127.0.0.1:700I   (I = 0, 1, 2: a quorum of the %d)",
				d.Source.URL, d.Config.SourceDomain, devnet.CommitteeSize),
			relay,
		}
	}
	if o.json {
		if err := writeJSONTo(out, newDevnetJSON(d, "", rep, p, try)); err != nil {
			return err
		}
	} else {
		printReport(out, d, rep, p)
	}
	if o.keep {
		return keepServing(live, out, d, try, !o.json, func() error {
			d.Source.Finalize(d.Source.Head())
			return nil
		})
	}
	return nil
}

// devnetJSON is what `devnet --json` prints: where the chains are, the demo's report, the
// circuits that proved it (none with the TestOnlyVerifier), and, with --keep, the commands
// to try on the chains it keeps serving.
type devnetJSON struct {
	Source      chainJSON     `json:"source"`
	Destination chainJSON     `json:"destination"`
	Beacon      string        `json:"beacon,omitempty"`
	Report      any           `json:"report"`
	Circuits    []circuitJSON `json:"circuits"`
	PeakGiB     float64       `json:"peakGiB"`
	Try         []string      `json:"try,omitempty"`
}

type chainJSON struct {
	URL      string         `json:"url"`
	Domain   uint32         `json:"domain"`
	Contract common.Address `json:"contract"` // the Outbox, or the Inbox
}

type circuitJSON struct {
	Name        string `json:"name"`
	Curve       string `json:"curve"`
	Constraints int    `json:"constraints"`
}

func newDevnetJSON(d *devnet.Devnet, beacon string, rep any, p *aggregator.Prover, try []string) devnetJSON {
	v := devnetJSON{
		Source:      chainJSON{d.Source.URL, d.Config.SourceDomain, d.Outbox},
		Destination: chainJSON{d.Destination.URL, d.Config.DestinationDomain, d.Inbox},
		Beacon:      beacon, Report: rep, PeakGiB: prover.PeakGiB(), Try: try, Circuits: []circuitJSON{},
	}
	if p != nil {
		for _, c := range p.Circuits() {
			v.Circuits = append(v.Circuits, circuitJSON{c.Name, c.Keys.Manifest.Curve, c.Keys.Manifest.Constraints})
		}
	}
	return v
}

// keepServing serves the devnet until ctx ends (an interrupt): it prints where its chains
// are and the commands to try on them, and calls tick every second (to move the source's
// finality on, so that attesters and relays see new blocks final).
func keepServing(ctx context.Context, out io.Writer, d *devnet.Devnet, try []string, text bool, tick func() error) error {
	if !text {
		out = io.Discard // --json printed them
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nServing the devnet until interrupted (Ctrl-C).\n")
	fmt.Fprintf(w, "source\t%s, domain %d, Outbox %s\n", d.Source.URL, d.Config.SourceDomain, d.Outbox)
	fmt.Fprintf(w, "destination\t%s, domain %d, Inbox %s\n", d.Destination.URL, d.Config.DestinationDomain, d.Inbox)
	for i, c := range try {
		label := ""
		if i == 0 {
			label = "try"
		}
		fmt.Fprintf(w, "%s\t%s\n", label, c)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := tick(); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
		}
	}
}

func printReport(out io.Writer, d *devnet.Devnet, rep *devnet.DemoReport, p *aggregator.Prover) {
	fmt.Fprintf(out, "\nIsthmus devnet: domain %d → domain %d\n\n", d.Config.SourceDomain, d.Config.DestinationDomain)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%s\t"+format+"\n", append([]any{label}, args...)...)
	}
	row("source chain", "%s, Outbox %s", d.Source.URL, d.Outbox)
	row("destination chain", "%s, Inbox %s", d.Destination.URL, d.Inbox)
	row("messages sent", "%d (payloads 0-1 KiB), %d gas per send on average", rep.Sent, rep.SendGas/uint64(max(rep.Sent, 1)))
	row("finalized block", "%d, hash %s", rep.Block, rep.BlockHash)
	row("state root", "%s", rep.StateRoot)
	row("lane count", "%d", rep.Head.Count)
	row("lane accumulator", "%s", rep.Head.Acc)
	row("storage proof", "verified against the state root: %d account nodes, %d storage nodes", rep.AccountProofNodes, rep.StorageProofNodes)
	row("checkpoints", "%d stored segment ends proven too: %v", len(rep.Checkpoints), rep.Checkpoints)
	row("batch statement", "%s (the last of %d batches)", rep.Statement, rep.Batches)
	if p == nil {
		row("submitBatch", "%d gas in all (TestOnlyVerifier: no proof)", rep.SubmitGas)
	} else {
		for _, c := range p.Circuits() {
			row("circuit "+c.Name, "%d constraints (%s)", c.Keys.Manifest.Constraints, c.Keys.Manifest.Curve)
		}
		row("batch proof", "%d bytes (Groth16 on BN254, one commitment)", rep.ProofSize)
		row("submitBatch", "%d gas in all, through the generated Groth16 verifier", rep.SubmitGas)
	}
	var gas, msgs uint64
	for _, dl := range rep.Deliveries {
		n := dl.To - dl.From
		gas, msgs = gas+dl.GasUsed, msgs+n
		row(fmt.Sprintf("deliver %d..%d", dl.From, dl.To), "%d gas, %d failed", dl.GasUsed, len(dl.Failed))
	}
	row("delivered", "%d messages, %d gas each (the recipient stores every message); recipient recorded %d", msgs, gas/max(msgs, 1), rep.Received)
	for _, s := range rep.Stages {
		row("time: "+s.Name, "%s", s.Duration.Round(time.Millisecond))
	}
	row("peak memory", "%.2f GiB since the last proving stage (each stage's own above)", prover.PeakGiB())
	w.Flush()
}
