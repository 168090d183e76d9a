package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/prover"
)

type keysOptions struct{ storeFlag }

func newKeysCmd(out io.Writer) *cobra.Command {
	o := &keysOptions{}
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List, check and remove stored Groth16 keys",
		Long: `Groth16 keys live in a cache directory outside the repository (--key-dir, or
ISTHMUS_KEY_DIR, or isthmus/keys in the user's cache), one folder per compiled
circuit, with a manifest of checksums. Keys made on this machine come from local
randomness: they are development keys.`,
		Args: cobra.NoArgs,
	}
	o.registerPersistent(cmd)
	cmd.AddCommand(
		&cobra.Command{Use: "list", Short: "List stored keys", Args: cobra.NoArgs, Example: "  isthmus keys list\n  isthmus keys list --key-dir /srv/isthmus/keys",
			RunE: func(cmd *cobra.Command, _ []string) error { return o.list(cmd, out) }},
		&cobra.Command{Use: "check", Short: "Verify every stored key against its manifest", Args: cobra.NoArgs, Example: "  isthmus keys check",
			RunE: func(*cobra.Command, []string) error { return o.check(out) }},
		&cobra.Command{Use: "remove CIRCUIT", Short: "Remove a circuit's stored keys", Args: cobra.ExactArgs(1), Example: "  isthmus keys remove universal-fold",
			RunE: func(_ *cobra.Command, args []string) error { return o.remove(out, args[0]) }},
		o.publishCmd(out),
		o.pinsCmd(out),
		o.importCmd(out),
	)
	return cmd
}

// importCmd verifies a published ceremony and stores its keys.
func (o *keysOptions) importCmd(out io.Writer) *cobra.Command {
	var record, phase1, phase2, transcript string
	cmd := &cobra.Command{
		Use:   "import --record FILE --phase1 DIR --phase2 DIR2 [--transcript HASH]",
		Short: "Verify a published ceremony from its files and store its keys",
		Long: `Takes a ceremony's record (written by 'isthmus ceremony finalize') and the folders of its
phase-1 and phase-2 files, compiles the record's circuit, verifies every contribution,
recomputes the keys with the record's beacons and stores them only if they are the keys
the record names (its verifying key's hash and transcript hash). Nothing in the record
is taken on trust: a file, a beacon or a hash that differs is refused. --transcript
checks the record is the ceremony you expect (the hash its coordinator published).`,
		Example: `  isthmus keys import --record wrap-phase2/record.json --phase1 ptau-bn254 --phase2 wrap-phase2 --transcript 5f0c…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if record == "" || phase1 == "" || phase2 == "" {
				return usageError(errors.New("--record, --phase1 and --phase2: the ceremony's record and the folders of its files"))
			}
			return importCeremony(cmd, out, &o.storeFlag, record, phase1, phase2, transcript)
		},
	}
	cmd.Flags().StringVar(&record, "record", "", "the ceremony's record (record.json)")
	cmd.Flags().StringVar(&phase1, "phase1", "", "the folder of phase 1's files")
	cmd.Flags().StringVar(&phase2, "phase2", "", "the folder of the circuit's phase-2 files")
	cmd.Flags().StringVar(&transcript, "transcript", "", "the transcript hash the ceremony published")
	o.registerSync(cmd)
	return cmd
}

// pinsCmd writes the pins of stored keys: what a worker fetching keys checks them against.
func (o *keysOptions) pinsCmd(out io.Writer) *cobra.Command {
	var file string
	var circuits []string
	cmd := &cobra.Command{
		Use:   "pins --out FILE [--circuits A,B]",
		Short: "Write the digests and checksums of stored keys, for workers that fetch keys (--key-pins)",
		Long: `Writes, for each stored circuit (or those of --circuits), its digest, the checksum of each
key file and whether the keys are development keys, each checked against its manifest
first. Keep the file with the deployment's records and give it to 'isthmus worker
--fetch-keys --key-pins FILE': a worker takes keys from the server's object store only when
they match it, and their trust from it.`,
		Example: `  isthmus keys pins --out pins.json
  isthmus worker --nats nats://prover:4222 --fetch-keys --key-pins pins.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageError(errors.New("--out: the file to write the pins to"))
			}
			s, err := o.store()
			if err != nil {
				return err
			}
			pins, err := s.Pins(circuits)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if err := prover.WritePins(file, pins); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintf(out, "wrote the pins of %d circuits to %s\n", len(pins), file)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "out", "", "file to write the pins to")
	cmd.Flags().StringSliceVar(&circuits, "circuits", nil, "circuits to pin (default: every stored one)")
	return cmd
}

