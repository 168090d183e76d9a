package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/attest"
	"github.com/isthmus-xyz/isthmus/chain/beacon"
	"github.com/isthmus-xyz/isthmus/chain/devkeys"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// deployerFlags is how the deploy commands reach a chain and sign.
type deployerFlags struct {
	rpc     string
	keyFile string
	devnet  bool
	timeout time.Duration
}

func (d *deployerFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&d.rpc, "rpc", "", "JSON-RPC endpoint of the chain to deploy to")
	f.StringVar(&d.keyFile, "key-file", "", "file holding the deployer's secp256k1 key in hex")
	f.BoolVar(&d.devnet, "devnet-deployer", false, "use the devnet's public deployer key (devnet only)")
	f.DurationVar(&d.timeout, "timeout", 5*time.Minute, "give up after this long")
}

func (d *deployerFlags) connect(parent context.Context) (context.Context, context.CancelFunc, *chain.Client, *ecdsa.PrivateKey, error) {
	if d.rpc == "" {
		return nil, nil, nil, nil, usageError(errors.New("--rpc is required"))
	}
	if d.devnet == (d.keyFile != "") {
		return nil, nil, nil, nil, usageError(errors.New("give one of --key-file and --devnet-deployer"))
	}
	var key *ecdsa.PrivateKey
	if d.devnet {
		key = devkeys.DevKey("deployer")
	} else {
		data, err := os.ReadFile(d.keyFile)
		if err != nil {
			return nil, nil, nil, nil, &exitError{code: exitFailure, err: err}
		}
		if key, err = crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(data)), "0x")); err != nil {
			return nil, nil, nil, nil, &exitError{code: exitFailure, err: fmt.Errorf("%s: %w", d.keyFile, err)}
		}
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, d.timeout)
	c, err := chain.Dial(ctx, d.rpc)
	if err != nil {
		cancel()
		return nil, nil, nil, nil, &exitError{code: exitFailure, err: err}
	}
	return ctx, cancel, c, key, nil
}

