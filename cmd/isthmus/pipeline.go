package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/attest"
	"github.com/isthmus-xyz/isthmus/chain/devkeys"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// storeFlag is the key directory flag the pipeline commands share, with what their
// circuits serve (registerCircuits).
type storeFlag struct {
	dir        string
	syncDomain uint32   // a source domain under Ethereum's sync committee; 0: none
	syncSize   int      // the devnet beacon chain's committee size; 0: Ethereum mainnet's rules
	syncForks  []string // the forks the sync-committee kinds serve; none: the one in force
}

func (s *storeFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.dir, "key-dir", "", "key directory (default: ISTHMUS_KEY_DIR or the user's cache)")
}

// registerCircuits registers the key directory and the kinds beside the attester
// committee's: those of a source domain under Ethereum's sync committee.
func (s *storeFlag) registerCircuits(cmd *cobra.Command) {
	s.register(cmd)
	s.registerSync(cmd)
}

// registerSync registers the flags of the sync-committee kinds alone.
func (s *storeFlag) registerSync(cmd *cobra.Command) {
	cmd.Flags().Uint32Var(&s.syncDomain, "sync-domain", 0, "a source domain under Ethereum's sync committee: its kinds (light-client updates and hand-overs) join the allow-list")
	cmd.Flags().IntVar(&s.syncSize, "sync-devnet-committee", 0, "with --sync-domain: the devnet beacon chain's committee size (default: Ethereum mainnet's rules)")
	cmd.Flags().StringSliceVar(&s.syncForks, "sync-forks", nil, "with --sync-domain: the forks its kinds serve (default: the one in force)")
}

// config is the universal config the flags name: every attester-committee kind, both
// aggregation sizes, and the sync-committee kinds of --sync-domain.
func (s *storeFlag) config() (aggregator.Config, error) {
	cfg := aggregator.DefaultConfig()
	if s.syncDomain == 0 {
		if s.syncSize != 0 || len(s.syncForks) != 0 {
			return cfg, usageError(errors.New("--sync-devnet-committee and --sync-forks are for the kinds of a --sync-domain"))
		}
		return cfg, nil
	}
	cfg.Sync = syncConfig(s.syncSize, s.syncForks, s.syncDomain)
	if err := cfg.Check(); err != nil {
		return cfg, usageError(err)
	}
	return cfg, nil
}

// mainnetGenesisTime is the beacon chain's genesis, in Unix seconds.
const mainnetGenesisTime = 1606824023

// syncConfig is the sync-committee kinds of a source domain: the devnet beacon chain's at a
// committee of size (mainnet's for 0), serving forks (the one in force for none), a
// hand-over's keys in chunks of synccommittee.ChunkKeys (all of a devnet committee of up to
// 8 in one), over several batches in runs of aggregator.HandOverRunKeys members where the
// committee has more (mainnet's 512: 8 runs).
func syncConfig(size int, forks []string, domain uint32) *aggregator.SyncConfig {
	beacon := synccommittee.Mainnet()
	chunk := synccommittee.ChunkKeys
	if size > 0 {
		beacon = devkeys.BeaconConfig(size)
		if size <= 8 {
			chunk = size
		}
	}
	if len(forks) == 0 {
		// The fork in force: at the devnet's genesis, or at mainnet's current epoch.
		epoch := uint64(0)
		if size == 0 {
			epoch = beacon.Epoch((uint64(time.Now().Unix()) - mainnetGenesisTime) / 12)
		}
		forks = []string{beacon.ForkAt(epoch).Name}
	}
	runs := 0
	if n := beacon.CommitteeSize; n > aggregator.HandOverRunKeys && chunk == synccommittee.ChunkKeys {
		runs = n / aggregator.HandOverRunKeys
	}
	return &aggregator.SyncConfig{Beacon: beacon, SrcDomain: domain, Forks: forks, ChunkKeys: chunk, Runs: runs}
}

// registerPersistent registers the flag for a command's subcommands too.
func (s *storeFlag) registerPersistent(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&s.dir, "key-dir", "", "key directory (default: ISTHMUS_KEY_DIR or the user's cache)")
}

func (s *storeFlag) store() (*prover.Store, error) {
	dir := s.dir
	if dir == "" {
		var err error
		if dir, err = prover.DefaultDir(); err != nil {
			return nil, err
		}
	}
	return &prover.Store{Dir: dir, Log: slog.Default()}, nil
}

