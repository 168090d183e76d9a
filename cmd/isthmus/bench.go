package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/internal/benchreport"
	"github.com/isthmus-xyz/isthmus/verifier"
)

func newBenchCmd(out io.Writer) *cobra.Command {
	var dir string
	var quick bool
	cmd := &cobra.Command{
		Use: "bench --out DIR",
		Example: `  isthmus bench --out bench-report --quick
  isthmus bench --out bench-report`,
		Short: "Run the benchmarks and write a report (Markdown, JSON, SVG plots)",
		Long: `Runs the project's Go benchmarks (go test -bench, from the repository this is run
in) and writes what they measured to DIR: report.md, report.json, gas-per-message.svg and
pipeline-stages.svg, with the machine recorded. --quick counts constraints and measures
gas, submitBatch's through a verifier of the wrap's shape (about 4 minutes and 7 GiB on an
idle 2-core machine); the full run adds Groth16 setup and proving and one end-to-end batch
(keys from the key store: their first setup takes about 40 minutes), and the sync-committee
circuits at mainnet's 512 members (their keys made by the run: about an hour more).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageError(errors.New("--out is required"))
			}
			contracts, err := verifier.ContractsDir()
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("bench runs the repository's benchmarks (go test): run it in a clone of the repository: %w", err)}
			}
			mode := "full"
			if quick {
				mode = "quick"
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			rep, err := benchreport.Run(ctx, filepath.Dir(contracts), mode, cmd.ErrOrStderr())
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if err := benchreport.Write(dir, rep); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintf(out, "%d benchmarks in %s: report in %s\n", len(rep.Results), rep.Duration, filepath.Join(dir, "report.md"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "out", "", "folder to write the report to")
	cmd.Flags().BoolVar(&quick, "quick", false, "constraints and gas only (a few minutes)")
	return cmd
}
