package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/consensys/gnark/constraint"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/prover/ceremony"
)

func newCeremonyCmd(out io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ceremony",
		Short: "Make keys by a multi-party Groth16 ceremony: one honest participant suffices",
		Long: `A Groth16 key is only as honest as its setup's secrets are gone. A ceremony makes them
with many participants, each adding secrets of their own and proving it, so that the keys
are sound if any one of them destroyed theirs (gnark's mpcsetup, the protocol of Bowe,
Gabizon and Miers). Participants hand files to one another; no server is involved.

Phase 1 (powers of tau) is one per curve, sized for the largest circuit on it:
  isthmus ceremony init-phase1 DIR --curve CURVE --power P
  isthmus ceremony contribute DIR          (each participant in turn: publish the hash)
or, for bn254, a snarkjs powers-of-tau file (the Perpetual Powers of Tau) as --phase1.
Phase 2 is one per circuit, from phase 1 sealed by a public random beacon:
  isthmus ceremony init-phase2 DIR2 --circuit NAME --phase1 DIR --phase1-beacon HEX
  isthmus ceremony contribute DIR2         (each participant in turn)
Then anyone verifies the files and computes the keys (a second beacon seals phase 2):
  isthmus ceremony verify --phase1 DIR --phase2 DIR2 --circuit NAME ...
  isthmus ceremony finalize ...            (the keys into the store, and a record)
  isthmus keys import --record FILE ...    (another operator: verified again)
docs/ceremony.md is the runbook.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCeremonyInit1Cmd(out), newCeremonyContributeCmd(out), newCeremonyInit2Cmd(out),
		newCeremonyVerifyCmd(out), newCeremonyFinalizeCmd(out))
	return cmd
}

// prepareDir makes a transcript folder for its initial state: new or empty of ceremony files.
func prepareDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", &exitError{code: exitFailure, err: err}
	}
	if files, err := ceremony.Files(dir); err == nil {
		return "", usageError(fmt.Errorf("%s already holds a transcript (%d files): initialise another folder", dir, len(files)))
	}
	return filepath.Join(dir, ceremony.FileName(0)), nil
}

func newCeremonyInit1Cmd(out io.Writer) *cobra.Command {
	var curve string
	var power int
	cmd := &cobra.Command{
		Use:   "init-phase1 DIR --curve CURVE --power P",
		Short: "Start phase 1 (powers of tau) of a curve for domains up to 2^P",
		Long: `Writes phase 1's initial state (no secret yet) as DIR/0000.ceremony. One phase 1 serves
every circuit of its curve whose domain (constraints rounded up to a power of two) is at
most 2^P: bn254 for the wrap, bls12_377 for the leaf kinds, bw6_761 for the aggregations
('isthmus keys list' shows each circuit's constraints).`,
		Example: `  isthmus ceremony init-phase1 ptau-bls12_377 --curve bls12_377 --power 21
  isthmus ceremony init-phase1 ptau-bn254 --curve bn254 --power 23`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ceremony.Curve(curve)
			if err != nil {
				return usageError(fmt.Errorf("--curve: %w", err))
			}
			if power < 1 || power > ceremony.MaxPower {
				return usageError(fmt.Errorf("--power %d: want 1 to %d", power, ceremony.MaxPower))
			}
			path, err := prepareDir(args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			hash, err := ceremony.InitPhase1(path, id, power)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return emit(cmd, out, map[string]any{"file": path, "hash": hash, "seconds": time.Since(start).Seconds()}, func() error {
				fmt.Fprintf(out, "phase 1 of %s for domains up to 2^%d started: %s\nsha256 %s\n", id, power, path, hash)
				fmt.Fprintf(out, "next: each participant runs 'isthmus ceremony contribute %s' in turn\n", args[0])
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&curve, "curve", "", "bn254, bls12_377 or bw6_761")
	cmd.Flags().IntVar(&power, "power", 0, "log2 of the largest domain the powers serve")
	return cmd
}

func newCeremonyContributeCmd(out io.Writer) *cobra.Command {
	var name, entropy, entropyFile string
	cmd := &cobra.Command{
		Use:   "contribute DIR | IN OUT",
		Short: "Add a contribution: read the latest file, write the next, print its hash to publish",
		Long: `Reads the latest state of a phase (the last file of DIR, or IN), multiplies its secrets
by new ones and writes the next file (into DIR, or OUT), with a proof that binds it to
the state it read. The new secrets come from the operating system's randomness, mixed with
--entropy or --entropy-file when given; they live in this process's memory only, for the
seconds the contribution takes. Publish the printed hash where the others can see it:
verification prints the same hash for your file.`,
		Example: `  isthmus ceremony contribute ptau-bn254 --name alice
  isthmus ceremony contribute 0003.ceremony 0004.ceremony --entropy-file /dev/hidraw0`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, outPath := args[0], ""
			if len(args) == 2 {
				outPath = args[1]
			} else {
				files, err := ceremony.Files(in)
				if err != nil {
					return usageError(err)
				}
				in, outPath = files[len(files)-1], filepath.Join(args[0], ceremony.FileName(len(files)))
			}
			if _, err := os.Stat(outPath); err == nil {
				return usageError(fmt.Errorf("%s exists: a contribution never overwrites a file", outPath))
			}
			var mix []byte
			switch {
			case entropy != "" && entropyFile != "":
				return usageError(errors.New("--entropy and --entropy-file: one or the other"))
			case entropy != "":
				mix = []byte(entropy)
			case entropyFile != "":
				f, err := os.Open(entropyFile)
				if err != nil {
					return usageError(err)
				}
				mix, err = io.ReadAll(io.LimitReader(f, 1<<20))
				f.Close()
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
			}
			start := time.Now()
			slog.Info("contributing", "from", in, "to", outPath)
			c, err := ceremony.Contribute(in, outPath, name, mix)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			secs := time.Since(start).Seconds()
			return emit(cmd, out, map[string]any{"file": outPath, "header": c.Header, "previous": c.Previous, "hash": c.Hash, "seconds": secs}, func() error {
				fmt.Fprintf(out, "contribution %d to phase %d written to %s in %.1f s\n", c.Header.Index, c.Header.Phase, outPath, secs)
				fmt.Fprintf(out, "built on sha256 %s\npublish   sha256 %s\n", c.Previous, c.Hash)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "your name or handle, kept in the file's header")
	cmd.Flags().StringVar(&entropy, "entropy", "", "text mixed into the operating system's randomness")
	cmd.Flags().StringVar(&entropyFile, "entropy-file", "", "a file (first MiB) mixed into the operating system's randomness")
	return cmd
}

// ceremonyFlags are the folders, beacons and circuit of a verification.
type ceremonyFlags struct {
	store            storeFlag
	phase1, phase2   string
	beacon1, beacon2 string
	circuit          string
}

func (f *ceremonyFlags) register(cmd *cobra.Command, phase2 bool) {
	f.store.registerCircuits(cmd)
	cmd.Flags().StringVar(&f.phase1, "phase1", "", "the folder of phase 1's files, or a snarkjs powers-of-tau file (bn254)")
	cmd.Flags().StringVar(&f.beacon1, "phase1-beacon", "", "the public random beacon (hex) that seals phase 1, fixed after its last contribution (none for a powers-of-tau file)")
	cmd.Flags().StringVar(&f.circuit, "circuit", "", "the pipeline circuit (as 'isthmus keys list' names it)")
	if phase2 {
		cmd.Flags().StringVar(&f.phase2, "phase2", "", "the folder of the circuit's phase-2 files")
		cmd.Flags().StringVar(&f.beacon2, "beacon", "", "the public random beacon (hex) that seals phase 2, fixed after its last contribution")
	}
}

func parseBeacon(flag, v string) ([]byte, error) {
	if v == "" {
		return nil, usageError(fmt.Errorf("--%s: the beacon (hex) that seals the phase", flag))
	}
	b, err := hex.DecodeString(strings.TrimPrefix(v, "0x"))
	if err != nil || len(b) == 0 {
		return nil, usageError(fmt.Errorf("--%s %q: not hex", flag, v))
	}
	return b, nil
}

// verify1 verifies phase 1 and seals it: the folder of this tool's phase 1, or a snarkjs
// powers-of-tau file (BN254), sealed by its own beacon.
func (f *ceremonyFlags) verify1() (*ceremony.SRS, *ceremony.Transcript, []byte, error) {
	if f.phase1 == "" {
		return nil, nil, nil, usageError(errors.New("--phase1: the folder of phase 1's files, or a powers-of-tau file"))
	}
	start := time.Now()
	if fi, err := os.Stat(f.phase1); err == nil && fi.Mode().IsRegular() {
		if f.beacon1 != "" {
			return nil, nil, nil, usageError(errors.New("--phase1-beacon: a powers-of-tau file is sealed by its own beacon"))
		}
		slog.Info("reading phase 1 from a powers-of-tau file", "file", f.phase1)
		s, t, err := ceremony.ReadPtau(f.phase1)
		if err != nil {
			return nil, nil, nil, &exitError{code: exitFailure, err: err}
		}
		slog.Info("powers of tau read and checked", "curve", s.Curve, "power", s.Power, "seconds", time.Since(start).Seconds())
		return s, t, nil, nil
	}
	b1, err := parseBeacon("phase1-beacon", f.beacon1)
	if err != nil {
		return nil, nil, nil, err
	}
	files, err := ceremony.Files(f.phase1)
	if err != nil {
		return nil, nil, nil, usageError(err)
	}
	slog.Info("verifying phase 1", "files", len(files))
	s, t, err := ceremony.VerifyPhase1(files, b1)
	if err != nil {
		return nil, nil, nil, &exitError{code: exitFailure, err: err}
	}
	slog.Info("phase 1 verified and sealed", "curve", s.Curve, "power", s.Power, "seconds", time.Since(start).Seconds())
	return s, t, b1, nil
}

// compile compiles the --circuit of the pipeline.
func (f *ceremonyFlags) compile() (constraint.ConstraintSystem, error) {
	if f.circuit == "" {
		return nil, usageError(errors.New("--circuit: the pipeline circuit the keys are for"))
	}
	st, err := f.store.store()
	if err != nil {
		return nil, err
	}
	cfg, err := f.store.config()
	if err != nil {
		return nil, err
	}
	set := &aggregator.CircuitSet{Store: st, Config: cfg, Log: slog.Default()}
	ccs, err := set.Compile(f.circuit)
	if errors.Is(err, aggregator.ErrNoCircuit) {
		return nil, usageError(err)
	}
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return ccs, nil
}

func newCeremonyInit2Cmd(out io.Writer) *cobra.Command {
	var f ceremonyFlags
	cmd := &cobra.Command{
		Use:   "init-phase2 DIR --circuit NAME --phase1 DIR1 --phase1-beacon HEX",
		Short: "Start a circuit's phase 2 from a verified, sealed phase 1",
		Long: `Verifies phase 1's files, seals them with the beacon, compiles the circuit and writes its
phase-2 initial state as DIR/0000.ceremony. This is a ceremony's slow step (gnark
evaluates every wire at τ, mostly on one core), and every verifier repeats it.`,
		Example: `  isthmus ceremony init-phase2 wrap-phase2 --circuit wrap --phase1 ptau-bn254 --phase1-beacon 8e1f…`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ccs, err := f.compile()
			if err != nil {
				return err
			}
			s, _, _, err := f.verify1()
			if err != nil {
				return err
			}
			path, err := prepareDir(args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			slog.Info("initialising phase 2", "circuit", f.circuit, "constraints", ccs.GetNbConstraints())
			hash, err := ceremony.InitPhase2(path, f.circuit, ccs, s)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			secs := time.Since(start).Seconds()
			return emit(cmd, out, map[string]any{"file": path, "hash": hash, "seconds": secs}, func() error {
				fmt.Fprintf(out, "phase 2 of %s (%d constraints) started in %.1f s: %s\nsha256 %s\n", f.circuit, ccs.GetNbConstraints(), secs, path, hash)
				fmt.Fprintf(out, "next: each participant runs 'isthmus ceremony contribute %s' in turn\n", args[0])
				return nil
			})
		},
	}
	f.register(cmd, false)
	return cmd
}

// ceremonyResult is what verify and finalize print, and what finalize records: the file
// that 'keys import' takes.
type ceremonyResult struct {
	Circuit string                      `json:"circuit,omitempty"`
	Curve   string                      `json:"curve"`
	Digest  string                      `json:"digest,omitempty"`
	Phase1  []ceremonyFile              `json:"phase1Files"`
	Phase2  []ceremonyFile              `json:"phase2Files,omitempty"`
	Record  *prover.CeremonyRecord      `json:"record,omitempty"`
	Stored  string                      `json:"stored,omitempty"`
	Seconds float64                     `json:"seconds"`
	keys    *ceremony.Keys              `json:"-"`
	ccs     constraint.ConstraintSystem `json:"-"`
}

type ceremonyFile struct {
	Index       int    `json:"index"`
	Contributor string `json:"contributor"`
	SHA256      string `json:"sha256"`
}

func filesOf(t *ceremony.Transcript) []ceremonyFile {
	var out []ceremonyFile
	for i, h := range t.Headers {
		out = append(out, ceremonyFile{h.Index, h.Contributor, t.Hashes[i]})
	}
	return out
}

// run verifies phase 1 and, when phase2 is asked for, the circuit's phase 2 and its keys.
func (f *ceremonyFlags) run(phase2 bool) (*ceremonyResult, error) {
	start := time.Now()
	var ccs constraint.ConstraintSystem
	if phase2 {
		var err error
		if ccs, err = f.compile(); err != nil {
			return nil, err
		}
		if f.phase2 == "" {
			return nil, usageError(errors.New("--phase2: the folder of the circuit's phase-2 files"))
		}
		if _, err := parseBeacon("beacon", f.beacon2); err != nil {
			return nil, err
		}
	}
	s, t1, b1, err := f.verify1()
	if err != nil {
		return nil, err
	}
	r := &ceremonyResult{Curve: s.Curve.String(), Phase1: filesOf(t1)}
	if !phase2 {
		r.Seconds = time.Since(start).Seconds()
		return r, nil
	}
	b2, _ := parseBeacon("beacon", f.beacon2)
	files, err := ceremony.Files(f.phase2)
	if err != nil {
		return nil, usageError(err)
	}
	slog.Info("verifying phase 2 (its initial state recomputed first)", "circuit", f.circuit, "files", len(files))
	k, err := ceremony.FinalizeWith(f.circuit, ccs, s, t1, b1, files, b2)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	r.Circuit, r.keys, r.ccs, r.Record = f.circuit, k, ccs, &k.Record
	r.Digest, _ = prover.Digest(ccs)
	for i, h := range k.Record.Phase2 {
		hdr, _ := ceremony.ReadHeader(files[i])
		r.Phase2 = append(r.Phase2, ceremonyFile{i, hdr.Contributor, h})
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

func (r *ceremonyResult) print(out io.Writer) {
	show := func(phase int, files []ceremonyFile) {
		for _, f := range files {
			who := f.Contributor
			if f.Index == 0 {
				who = "(initial state)"
			}
			fmt.Fprintf(out, "phase %d  %04d  %s  %s\n", phase, f.Index, f.SHA256, who)
		}
	}
	show(1, r.Phase1)
	show(2, r.Phase2)
	if r.Record != nil {
		fmt.Fprintf(out, "circuit %s on %s: verifying key sha256 %s\ntranscript %s\n", r.Circuit, r.Curve, r.Record.VerifyingKey, r.Record.Transcript)
	}
	fmt.Fprintf(out, "verified in %.1f s\n", r.Seconds)
}

func newCeremonyVerifyCmd(out io.Writer) *cobra.Command {
	var f ceremonyFlags
	cmd := &cobra.Command{
		Use:   "verify --phase1 DIR --phase1-beacon HEX [--circuit NAME --phase2 DIR2 --beacon HEX]",
		Short: "Verify a ceremony from its files: every contribution, and the keys it seals",
		Long: `Recomputes phase 1's initial state, verifies every contribution's proof against the state
before it, and seals it with the beacon; with --phase2, recomputes the circuit's phase-2
initial state from it, verifies phase 2 the same way and seals the keys. Prints every
file's hash (compare them with those the contributors published), the verifying key's
hash and the transcript hash. Exits 1 on any contribution that does not verify.`,
		Example: `  isthmus ceremony verify --phase1 ptau-bn254 --phase1-beacon 8e1f…
  isthmus ceremony verify --phase1 ptau-bn254 --phase1-beacon 8e1f… --circuit wrap --phase2 wrap-phase2 --beacon 42aa…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := f.run(f.phase2 != "" || f.circuit != "")
			if err != nil {
				return err
			}
			return emit(cmd, out, r, func() error { r.print(out); return nil })
		},
	}
	f.register(cmd, true)
	return cmd
}

func newCeremonyFinalizeCmd(out io.Writer) *cobra.Command {
	var f ceremonyFlags
	var record string
	cmd := &cobra.Command{
		Use:   "finalize --circuit NAME --phase1 DIR --phase1-beacon HEX --phase2 DIR2 --beacon HEX",
		Short: "Verify a circuit's ceremony, put its keys in the store and write its record",
		Long: `Verifies as 'ceremony verify' does, stores the sealed keys as ceremony keys (deploy takes
them without --allow-development-keys) and writes the ceremony's record (default
DIR2/record.json): the files' hashes, the beacons, the verifying key's hash and the
transcript hash. Publish the record with the files: 'isthmus keys import' verifies them
again on another machine.`,
		Example: `  isthmus ceremony finalize --circuit wrap --phase1 ptau-bn254 --phase1-beacon 8e1f… --phase2 wrap-phase2 --beacon 42aa…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := f.run(true)
			if err != nil {
				return err
			}
			if err := r.store(&f.store); err != nil {
				return err
			}
			if record == "" {
				record = filepath.Join(f.phase2, "record.json")
			}
			if err := fileio.WriteJSON(record, r); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return emit(cmd, out, r, func() error {
				r.print(out)
				fmt.Fprintf(out, "ceremony keys of %s stored in %s\nrecord written to %s\n", r.Circuit, r.Stored, record)
				return nil
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&record, "record", "", "where to write the ceremony's record (default DIR2/record.json)")
	return cmd
}

// store puts a verified ceremony's keys in the key store.
func (r *ceremonyResult) store(sf *storeFlag) error {
	st, err := sf.store()
	if err != nil {
		return err
	}
	rec := r.keys.Record
	k, err := st.Put(r.Circuit, r.ccs, r.keys.PK, r.keys.VK, prover.Manifest{Ceremony: &rec})
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	r.Stored = st.Folder(k.Manifest)
	return nil
}

// importCeremony verifies a published ceremony (its record and its files) and stores its
// keys: 'isthmus keys import'.
func importCeremony(cmd *cobra.Command, out io.Writer, sf *storeFlag, recordPath, phase1, phase2, transcript string) error {
	data, err := os.ReadFile(recordPath)
	if err != nil {
		return usageError(err)
	}
	var want ceremonyResult
	if err := json.Unmarshal(data, &want); err != nil || want.Record == nil || want.Circuit == "" {
		return usageError(fmt.Errorf("%s: not a ceremony record (written by 'isthmus ceremony finalize'): %v", recordPath, err))
	}
	if transcript != "" && !strings.EqualFold(strings.TrimPrefix(transcript, "0x"), want.Record.Transcript) {
		return &exitError{code: exitFailure, err: fmt.Errorf("%s names transcript %s, not the %s you expect", recordPath, want.Record.Transcript, transcript)}
	}
	f := ceremonyFlags{store: *sf, phase1: phase1, phase2: phase2, circuit: want.Circuit}
	ccs, err := f.compile()
	if err != nil {
		return err
	}
	if d, _ := prover.Digest(ccs); d != want.Digest {
		return &exitError{code: exitFailure, err: fmt.Errorf("the record's keys are for %s of digest %.16s; this build compiles it to %.16s (another version of the circuit)", want.Circuit, want.Digest, d)}
	}
	f1 := []string{phase1} // a powers-of-tau file
	if want.Record.Phase1Source == "" {
		if f1, err = ceremony.Files(phase1); err != nil {
			return usageError(err)
		}
	}
	f2, err := ceremony.Files(phase2)
	if err != nil {
		return usageError(err)
	}
	start := time.Now()
	slog.Info("verifying the ceremony against its record", "circuit", want.Circuit, "transcript", want.Record.Transcript)
	k, err := ceremony.Import(want.Circuit, ccs, f1, f2, *want.Record)
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	r := &ceremonyResult{Circuit: want.Circuit, Curve: want.Curve, Digest: want.Digest, Phase1: want.Phase1, Phase2: want.Phase2,
		Record: &k.Record, keys: k, ccs: ccs, Seconds: time.Since(start).Seconds()}
	if err := r.store(sf); err != nil {
		return err
	}
	return emit(cmd, out, r, func() error {
		fmt.Fprintf(out, "verified the ceremony of %s (transcript %s) in %.1f s\nceremony keys stored in %s\n", r.Circuit, k.Record.Transcript, r.Seconds, r.Stored)
		return nil
	})
}