func newSetupCmd(out io.Writer) *cobra.Command {
	var s storeFlag
	var force bool
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Make (or check and load) the Groth16 keys of every pipeline circuit",
		Long: `Compiles the circuits of the pipeline (every leaf kind of the allow-list on BLS12-377:
the attester committee's, and with --sync-domain the pieces of an Ethereum light-client
update and hand-over, sized by --sync-devnet-committee, Ethereum mainnet's 512 by default;
the aggregation at its two sizes on BW6-761; the one wrap on BN254) and makes the keys the
store lacks: about 105 minutes on 2 cores the first time, logged per circuit with an
estimate. Keys from local randomness are development keys. Stored keys are checked
against their manifest and loaded.`,
		Example: `  isthmus setup
  isthmus setup --sync-domain 1 --sync-devnet-committee 8`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := s.store()
			if err != nil {
				return err
			}
			st.ForceSetup = force
			cfg, err := s.config()
			if err != nil {
				return err
			}
			p, err := newPipelineProver(st, cfg, slog.Default())
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			type circuit struct {
				Name         string  `json:"name"`
				Curve        string  `json:"curve"`
				Constraints  int     `json:"constraints"`
				SetupSeconds float64 `json:"setupSeconds"`
				Loaded       bool    `json:"loaded"`
			}
			v := struct {
				Circuits []circuit `json:"circuits"`
				Config   string    `json:"config"`
				// Verifier is the compiled verifier kept beside the wrap key, which `deploy
				// inbox` takes without a compiler ("" if none could be compiled here).
				Verifier string `json:"verifier"`
			}{Config: p.WrapConfig.String()}
			if _, err := p.Verifier(); err != nil {
				slog.Warn("the verifier is not compiled: deploy inbox compiles it where the pinned compiler is found", "err", err)
			} else {
				v.Verifier = filepath.Join(p.Store().Folder(p.Wrap.Keys.Manifest), p.VerifierFile())
			}
			for _, c := range p.Circuits() {
				m := c.Keys.Manifest
				v.Circuits = append(v.Circuits, circuit{c.Name, m.Curve, m.Constraints, m.SetupSeconds, c.Keys.Loaded})
			}
			return emit(cmd, out, v, func() error {
				w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "CIRCUIT\tCURVE\tCONSTRAINTS\tSETUP\tSTATE")
				for _, c := range v.Circuits {
					state := "made now"
					if c.Loaded {
						state = "loaded"
					}
					fmt.Fprintf(w, "%s\t%s\t%d\t%.0f s\t%s\n", c.Name, c.Curve, c.Constraints, c.SetupSeconds, state)
				}
				if err := w.Flush(); err != nil {
					return err
				}
				if v.Verifier != "" {
					fmt.Fprintf(out, "verifier compiled and kept beside the wrap key: %s\n", v.Verifier)
				}
				fmt.Fprintf(out, "config %s (the verifier's CONFIG: the allow-list of %d kinds, %d aggregation sizes)\n", p.WrapConfig, len(p.Kinds), len(p.Aggregates))
				return nil
			})
		},
	}
	s.registerCircuits(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "run the setup again even for stored keys")
	return cmd
}

type proveOptions struct {
	store      storeFlag
	queue      queueFlags
	rpc        string
	outbox     string
	dst        uint32
	block      int64
	checkpoint uint64
	devnet     bool
	attesters  []string
	committee  string
	out        string
	timeout    time.Duration
	signers    int
	leavesOnly bool
	json       bool
}

