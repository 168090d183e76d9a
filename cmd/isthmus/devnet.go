package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
)

type devnetOptions struct {
	messages int
	seed     uint64
	timeout  time.Duration
}

func newDevnetCmd(out io.Writer) *cobra.Command {
	o := &devnetOptions{}
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run the end-to-end demo on two local chains",
		Long: `Starts a source and a destination chain in this process (go-ethereum, JSON-RPC on
loopback), deploys the Outbox and the Inbox, sends messages, proves the source lane's
(count, acc) with a storage proof checked against the finalized block's stateRoot,
submits the batch to the Inbox and delivers every message.

Until the Groth16 pipeline lands, the Inbox checks batches with the TestOnlyVerifier,
which proves nothing: the demo shows the contracts and the chain plumbing only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.messages < 1 {
				return usageError(errors.New("--messages must be at least 1"))
			}
			return o.run(cmd.Context(), out)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.messages, "messages", 40, "messages to send")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the payloads and gas limits")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

func (o *devnetOptions) run(parent context.Context, out io.Writer) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	log := slog.Default()
	start := time.Now()
	d, err := devnet.Start(ctx, devnet.DefaultConfig())
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
	log.Warn("batches are checked by the TestOnlyVerifier until the Groth16 verifier lands: it proves nothing")

	rep, err := devnet.RunDemo(ctx, d, devnet.DemoConfig{Messages: o.messages, Seed: o.seed, Log: log})
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("demo: %w", err)}
	}
	printReport(out, d, rep)
	return nil
}

func printReport(out io.Writer, d *devnet.Devnet, rep *devnet.DemoReport) {
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
	row("batch statement", "%s", rep.Statement)
	row("submitBatch", "%d gas (TestOnlyVerifier)", rep.SubmitGas)
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
	w.Flush()
}
