package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devkeys"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
)

// Config says how to set up the devnet.
type Config struct {
	SourceDomain      uint32
	DestinationDomain uint32
	// Committee is the source domain's initial committee commitment the Inbox trusts, under
	// Adapter (protocol.AdapterCommittee, the default, or AdapterSyncCommittee: the commitment
	// of the sync committee of period Epoch) from Epoch.
	Committee common.Hash
	Adapter   uint8
	Epoch     uint64
	// RateCapacity and RateWindow set the Inbox's rate limit for the source domain (0: none).
	RateCapacity uint64
	RateWindow   uint32
	// UpgradeDelay is the Inbox's verifier-upgrade delay (at least one day).
	UpgradeDelay time.Duration
	// DeployVerifier deploys the IBatchVerifier the Inbox uses and returns its address; nil
	// deploys the TestOnlyVerifier.
	DeployVerifier func(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey) (common.Address, error)
}

// DefaultConfig is domain 1 → domain 2 trusting the devnet committee, no rate limit,
// one-day upgrade delay, the TestOnlyVerifier.
func DefaultConfig() Config {
	c, _ := Committee()
	return Config{
		SourceDomain: 1, DestinationDomain: 2,
		Committee:    c.CommitmentHash(),
		UpgradeDelay: 24 * time.Hour,
	}
}

// The devnet's well-known keys, committees and beacon chain configuration live in package
// devkeys, which the production commands import without the devnet's nodes; here under
// their devnet names.
const CommitteeSize = devkeys.CommitteeSize

var (
	Committee        = devkeys.Committee
	CommitteeOfEpoch = devkeys.CommitteeOfEpoch
	Attest           = devkeys.Attest
	AttestRotation   = devkeys.AttestRotation
	DevKey           = devkeys.DevKey
	TestOnlyProof    = devkeys.TestOnlyProof
	BeaconConfig     = devkeys.BeaconConfig
)

// Devnet is a source and a destination chain with the contracts deployed.
type Devnet struct {
	Config      Config
	Source      *Chain
	Destination *Chain
	// Deployer deploys and owns the contracts; Relayer submits batches and delivers.
	Deployer, Relayer *ecdsa.PrivateKey
	Outbox            common.Address
	Inbox             common.Address
	// Verifier is the IBatchVerifier the Inbox uses (Config.DeployVerifier's, or the
	// TestOnlyVerifier).
	Verifier common.Address

	// Clients connected over JSON-RPC.
	SourceClient, DestinationClient *chain.Client
	Src                             *chain.Source
	Dst                             *chain.Destination
}

// Start starts both chains and deploys Outbox, TestOnlyVerifier and Inbox.
func Start(ctx context.Context, cfg Config) (d *Devnet, err error) {
	d = &Devnet{Config: cfg, Deployer: DevKey("deployer"), Relayer: DevKey("relayer")}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	funds := new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
	alloc := types.GenesisAlloc{}
	for _, k := range []*ecdsa.PrivateKey{d.Deployer, d.Relayer, DevKey("user")} {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: funds}
	}
	if d.Source, err = StartChain(cfg.SourceDomain, alloc); err != nil {
		return d, err
	}
	if d.Destination, err = StartChain(cfg.DestinationDomain, alloc); err != nil {
		return d, err
	}
	if d.SourceClient, err = dial(ctx, d.Source.URL); err != nil {
		return d, err
	}
	if d.DestinationClient, err = dial(ctx, d.Destination.URL); err != nil {
		return d, err
	}
	if err = d.deploy(ctx); err != nil {
		return d, err
	}
	return d, nil
}

func dial(ctx context.Context, url string) (*chain.Client, error) {
	c, err := chain.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	c.PollInterval = BlockInterval / 2
	return c, nil
}

func (d *Devnet) deploy(ctx context.Context) error {
	cfg := d.Config
	var err error
	if d.Outbox, err = chain.DeployOutbox(ctx, d.SourceClient, d.Deployer, cfg.SourceDomain); err != nil {
		return err
	}
	if cfg.DeployVerifier != nil {
		if d.Verifier, err = cfg.DeployVerifier(ctx, d.DestinationClient, d.Deployer); err != nil {
			return fmt.Errorf("verifier: %w", err)
		}
	} else if d.Verifier, err = d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestOnlyVerifierMetaData.Bin), nil); err != nil {
		return fmt.Errorf("test-only verifier: %w", err)
	}
	if d.Inbox, err = chain.DeployInbox(ctx, d.DestinationClient, d.Deployer, chain.InboxConfig{
		Domain: cfg.DestinationDomain, Verifier: d.Verifier, UpgradeDelay: cfg.UpgradeDelay,
	}); err != nil {
		return err
	}
	if d.Src, err = chain.NewSource(ctx, d.SourceClient, d.Outbox); err != nil {
		return err
	}
	if d.Dst, err = chain.NewDestination(ctx, d.DestinationClient, d.Inbox); err != nil {
		return err
	}
	return d.Dst.AddDomain(ctx, d.Deployer, chain.SourceDomain{
		Domain: cfg.SourceDomain, Outbox: d.Outbox, Committee: cfg.Committee, Adapter: cfg.Adapter, Epoch: cfg.Epoch,
		RateCapacity: cfg.RateCapacity, RateWindow: cfg.RateWindow,
	})
}

// Close stops everything that was started.
func (d *Devnet) Close() error {
	var errs []error
	for _, c := range []*chain.Client{d.SourceClient, d.DestinationClient} {
		if c != nil {
			c.Close()
		}
	}
	for _, c := range []*Chain{d.Source, d.Destination} {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