func newProveCmd(out io.Writer) *cobra.Command {
	o := &proveOptions{}
	cmd := &cobra.Command{
		Use: "prove",
		Example: `  isthmus prove --rpc http://127.0.0.1:8545 --outbox 0x… --dst 2 --attesters http://a1:7001,http://a2:7001 --committee members.json --out batch.json
  isthmus prove --rpc http://127.0.0.1:8545 --outbox 0x… --devnet-attesters --leaves-only --out leaves.json`,
		Short: "Prove a lane's head (or a checkpoint) at a finalized source block into a batch file",
		Long: `Reads the lane towards --dst of the Outbox at --outbox from the source chain's
JSON-RPC endpoint (--rpc) at its finalized block (or --block), checks the storage
proofs, has the header signed, and proves the batch through every layer into a batch
file (--out, format isthmus.batch.v1) that 'isthmus verify' checks and the Inbox's
submitBatch takes. With --checkpoint N it proves the checkpoint the Outbox stored when
a segment closed at count N (a lane claim of kind checkpoint, accepted at any block)
instead of the head.

Header signatures come from the source domain's committee: --attesters lists the URLs
of its attesters ('isthmus attest'), --committee its members (a JSON file of public keys
and weights; default: the devnet committee). --devnet-attesters instead signs with the
devnet committee's public seeds, which is meaningful on a devnet only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(map[string]string{"rpc": o.rpc, "outbox": o.outbox, "out": o.out}, "outbox"); err != nil {
				return err
			}
			if !o.devnet && len(o.attesters) == 0 {
				return usageError(errors.New("no attesters to sign the header: pass --attesters URL,... (or --devnet-attesters on a devnet)"))
			}
			o.json, _ = cmd.Flags().GetBool("json")
			return o.run(cmd.Context(), out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rpc, "rpc", "", "source chain JSON-RPC endpoint")
	f.StringVar(&o.outbox, "outbox", "", "Outbox address")
	f.Uint32Var(&o.dst, "dst", 2, "destination domain of the lane")
	f.Int64Var(&o.block, "block", -1, "block number (default: the finalized block)")
	f.Uint64Var(&o.checkpoint, "checkpoint", 0, "prove the checkpoint the Outbox stored at this count instead of the lane's head")
	f.BoolVar(&o.devnet, "devnet-attesters", false, "sign the header with the devnet committee's public seeds")
	f.StringSliceVar(&o.attesters, "attesters", nil, "attester URLs to collect the header's signatures from")
	f.StringVar(&o.committee, "committee", "", "committee file (default: the devnet committee)")
	f.IntVar(&o.signers, "signers", devkeys.CommitteeSize, "devnet attesters that sign")
	f.StringVar(&o.out, "out", "", "batch file to write (with --leaves-only: the leaf proofs file)")
	f.BoolVar(&o.leavesOnly, "leaves-only", false, "prove the leaves only, into a file for 'isthmus aggregate'")
	f.DurationVar(&o.timeout, "timeout", 90*time.Minute, "give up after this long")
	o.store.registerCircuits(cmd)
	o.queue.register(cmd, true)
	return cmd
}

func (o *proveOptions) run(parent context.Context, out io.Writer) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, o.timeout)
	defer cancel()
	fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
	client, err := chain.Dial(ctx, o.rpc)
	if err != nil {
		return fail(err)
	}
	src, err := chain.NewSource(ctx, client, common.HexToAddress(o.outbox))
	if err != nil {
		return fail(fmt.Errorf("outbox %s: %w", o.outbox, err))
	}
	var h *types.Header
	if o.block < 0 {
		h, err = src.FinalizedHeader(ctx)
	} else {
		h, err = client.Eth.HeaderByNumber(ctx, big.NewInt(o.block))
	}
	if err != nil {
		return fail(err)
	}
	var checkpoints []uint64
	if o.checkpoint != 0 {
		checkpoints = []uint64{o.checkpoint}
	}
	lane, err := src.ProveLane(ctx, h, o.dst, checkpoints)
	if err != nil {
		return fail(err)
	}
	members, _ := devkeys.Committee()
	if o.committee != "" {
		data, err := os.ReadFile(o.committee)
		if err != nil {
			return fail(err)
		}
		if members, err = attest.DecodeCommittee(data); err != nil {
			return fail(fmt.Errorf("%s: %w", o.committee, err))
		}
	}
	// Refuse what cannot be proven before loading the keys.
	if _, err := (&aggregator.ClaimInput{Committee: members, Lane: lane, Checkpoint: o.checkpoint}).Claim(); err != nil {
		return fail(err)
	}
	var sigs map[int]*eddsa.Signature
	if o.devnet {
		sigs, err = devkeys.Attest(src.Domain, h.Number.Uint64(), h.Hash(), o.signers)
	} else {
		sigs, err = attest.Collect(ctx, o.attesters, members, src.Domain, h.Number.Uint64(), h.Hash(), slog.Default())
	}
	if err != nil {
		return fail(err)
	}
	p, stop, err := o.store.dispatcher(ctx, &o.queue, "", nil)
	if err != nil {
		return fail(err)
	}
	defer stop()
	inputs := aggregator.Batch{Claims: []aggregator.ClaimInput{{Committee: members, Signatures: sigs, Lane: lane, Checkpoint: o.checkpoint}}}
	if o.leavesOnly {
		bp := &aggregator.BatchProof{}
		leaves, err := p.ProveLeaves(ctx, inputs, bp)
		if err != nil {
			return fail(err)
		}
		lf, err := p.EncodeLeaves(leaves)
		if err != nil {
			return fail(err)
		}
		if err := aggregator.WriteJSON(o.out, lf); err != nil {
			return fail(err)
		}
		if o.json {
			return writeJSONTo(out, map[string]any{"leaves": o.out, "statementHash": leaves.Statement.Hash(), "statement": leaves.Statement, "aggregation": lf.Aggregation})
		}
		fmt.Fprintf(out, "leaf proofs of statement %s written to %s (next: isthmus aggregate)\n", leaves.Statement.Hash(), o.out)
		return nil
	}
	bp, err := p.Prove(ctx, inputs)
	if err != nil {
		return fail(err)
	}
	return writeBatch(out, p, bp, o.out, o.json)
}

// writeJSONTo writes v as indented JSON.
func writeJSONTo(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeBatch writes a batch file and reports it: in text, or with asJSON the file's path,
// its statement hash and the proving stages.
func writeBatch(out io.Writer, p *aggregator.Prover, bp *aggregator.BatchProof, path string, asJSON bool) error {
	fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
	b, err := verifier.NewBatch(p.Wrap.Name, p.WrapConfig, bp.Statement, bp.Proof)
	if err != nil {
		return fail(err)
	}
	if err := verifier.WriteBatch(path, b); err != nil {
		return fail(err)
	}
	if asJSON {
		return writeJSONTo(out, map[string]any{"batch": path, "statementHash": b.Hash, "statement": b.Statement, "config": b.Config, "stages": bp.Stages})
	}
	s := bp.Statement
	fmt.Fprintf(out, "batch %s: %d lane claims, %d events, %d rotations, written to %s\n", b.Hash, len(s.Lanes), len(s.Events), len(s.Rotations), path)
	for _, c := range s.Lanes {
		fmt.Fprintf(out, "  lane %d → %d: %s, count %d at block %d\n", c.SrcDomain, c.DstDomain, c.Kind, c.Count, c.BlockNumber)
	}
	for _, s := range bp.Stages {
		fmt.Fprintf(out, "  %-16s %d proofs, %s\n", s.Name, s.Proofs, s.Elapsed.Round(time.Millisecond))
	}
	return nil
}

func newVerifyCmd(out io.Writer) *cobra.Command {
	var s storeFlag
	cmd := &cobra.Command{
		Use:     "verify BATCH",
		Example: "  isthmus verify batch.json",
		Short:   "Verify a batch file's proof natively, as the Solidity verifier does",
		Long: `Checks a batch file (isthmus.batch.v2) with the stored wrap key, as the Solidity
verifier generated for the file's config does (the verifier's CONFIG: the allow-list
root and the aggregation keys it was proven under).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, proof, err := verifier.ReadBatch(args[0])
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			st, err := s.store()
			if err != nil {
				return err
			}
			vk, _, err := st.VerifyingKey(b.Circuit)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if err := verifier.Verify(vk, proof, b.Statement.PublicInput(), b.Config.ToInt()); err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			return emit(cmd, out, map[string]any{"valid": true, "statementHash": b.Hash, "statement": b.Statement, "config": b.Config}, func() error {
				_, err := fmt.Fprintf(out, "valid: statement %s, %d lane claims, %d events, %d rotations, under config %s (the verifier's CONFIG)\n",
					b.Hash, len(b.Statement.Lanes), len(b.Statement.Events), len(b.Statement.Rotations), b.Config.ToInt())
				return err
			})
		},
	}
	s.register(cmd)
	return cmd
}

