package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/aggregator/relay"
	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/attest"
	"github.com/isthmus-xyz/isthmus/chain/beacon"
	"github.com/isthmus-xyz/isthmus/chain/devkeys"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

type relayOptions struct {
	config         string
	srcRPC, dstRPC string
	outbox, inbox  string
	dst            uint32
	keyFile        string
	devnetRelayer  bool
	attesters      []string
	trust          committeeFlags
	batchMessages  uint64
	maxAge         time.Duration
	poll           time.Duration
	stateDir       string
	metrics        string
	testOnlyProofs bool
	byReceipt      bool
	sync           syncCommitteeFlags
	store          storeFlag
	queue          queueFlags
}

func newRelayCmd(out io.Writer) *cobra.Command {
	o := &relayOptions{}
	cmd := &cobra.Command{
		Use: "relay",
		Example: `  isthmus relay --config relay.json
  isthmus relay --src-rpc http://127.0.0.1:8545 --dst-rpc http://127.0.0.1:8546 --outbox 0x… --inbox 0x… --key-file relayer.key --committee members.json --attesters http://a1:7001,http://a2:7001
  ISTHMUS_DST_RPC=http://127.0.0.1:8546 isthmus relay --config relay.json --by-receipt`,
		Short: "Run the relay: watch an Outbox lane, prove batches, submit them, deliver",
		Long: `Watches the lane from a source Outbox (--src-rpc, --outbox) to a destination Inbox
(--dst-rpc, --inbox). When --batch-messages wait, or the oldest has waited --max-age, it
proves the lane head at the source's finalized block (header signatures from --attesters),
submits the batch and delivers the messages. The Inbox is its ledger: killed at any point
and restarted, it resumes without losing or duplicating a message; a batch proven but not
yet accepted is kept in --state-dir and submitted on restart. Counters are served in
Prometheus format on --metrics.

For a source domain under Ethereum's sync committee (an Inbox deployed with --beacon), give
--beacon URL and --trusted-root ROOT instead of a committee and attesters: the relay's light
client follows that beacon node from the root, proves each batch under the update that
finalized its block (signed by the committee of the Inbox's period), and carries the
hand-over to the next period, one a batch, until the Inbox trusts the committee of the
light client's period. Its circuits add the sync-committee kinds of the Outbox's domain
(--sync-domain, default that domain) to the allow-list.

With --by-receipt each count is proven by its last message's MessageSent log (the
receipt's leaves instead of the Outbox's storage proofs); where that receipt is over the
receipt kind's bounds, by storage.

Every flag can come from the environment (ISTHMUS_ and the flag in capitals, dashes as
underscores, e.g. ISTHMUS_SRC_RPC) or from a YAML or JSON config file (--config, keys are
flag names, durations as "10m" or a number of seconds); the command line wins, then the
environment, then the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd.Flags(), o.config); err != nil {
				return usageError(err)
			}
			if err := required(map[string]string{"src-rpc": o.srcRPC, "dst-rpc": o.dstRPC, "outbox": o.outbox, "inbox": o.inbox}, "outbox", "inbox"); err != nil {
				return err
			}
			if o.testOnlyProofs {
				if err := unused(cmd, "--test-only-proofs proves nothing", "nats", "workers", "key-dir", "ack-wait", "max-tries",
					"nats-creds", "nats-nkey", "nats-user", "nats-ca", "nats-cert", "nats-key", "sync-domain", "sync-devnet-committee", "sync-forks"); err != nil {
					return err
				}
			}
			if o.devnetRelayer == (o.keyFile != "") {
				return usageError(errors.New("give one of --key-file and --devnet-relayer"))
			}
			if o.sync.url != "" {
				if o.trust.devnet || o.trust.file != "" || len(o.attesters) > 0 {
					return usageError(errors.New("--beacon proves under Ethereum's sync committee: no --committee, --devnet-committee or --attesters"))
				}
				return o.runEthereum(cmd.Context(), out)
			}
			if err := o.trust.check(); err != nil {
				return err
			}
			if !o.testOnlyProofs && len(o.attesters) == 0 {
				return usageError(errors.New("--attesters: the URLs of the source committee's attesters"))
			}
			return o.run(cmd.Context(), out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "YAML or JSON config file (keys are flag names)")
	f.StringVar(&o.srcRPC, "src-rpc", "", "source chain JSON-RPC endpoint")
	f.StringVar(&o.dstRPC, "dst-rpc", "", "destination chain JSON-RPC endpoint")
	f.StringVar(&o.outbox, "outbox", "", "source Outbox address")
	f.StringVar(&o.inbox, "inbox", "", "destination Inbox address")
	f.StringVar(&o.keyFile, "key-file", "", "file holding the relayer's secp256k1 key in hex")
	f.BoolVar(&o.devnetRelayer, "devnet-relayer", false, "use the devnet's public relayer key (devnet only)")
	f.StringSliceVar(&o.attesters, "attesters", nil, "attester URLs")
	o.trust.register(cmd, "the source domain's committee file")
	o.sync.register(cmd)
	f.Uint64Var(&o.batchMessages, "batch-messages", 64, "prove once this many messages wait")
	f.DurationVar(&o.maxAge, "max-age", 10*time.Minute, "or once the oldest waiting message has waited this long")
	f.DurationVar(&o.poll, "poll", 2*time.Second, "how often to look at both chains")
	f.StringVar(&o.stateDir, "state-dir", "isthmus-relay", "folder for the batch proven but not yet accepted")
	f.StringVar(&o.metrics, "metrics", "127.0.0.1:9464", "loopback address serving Prometheus metrics (empty: none)")
	f.BoolVar(&o.testOnlyProofs, "test-only-proofs", false, "submit TestOnlyProofs instead of proving (an Inbox with the TestOnlyVerifier only)")
	f.BoolVar(&o.byReceipt, "by-receipt", false, "prove each count by its last message's MessageSent log (3 leaf proofs and the header's) instead of storage; by storage where the receipt is over the receipt kind's bounds")
	o.store.registerCircuits(cmd)
	o.queue.register(cmd, true)
	return cmd
}

// applyConfig fills the flags not given on the command line from the environment, then from
// the config file (YAML or JSON).
func applyConfig(fs *pflag.FlagSet, file string) error {
	var data []byte
	if file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return fmt.Errorf("--config: %w", err)
		}
	}
	return applyConfigData(fs, file, data)
}

// applyConfigData is applyConfig with the config file's bytes (none: no file), read by koanf
// as YAML, of which JSON is a subset. Keys are flag names; numbers are taken as written
// (1000000, not 1e+06); a duration may be a string ("10m") or a number of seconds (600); a
// list flag takes a list.
func applyConfigData(fs *pflag.FlagSet, file string, data []byte) error {
	k := koanf.New(".")
	if data != nil {
		if err := k.Load(rawbytes.Provider(data), yaml.Parser()); err != nil {
			return fmt.Errorf("--config %s: %w", file, err)
		}
		for _, key := range k.Keys() {
			if fs.Lookup(key) == nil {
				return fmt.Errorf("--config %s: unknown setting %q", file, key)
			}
		}
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		env := "ISTHMUS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			return
		}
		if !k.Exists(f.Name) {
			return
		}
		seconds := ""
		if f.Value.Type() == "duration" {
			seconds = "s" // a duration written as a number is in seconds
		}
		var s string
		switch x := k.Get(f.Name).(type) {
		case string:
			s = x
		case []any:
			var parts []string
			for _, p := range x {
				parts = append(parts, fmt.Sprint(p))
			}
			s = strings.Join(parts, ",")
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64) + seconds
		case int, int64, uint64:
			s = fmt.Sprint(x) + seconds
		default:
			s = fmt.Sprint(x)
		}
		if err := f.Value.Set(s); err != nil {
			errs = append(errs, fmt.Errorf("config %s: %w", f.Name, err))
		}
	})
	return errors.Join(errs...)
}

func (o *relayOptions) key() (*ecdsa.PrivateKey, error) {
	if o.devnetRelayer {
		return devkeys.DevKey("relayer"), nil
	}
	data, err := os.ReadFile(o.keyFile)
	if err != nil {
		return nil, err
	}
	k, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(data)), "0x"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.keyFile, err)
	}
	return k, nil
}

func (o *relayOptions) run(parent context.Context, out io.Writer) error {
	ctx, stop := interruptible(parent)
	defer stop()
	fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
	log := slog.Default()
	key, err := o.key()
	if err != nil {
		return fail(err)
	}
	src, dst, err := o.chains(ctx)
	if err != nil {
		return fail(err)
	}
	members, err := o.trust.committee()
	if err != nil {
		return fail(err)
	}
	// The committees by epoch: the Inbox's current one, then each successor whose hand-over
	// a quorum signed (the attesters serve its members with it).
	st, err := dst.State(ctx, src.Domain)
	if err != nil {
		return fail(err)
	}
	if members.CommitmentHash() != st.Committee {
		return fail(fmt.Errorf("the committee given has commitment %s; the Inbox trusts %s (epoch %d) for domain %d",
			members.CommitmentHash(), st.Committee, st.Epoch, src.Domain))
	}
	committees := map[uint64]committee.Committee{st.Epoch: members}
	handOvers := map[uint64]aggregator.RotationInput{}
	rotation := func(ctx context.Context, next uint64) (bool, error) {
		if _, ok := handOvers[next]; ok {
			return true, nil
		}
		current, ok := committees[next-1]
		if !ok {
			return false, nil
		}
		rot, sigs, err := attest.CollectRotation(ctx, o.attesters, current, src.Domain, next, nil)
		if errors.Is(err, attest.ErrNoQuorum) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		log.Info("committee hand-over signed by a quorum", "epoch", next, "next", rot.Claim.NextCommittee, "members", len(rot.Next))
		committees[next] = rot.Next
		handOvers[next] = aggregator.RotationInput{Claim: rot.Claim, Committee: current, Signatures: sigs}
		return true, nil
	}
	// A batch carries the lane claim the relay asks for (by storage or by receipt) and the
	// hand-over when due; the prover cuts it to what one aggregation holds (Prover.Fit: a
	// due hand-over alone first), and the relay proves the rest in the next batch.
	batchOf := func(c relay.Claim, sigs map[int]*eddsa.Signature) (aggregator.Batch, error) {
		members, ok := committees[c.Epoch]
		if !ok {
			return aggregator.Batch{}, fmt.Errorf("no members known for the committee of epoch %d", c.Epoch)
		}
		var b aggregator.Batch
		if c.Receipt != nil {
			b.Receipts = []aggregator.ReceiptInput{{Committee: members, Signatures: sigs, Proof: c.Receipt, Outbox: src.Outbox}}
		} else {
			b.Claims = []aggregator.ClaimInput{{Committee: members, Signatures: sigs, Lane: c.Lane}}
		}
		if c.Rotate {
			b.Rotations = []aggregator.RotationInput{handOvers[c.Epoch+1]}
		}
		return b, nil
	}
	// header is the block a claim is proven at.
	header := func(c relay.Claim) *types.Header {
		if c.Receipt != nil {
			return c.Receipt.Header
		}
		return c.Lane.Header
	}
	reg := newRegistry()
	var prove relay.Prover
	if o.testOnlyProofs {
		log.Warn("--test-only-proofs: batches carry TestOnlyProofs, which prove nothing")
		prove = func(ctx context.Context, c relay.Claim) (*relay.Batch, error) {
			b, err := batchOf(c, nil)
			if err != nil {
				return nil, err
			}
			var s protocol.Statement
			for i := range b.Claims {
				claim, err := b.Claims[i].Claim()
				if err != nil {
					return nil, err
				}
				s.Lanes = append(s.Lanes, claim)
			}
			for i := range b.Receipts {
				lane, _, err := b.Receipts[i].Claim()
				if err != nil {
					return nil, err
				}
				s.Lanes = append(s.Lanes, *lane)
			}
			for _, r := range b.Rotations {
				s.Rotations = append(s.Rotations, r.Claim)
			}
			return &relay.Batch{Statement: s, Proof: devkeys.TestOnlyProof(s.PublicInput())}, nil
		}
	} else {
		p, stop, err := o.store.dispatcher(ctx, &o.queue, filepath.Join(o.stateDir, "jetstream"), reg)
		if err != nil {
			return fail(err)
		}
		defer stop()
		prove = func(ctx context.Context, c relay.Claim) (*relay.Batch, error) {
			h := header(c)
			members, ok := committees[c.Epoch]
			if !ok {
				return nil, fmt.Errorf("no members known for the committee of epoch %d", c.Epoch)
			}
			sigs, err := attest.Collect(ctx, o.attesters, members, src.Domain, h.Number.Uint64(), h.Hash(), log)
			if err != nil {
				return nil, err
			}
			b, err := batchOf(c, sigs)
			if err != nil {
				return nil, err
			}
			plan, err := p.Fit(b)
			if err != nil {
				return nil, receiptFallback(c, err)
			}
			bp, calldata, err := proveForInbox(p.ProvePlanned(ctx, plan))
			if err != nil {
				return nil, err
			}
			return &relay.Batch{Statement: bp.Statement, Proof: calldata}, nil
		}
	}
	r := &relay.Relay{
		Config: relay.Config{SrcDomain: src.Domain, DstDomain: dst.Domain, BatchMessages: o.batchMessages, MaxAge: o.maxAge,
			Poll: o.poll, StateDir: o.stateDir, Key: key, ByReceipt: o.byReceipt},
		Src: src, Dst: dst, Prove: prove, Rotation: rotation, Metrics: &relay.Metrics{}, Log: log,
	}
	reg.MustRegister(r.Metrics)
	closeMetrics, err := serveMetrics(o.metrics, reg, log)
	if err != nil {
		return fail(err)
	}
	defer closeMetrics()
	fmt.Fprintf(out, "relay %d → %d: Outbox %s, Inbox %s\n", src.Domain, dst.Domain, src.Outbox, dst.Inbox)
	if err := r.Run(ctx); err != nil {
		return fail(err)
	}
	log.Info("relay stopped")
	return nil
}

// runEthereum runs the relay of a domain under Ethereum's sync committee: its light client
// follows the beacon node from the trusted root, and each batch proves a lane claim (with the
// hand-over to the next period when due) under the update that finalized its block.
func (o *relayOptions) runEthereum(parent context.Context, out io.Writer) error {
	ctx, stop := interruptible(parent)
	defer stop()
	fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
	log := slog.Default()
	root, err := o.sync.trustedRoot()
	if err != nil {
		return err
	}
	key, err := o.key()
	if err != nil {
		return fail(err)
	}
	src, dst, err := o.chains(ctx)
	if err != nil {
		return fail(err)
	}
	client := beacon.NewClient(o.sync.url)
	f, err := beacon.Follow(ctx, client, o.sync.config(), root)
	if err != nil {
		return fail(err)
	}
	reg := newRegistry()
	var prove relay.Prover
	if o.testOnlyProofs {
		log.Warn("--test-only-proofs: batches carry TestOnlyProofs, which prove nothing")
		prove = testOnlyEthereumBatch
	} else {
		if o.store.syncDomain == 0 {
			o.store.syncDomain = src.Domain
		}
		if o.store.syncDomain != src.Domain {
			return usageError(fmt.Errorf("--sync-domain %d: the Outbox's domain is %d", o.store.syncDomain, src.Domain))
		}
		if o.store.syncSize == 0 {
			o.store.syncSize = o.sync.devnetSize
		}
		p, stop, err := o.store.dispatcher(ctx, &o.queue, filepath.Join(o.stateDir, "jetstream"), reg)
		if err != nil {
			return fail(err)
		}
		defer stop()
		prove = func(ctx context.Context, c relay.Claim) (*relay.Batch, error) {
			plan, err := p.Fit(ethereumBatch(ctx, c, dst))
			if err != nil {
				return nil, err
			}
			bp, calldata, err := proveForInbox(p.ProvePlanned(ctx, plan))
			if err != nil {
				return nil, err
			}
			return &relay.Batch{Statement: bp.Statement, Proof: calldata}, nil
		}
	}
	r := &relay.Relay{
		Config: relay.Config{SrcDomain: src.Domain, DstDomain: dst.Domain, BatchMessages: o.batchMessages, MaxAge: o.maxAge,
			Poll: o.poll, StateDir: o.stateDir, Key: key},
		Src: src, Dst: dst, Prove: prove, Ethereum: &relay.Ethereum{Follower: f, Clock: client.Clock(12)}, Metrics: &relay.Metrics{}, Log: log,
	}
	reg.MustRegister(r.Metrics)
	closeMetrics, err := serveMetrics(o.metrics, reg, log)
	if err != nil {
		return fail(err)
	}
	defer closeMetrics()
	fmt.Fprintf(out, "relay %d → %d under Ethereum's sync committee (beacon node %s): Outbox %s, Inbox %s\n", src.Domain, dst.Domain, o.sync.url, src.Outbox, dst.Inbox)
	if err := r.Run(ctx); err != nil {
		return fail(err)
	}
	log.Info("relay stopped")
	return nil
}

// ethereumBatch is the batch of a relay claim under the sync committee: its lane claim under
// the claim's update and, with Rotate, the hand-over that update carries (over several
// batches, the first run dst lacks, or the hand-over once it holds them all).
func ethereumBatch(ctx context.Context, c relay.Claim, dst *chain.Destination) aggregator.Batch {
	b := aggregator.Batch{Claims: []aggregator.ClaimInput{{Lane: c.Lane, Sync: c.Sync}}}
	if c.Rotate {
		b.SyncRotations = []aggregator.SyncRotationInput{{SrcDomain: c.Lane.SrcDomain, Update: c.Sync}}
		if dst != nil {
			b.SyncRotations[0].Recorded = func(f common.Hash) (bool, error) { return dst.KeyRunProven(ctx, f) }
		}
	}
	return b
}

// testOnlyEthereumBatch is the batch of a relay claim under the sync committee with a
// TestOnlyProof, which proves nothing (an Inbox with the TestOnlyVerifier only).
func testOnlyEthereumBatch(_ context.Context, c relay.Claim) (*relay.Batch, error) {
	b := ethereumBatch(context.Background(), c, nil)
	claim, err := b.Claims[0].Claim()
	if err != nil {
		return nil, err
	}
	s := protocol.Statement{Lanes: []protocol.LaneClaim{claim}}
	for _, r := range b.SyncRotations {
		s.Rotations = append(s.Rotations, r.Claim())
	}
	return &relay.Batch{Statement: s, Proof: devkeys.TestOnlyProof(s.PublicInput())}, nil
}

// chains dials both chains and binds the Outbox and the Inbox.
func (o *relayOptions) chains(ctx context.Context) (*chain.Source, *chain.Destination, error) {
	srcClient, err := chain.Dial(ctx, o.srcRPC)
	if err != nil {
		return nil, nil, err
	}
	dstClient, err := chain.Dial(ctx, o.dstRPC)
	if err != nil {
		return nil, nil, err
	}
	src, err := chain.NewSource(ctx, srcClient, common.HexToAddress(o.outbox))
	if err != nil {
		return nil, nil, err
	}
	dst, err := chain.NewDestination(ctx, dstClient, common.HexToAddress(o.inbox))
	if err != nil {
		return nil, nil, err
	}
	return src, dst, nil
}

// receiptFallback is the error the relay gets for a claim the prover refused: for a claim by
// receipt whose receipt the kinds cannot take, or whose pieces no aggregation holds, one
// wrapping relay.ErrReceiptTooLarge (the relay then proves the lane by storage).
func receiptFallback(c relay.Claim, err error) error {
	if c.Receipt != nil && (errors.Is(err, aggregator.ErrReceiptTooLarge) || errors.Is(err, aggregator.ErrTooManyLeaves)) {
		return fmt.Errorf("%w: %w", relay.ErrReceiptTooLarge, err)
	}
	return err
}