func newDeployCmd(out io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Deploy the Outbox, a verifier and an Inbox, or the LayerZero and Hyperlane adapters", Args: cobra.NoArgs}

	var ob deployerFlags
	var obDomain uint32
	outbox := &cobra.Command{
		Use: "outbox", Short: "Deploy an Outbox on a source chain", Args: cobra.NoArgs,
		Example: `  isthmus deploy outbox --rpc http://127.0.0.1:8545 --domain 1 --key-file deployer.key`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if obDomain == 0 {
				return usageError(errors.New("--domain is required"))
			}
			ctx, cancel, c, key, err := ob.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			addr, err := chain.DeployOutbox(ctx, c, key, obDomain)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return emit(cmd, out, map[string]any{"domain": obDomain, "outbox": addr}, func() error {
				_, err := fmt.Fprintf(out, "Outbox of domain %d: %s\n", obDomain, addr)
				return err
			})
		},
	}
	ob.register(outbox)
	outbox.Flags().Uint32Var(&obDomain, "domain", 0, "the source chain's protocol domain")

	var ib deployerFlags
	var store storeFlag
	var trust committeeFlags
	var sync syncCommitteeFlags
	var ibDomain, srcDomain uint32
	var srcOutbox, verifierAddr string
	var allowDevKeys bool
	var delay time.Duration
	inbox := &cobra.Command{
		Use: "inbox",
		Example: `  isthmus deploy inbox --rpc http://127.0.0.1:8546 --domain 2 --src-domain 1 --outbox 0x… --committee members.json --key-file deployer.key
  isthmus deploy inbox --rpc http://127.0.0.1:8546 --domain 2 --src-domain 1 --outbox 0x… --beacon http://beacon:5052 --trusted-root 0x… --sync-domain 1 --key-file deployer.key`,
		Short: "Deploy the generated verifier and an Inbox trusting a source domain",
		Long: `Deploys the Groth16 verifier exported from the stored wrap key (or uses --verifier, an
IBatchVerifier already deployed) and an Inbox that checks batches with it, then registers
the source domain (--src-domain, --outbox) with its committee's commitment (--committee,
a committee file; --devnet-committee for the devnet's, whose keys are public), or, for a
source final under Ethereum's sync committee, with the commitment of the sync committee
of the period of a trusted beacon block root (--beacon, a beacon node's REST API, and
--trusted-root: the node's bootstrap of that root is checked against it, its committee by
its branch).

Keys made by 'isthmus setup' are development keys: whoever ran the setup could have kept
its randomness and can then prove any statement. Deploying a verifier from them needs
--allow-development-keys; production verifiers come from a multi-party ceremony.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ibDomain == 0 || srcDomain == 0 {
				return usageError(errors.New("--domain and --src-domain are required (non-zero)"))
			}
			if err := required(map[string]string{"outbox": srcOutbox}, "outbox"); err != nil {
				return err
			}
			if verifierAddr != "" && !common.IsHexAddress(verifierAddr) {
				return usageError(fmt.Errorf("--verifier %q is not an address", verifierAddr))
			}
			fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
			source := chain.SourceDomain{Domain: srcDomain, Outbox: common.HexToAddress(srcOutbox)}
			if sync.url == "" {
				if err := trust.check(); err != nil {
					return err
				}
				members, err := trust.committee()
				if err != nil {
					return fail(err)
				}
				source.Adapter, source.Committee = protocol.AdapterCommittee, members.CommitmentHash()
			} else if trust.file != "" || trust.devnet {
				return usageError(errors.New("--beacon trusts a sync committee: give no --committee"))
			}
			ctx, cancel, c, key, err := ib.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			if sync.url != "" {
				if source.Committee, source.Epoch, err = sync.committee(ctx); err != nil {
					return err
				}
				source.Adapter = protocol.AdapterSyncCommittee
			}
			v := common.HexToAddress(verifierAddr)
			if verifierAddr == "" {
				p, err := store.opened()
				if err != nil {
					return err
				}
				if err := developmentGuard(p.Development(), p.Store().Dir, allowDevKeys); err != nil {
					return err
				}
				compiled, err := p.Verifier()
				if err != nil {
					return fail(err)
				}
				if v, err = verifier.Deploy(ctx, c, key, compiled); err != nil {
					return fail(err)
				}
				if j, _ := cmd.Flags().GetBool("json"); !j {
					fmt.Fprintf(out, "batch verifier (generated Groth16, IBatchVerifier): %s\n", v)
				}
			}
			addr, err := chain.DeployInbox(ctx, c, key, chain.InboxConfig{Domain: ibDomain, Verifier: v, UpgradeDelay: delay})
			if err != nil {
				return fail(err)
			}
			dst, err := chain.NewDestination(ctx, c, addr)
			if err != nil {
				return fail(err)
			}
			if err := dst.AddDomain(ctx, key, source); err != nil {
				return fail(err)
			}
			return emit(cmd, out, map[string]any{"domain": ibDomain, "inbox": addr, "verifier": v, "srcDomain": srcDomain, "outbox": source.Outbox,
				"committee": source.Committee, "epoch": source.Epoch}, func() error {
				_, err := fmt.Fprintf(out, "Inbox of domain %d: %s (source domain %d, Outbox %s, committee %s, epoch %d)\n", ibDomain, addr, srcDomain, source.Outbox, source.Committee, source.Epoch)
				return err
			})
		},
	}
	ib.register(inbox)
	store.registerCircuits(inbox)
	f := inbox.Flags()
	f.Uint32Var(&ibDomain, "domain", 0, "the destination chain's protocol domain")
	f.Uint32Var(&srcDomain, "src-domain", 0, "the source domain to trust")
	f.StringVar(&srcOutbox, "outbox", "", "the source domain's Outbox")
	f.StringVar(&verifierAddr, "verifier", "", "an IBatchVerifier already deployed (default: deploy the generated one)")
	trust.register(inbox, "the source domain's committee file")
	sync.register(inbox)
	f.BoolVar(&allowDevKeys, "allow-development-keys", false, "deploy a verifier from development keys (made by 'isthmus setup': not for value)")
	f.DurationVar(&delay, "upgrade-delay", 24*time.Hour, "verifier upgrade delay (at least a day)")

	cmd.AddCommand(outbox, inbox, newDeployCheckCmd(out), newDeployHyperlaneCmd(out), newDeployDVNCmd(out), newDeployDVNPathCmd(out))
	return cmd
}

// newDeployCheckCmd checks a deployed Inbox's verifier against the stored keys.
func newDeployCheckCmd(out io.Writer) *cobra.Command {
	var rpc, inboxAddr string
	var timeout time.Duration
	var store storeFlag
	cmd := &cobra.Command{
		Use:   "check --rpc URL --inbox ADDR",
		Short: "Check that an Inbox's verifier is the one of the stored keys, and whose keys they are",
		Long: `Reads the Inbox's batch verifier (and the one pending behind its upgrade delay, if any) and
compares its code with the verifier of the stored keys for the config (the wrap key, the
allow-list of the leaf kinds' keys and the aggregation keys: the generated verifier holds
them all as constants). Then lists every circuit of the config with the origin of its keys:
a ceremony (its transcript hash, to compare with the one the ceremony published) or a
development setup. Exits 1 if the code differs or any key is a development key.`,
		Example: `  isthmus deploy check --rpc https://rpc.example --inbox 0x5FbDB2315678afecb367f032d93F642f64180aa3`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rpc == "" || !common.IsHexAddress(inboxAddr) {
				return usageError(fmt.Errorf("--rpc and --inbox (an address, not %q) are required", inboxAddr))
			}
			fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
			p, err := store.opened()
			if err != nil {
				return err
			}
			compiled, err := p.Verifier()
			if err != nil {
				return fail(err)
			}
			ctx, cancel := context.WithTimeout(cmdContext(cmd), timeout)
			defer cancel()
			c, err := chain.Dial(ctx, rpc)
			if err != nil {
				return fail(err)
			}
			defer c.Close()
			dst, err := chain.NewDestination(ctx, c, common.HexToAddress(inboxAddr))
			if err != nil {
				return fail(err)
			}
			current, pending, err := dst.Verifiers(ctx)
			if err != nil {
				return fail(err)
			}
			type key struct {
				Circuit    string `json:"circuit"`
				Curve      string `json:"curve"`
				Origin     string `json:"origin"`
				Transcript string `json:"transcript,omitempty"`
			}
			v := struct {
				Verifier        common.Address `json:"verifier"`
				Matches         bool           `json:"matches"`
				Mismatch        string         `json:"mismatch,omitempty"`
				Pending         common.Address `json:"pending"`
				PendingMatches  bool           `json:"pendingMatches"`
				Config          string         `json:"config"`
				Keys            []key          `json:"keys"`
				DevelopmentKeys int            `json:"developmentKeys"`
			}{Verifier: current, Pending: pending, Config: p.WrapConfig.String()}
			if err := verifier.CheckDeployed(ctx, c, current, compiled); err != nil {
				v.Mismatch = err.Error()
			} else {
				v.Matches = true
			}
			if pending != (common.Address{}) {
				v.PendingMatches = verifier.CheckDeployed(ctx, c, pending, compiled) == nil
			}
			for _, circ := range p.Circuits() {
				m := circ.Keys.Manifest
				k := key{Circuit: circ.Name, Curve: m.Curve, Origin: "development"}
				switch {
				case m.Ceremony != nil:
					k.Origin, k.Transcript = "ceremony", m.Ceremony.Transcript
				case !m.Development:
					k.Origin = "ceremony"
				default:
					v.DevelopmentKeys++
				}
				v.Keys = append(v.Keys, k)
			}
			err = emit(cmd, out, v, func() error {
				w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "CIRCUIT\tCURVE\tKEYS\tTRANSCRIPT")
				for _, k := range v.Keys {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.Circuit, k.Curve, k.Origin, k.Transcript)
				}
				if err := w.Flush(); err != nil {
					return err
				}
				if v.Matches {
					fmt.Fprintf(out, "the Inbox's verifier %s is the verifier of these keys (config %s)\n", current, v.Config)
				} else {
					fmt.Fprintf(out, "the Inbox's verifier %s is NOT the verifier of these keys: %s\n", current, v.Mismatch)
				}
				if pending != (common.Address{}) {
					fmt.Fprintf(out, "pending verifier %s: matches these keys: %v\n", pending, v.PendingMatches)
				}
				return nil
			})
			if err != nil {
				return err
			}
			switch {
			case !v.Matches:
				return fail(errors.New(v.Mismatch))
			case v.DevelopmentKeys > 0:
				return fail(fmt.Errorf("%d of the config's %d keys are development keys (one party's local randomness)", v.DevelopmentKeys, len(v.Keys)))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rpc, "rpc", "", "JSON-RPC endpoint of the destination chain")
	cmd.Flags().StringVar(&inboxAddr, "inbox", "", "the Inbox's address")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	store.registerCircuits(cmd)
	return cmd
}