func newExportSolidityCmd(out io.Writer) *cobra.Command {
	var s storeFlag
	var file string
	cmd := &cobra.Command{
		Use:   "export-solidity",
		Short: "Write the Solidity verifier of the stored wrap key for this config",
		Long: `Exports the Groth16 verifier of the wrap's stored key (pragma pinned to the project's
solc), the contract the Inbox calls (IBatchVerifier), with the config fixed in it: the
allow-list of the kinds this config names and the aggregation keys (it loads every
circuit's stored verifying key, compiling each: a minute or two; 'isthmus setup' makes
them).`,
		Example: `  isthmus export-solidity --out Verifier.sol
  isthmus export-solidity --sync-domain 1 --sync-devnet-committee 8`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			p, err := s.opened()
			if err != nil {
				return err
			}
			w := out
			if file != "" {
				f, err := os.Create(file)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				defer f.Close()
				w = f
			}
			if err := verifier.ExportSolidity(p.Wrap.Keys.VK, p.WrapConfig, w); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			m := p.Wrap.Keys.Manifest
			slog.Info("verifier exported", "circuit", m.Circuit, "digest", m.Digest[:16], "config", p.WrapConfig, "development", p.Development())
			return nil
		},
	}
	s.registerCircuits(cmd)
	cmd.Flags().StringVar(&file, "out", "", "file to write (default: standard output)")
	return cmd
}

