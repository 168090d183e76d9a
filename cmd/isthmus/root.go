package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	gnarklogger "github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"
)

type rootOptions struct {
	logLevel  string
	logFormat string
}

// NewRootCmd builds the isthmus command tree writing its results to out.
func NewRootCmd(out io.Writer, args []string) *cobra.Command {
	o := &rootOptions{}
	cmd := &cobra.Command{
		Use:   "isthmus",
		Short: "Zero-knowledge proof aggregation prover for cross-chain messages",
		Long: `Isthmus proves that source-chain blocks are final and what their Outbox committed
to, folds many such proofs into one, and delivers the messages on the destination
chain, where an Inbox contract checks that single proof.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return o.setupLogging(cmd.ErrOrStderr())
		},
	}
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	f := cmd.PersistentFlags()
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.Bool("json", false, "print the result as JSON (ceremony, deploy, devnet, keys list and import, setup, prove, aggregate, wrap, verify, version)")
	cmd.AddCommand(
		newVersionCmd(out),
		newDevnetCmd(out),
		newKeysCmd(out),
		newSetupCmd(out),
		newCeremonyCmd(out),
		newProveCmd(out),
		newVerifyCmd(out),
		newExportSolidityCmd(out),
		newBenchCmd(out),
		newAttestCmd(out),
		newRelayCmd(out),
		newWorkerCmd(out),
		newDeployCmd(out),
		newAggregateCmd(out),
		newWrapCmd(out),
	)
	usageArgs(cmd)
	return cmd
}

func (o *rootOptions) setupLogging(w io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usageError(fmt.Errorf("--log-level %q: %w", o.logLevel, err))
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(o.logFormat) {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return usageError(fmt.Errorf("--log-format %q: want text or json", o.logFormat))
	}
	slog.SetDefault(slog.New(h))
	// gnark logs its compiler and prover steps (to stdout by default): on stderr, at debug.
	if level <= slog.LevelDebug {
		gnarklogger.SetOutput(w)
	} else {
		gnarklogger.Disable()
	}
	return nil
}