// committeeFlags name the committee a command trusts: a committee file, or the devnet's
// (whose keys come from public seeds) only when asked for by name.
type committeeFlags struct {
	file   string
	devnet bool
}

func (c *committeeFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&c.file, "committee", "", what+" (JSON: publicKey, weight per member)")
	cmd.Flags().BoolVar(&c.devnet, "devnet-committee", false, "trust the devnet committee, whose keys are public (devnet only)")
}

// check refuses neither or both flags, naming --committee.
func (c *committeeFlags) check() error {
	if c.devnet && c.file != "" {
		return usageError(errors.New("--committee and --devnet-committee both name the committee: give one"))
	}
	if !c.devnet && c.file == "" {
		return usageError(errors.New("--committee is required: the committee file of the source domain (or --devnet-committee on a devnet; its keys are public)"))
	}
	return nil
}

func (c *committeeFlags) committee() (committee.Committee, error) {
	if c.devnet {
		members, _ := devkeys.Committee()
		return members, nil
	}
	data, err := os.ReadFile(c.file)
	if err != nil {
		return nil, err
	}
	return attest.DecodeCommittee(data)
}

// syncCommitteeFlags name a sync committee to trust: a beacon node and a block root the
// operator trusts (a weak-subjectivity checkpoint); a devnet beacon chain's committee size.
// developmentGuard refuses to deploy a verifier of development keys (the circuits dev name)
// unless allowed.
func developmentGuard(dev []string, dir string, allow bool) error {
	if len(dev) == 0 || allow {
		return nil
	}
	return usageError(fmt.Errorf("the keys of %s in %s are development keys (one party's local randomness: whoever ran the setup can prove anything); --allow-development-keys deploys their verifier anyway, for tests and devnets", strings.Join(dev, ", "), dir))
}