func newAggregateCmd(out io.Writer) *cobra.Command {
	var s storeFlag
	var q queueFlags
	var in, file string
	cmd := &cobra.Command{
		Use:     "aggregate --leaves FILE --out FILE",
		Example: "  isthmus aggregate --leaves leaves.json --out aggregation.json",
		Short:   "Aggregate a batch's leaf proofs (from prove --leaves-only) on BW6-761",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || file == "" {
				return usageError(errors.New("--leaves and --out are required"))
			}
			fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
			var lf aggregator.LeavesFile
			if err := aggregator.ReadJSON(in, &lf); err != nil {
				return fail(err)
			}
			if err := lf.Check(); err != nil {
				return fail(fmt.Errorf("%s: %w", in, err))
			}
			p, stop, err := s.dispatcher(cmdContext(cmd), &q, "", nil)
			if err != nil {
				return fail(err)
			}
			defer stop()
			leaves, err := p.DecodeLeaves(&lf)
			if err != nil {
				return fail(fmt.Errorf("%s: %w", in, err))
			}
			bp := &aggregator.BatchProof{}
			agg, err := p.ProveAggregation(cmdContext(cmd), leaves, bp)
			if err != nil {
				return fail(err)
			}
			af, err := p.EncodeAggregation(leaves.Statement, agg)
			if err != nil {
				return fail(err)
			}
			if err := aggregator.WriteJSON(file, af); err != nil {
				return fail(err)
			}
			return emit(cmd, out, map[string]any{"aggregation": file, "statementHash": leaves.Statement.Hash(), "circuit": af.Aggregation, "stages": bp.Stages}, func() error {
				_, err := fmt.Fprintf(out, "aggregation of statement %s written to %s in %s (next: isthmus wrap)\n", leaves.Statement.Hash(), file, bp.Stages[0].Elapsed.Round(time.Millisecond))
				return err
			})
		},
	}
	s.registerCircuits(cmd)
	q.register(cmd, true)
	cmd.Flags().StringVar(&in, "leaves", "", "leaf proofs file")
	cmd.Flags().StringVar(&file, "out", "", "aggregation file to write")
	return cmd
}

func newWrapCmd(out io.Writer) *cobra.Command {
	var s storeFlag
	var q queueFlags
	var in, file string
	cmd := &cobra.Command{
		Use:     "wrap --in FILE --out FILE",
		Example: "  isthmus wrap --in aggregation.json --out batch.json",
		Short:   "Wrap an aggregation proof on BN254 into a batch file for the Inbox",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || file == "" {
				return usageError(errors.New("--in and --out are required"))
			}
			fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
			var af aggregator.AggregationFile
			if err := aggregator.ReadJSON(in, &af); err != nil {
				return fail(err)
			}
			if err := af.Check(); err != nil {
				return fail(fmt.Errorf("%s: %w", in, err))
			}
			p, stop, err := s.dispatcher(cmdContext(cmd), &q, "", nil)
			if err != nil {
				return fail(err)
			}
			defer stop()
			agg, err := p.DecodeAggregation(&af)
			if err != nil {
				return fail(fmt.Errorf("%s: %w", in, err))
			}
			bp := &aggregator.BatchProof{Statement: af.Statement, PublicInput: af.Statement.PublicInput()}
			if err := p.ProveWrap(cmdContext(cmd), agg, bp); err != nil {
				return fail(err)
			}
			asJSON, _ := cmd.Flags().GetBool("json")
			return writeBatch(out, p, bp, file, asJSON)
		},
	}
	s.registerCircuits(cmd)
	q.register(cmd, true)
	cmd.Flags().StringVar(&in, "in", "", "aggregation file")
	cmd.Flags().StringVar(&file, "out", "", "batch file to write")
	return cmd
}

func (s *storeFlag) prover() (*aggregator.Prover, error) {
	st, cfg, err := s.storeAndConfig()
	if err != nil {
		return nil, err
	}
	return newPipelineProver(st, cfg, slog.Default())
}

// storeAndConfig are the flags' key store and config.
func (s *storeFlag) storeAndConfig() (*prover.Store, aggregator.Config, error) {
	st, err := s.store()
	if err != nil {
		return nil, aggregator.Config{}, err
	}
	cfg, err := s.config()
	return st, cfg, err
}

// opened is the prover of the flags' config over stored keys only (aggregator.OpenProver):
// what generates and deploys the verifier, with no setup.
func (s *storeFlag) opened() (*aggregator.Prover, error) {
	st, cfg, err := s.storeAndConfig()
	if err != nil {
		return nil, err
	}
	p, err := aggregator.OpenProver(st, cfg, slog.Default())
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return p, nil
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