// publishCmd puts stored keys into a NATS server's object store, for 'isthmus worker
// --fetch-keys'.
func (o *keysOptions) publishCmd(out io.Writer) *cobra.Command {
	var url string
	var circuits []string
	var natsAuth natsAuthFlags
	cmd := &cobra.Command{
		Use: "publish --nats URL [--circuits A,B]",
		Example: `  isthmus keys publish --nats nats://prover:4222
  isthmus keys publish --nats nats://prover:4222 --circuits universal-step,universal-header-4`,
		Short: "Put stored keys into a NATS server's object store, for workers started with --fetch-keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				return usageError(errors.New("--nats: the URL of the NATS server to publish the keys to"))
			}
			s, err := o.store()
			if err != nil {
				return err
			}
			if len(circuits) == 0 {
				ms, err := s.List()
				if err != nil {
					return err
				}
				for _, m := range ms {
					circuits = append(circuits, m.Circuit)
				}
			}
			ctx := cmdContext(cmd)
			auth, err := natsAuth.auth(url)
			if err != nil {
				return err
			}
			q, err := aggregator.ConnectWith(ctx, url, "isthmus keys publish", slog.Default(), auth)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			defer q.Close()
			if err := q.PublishKeys(ctx, s, circuits); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintf(out, "published the keys of %d circuits to %s (object store %s)\n", len(circuits), url, aggregator.KeysBucket)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "nats", "", "NATS server (JetStream)")
	cmd.Flags().StringSliceVar(&circuits, "circuits", nil, "circuits whose keys to publish (default: every stored one)")
	natsAuth.register(cmd)
	return cmd
}

func (o *keysOptions) list(cmd *cobra.Command, out io.Writer) error {
	s, err := o.store()
	if err != nil {
		return err
	}
	ms, err := s.List()
	if err != nil {
		return err
	}
	if j, _ := cmd.Flags().GetBool("json"); j {
		if ms == nil {
			ms = []*prover.Manifest{}
		}
		return writeJSONTo(out, ms)
	}
	if len(ms) == 0 {
		fmt.Fprintf(out, "no keys in %s\n", s.Dir)
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CIRCUIT\tCURVE\tCONSTRAINTS\tDIGEST\tSETUP\tKIND\tCREATED")
	for _, m := range ms {
		kind := "development"
		switch {
		case m.Ceremony != nil:
			kind = "ceremony " + m.Ceremony.Transcript[:min(16, len(m.Ceremony.Transcript))]
		case !m.Development:
			kind = "ceremony" // fetched under a pin that says so
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%.0fs\t%s\t%s\n", m.Circuit, m.Curve, m.Constraints, m.Digest[:16], m.SetupSeconds, kind, m.CreatedAt.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func (o *keysOptions) check(out io.Writer) error {
	s, err := o.store()
	if err != nil {
		return err
	}
	if err := s.Check(); err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	fmt.Fprintf(out, "every stored key matches its manifest (%s)\n", s.Dir)
	return nil
}

func (o *keysOptions) remove(out io.Writer, name string) error {
	s, err := o.store()
	if err != nil {
		return err
	}
	if err := s.Remove(name); err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	fmt.Fprintf(out, "removed the keys of %s\n", name)
	return nil
}