type syncCommitteeFlags struct {
	url, root  string
	devnetSize int
}

func (s *syncCommitteeFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.url, "beacon", "", "a beacon node's REST API: trust Ethereum's sync committee of --trusted-root's period")
	f.StringVar(&s.root, "trusted-root", "", "the beacon block root to bootstrap from (with --beacon)")
	f.IntVar(&s.devnetSize, "beacon-devnet-committee", 0, "the devnet beacon chain's committee size (default: Ethereum mainnet's rules)")
}

// trustedRoot is --trusted-root.
func (s *syncCommitteeFlags) trustedRoot() (common.Hash, error) {
	root, err := hexutil.Decode(s.root)
	if err != nil || len(root) != 32 {
		return common.Hash{}, usageError(fmt.Errorf("--trusted-root %q is not a 32-byte block root", s.root))
	}
	return common.BytesToHash(root), nil
}

// config is the beacon chain's light-client config: Ethereum mainnet's, or the devnet's at
// --beacon-devnet-committee.
func (s *syncCommitteeFlags) config() synccommittee.Config {
	if s.devnetSize > 0 {
		return devkeys.BeaconConfig(s.devnetSize)
	}
	return synccommittee.Mainnet()
}

// committee bootstraps from the trusted root and returns the commitment of its period's sync
// committee, and the period.
func (s *syncCommitteeFlags) committee(ctx context.Context) (common.Hash, uint64, error) {
	root, err := s.trustedRoot()
	if err != nil {
		return common.Hash{}, 0, err
	}
	cfg := s.config()
	f, err := beacon.Follow(ctx, beacon.NewClient(s.url), cfg, root)
	if err != nil {
		return common.Hash{}, 0, &exitError{code: exitFailure, err: err}
	}
	period := cfg.Period(f.Store.Finalized.Slot)
	c := synccommittee.CommitmentOf(f.Store.Current, period)
	return common.Hash(c.Bytes()), period, nil
}
