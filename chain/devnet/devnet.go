package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
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

// CommitteeSize is the number of devnet attesters, of weight 10 each.
const CommitteeSize = 4

// Committee returns the source domain's devnet committee and its members' EdDSA keys,
// derived from the public seeds keccak256("isthmus devnet attester: "+i). Devnet only.
func Committee() (committee.Committee, []*eddsa.PrivateKey) { return CommitteeOfEpoch(0) }

// CommitteeOfEpoch is the devnet committee of an epoch: epoch 0's is Committee; a later
// epoch's keys come from the public seeds keccak256("isthmus devnet attester: epoch E: "+i).
// Devnet only.
func CommitteeOfEpoch(epoch uint64) (committee.Committee, []*eddsa.PrivateKey) {
	var c committee.Committee
	var keys []*eddsa.PrivateKey
	for i := 0; i < CommitteeSize; i++ {
		seed := fmt.Sprintf("isthmus devnet attester: %d", i)
		if epoch > 0 {
			seed = fmt.Sprintf("isthmus devnet attester: epoch %d: %d", epoch, i)
		}
		k, err := committee.KeyFromSeed(crypto.Keccak256Hash([]byte(seed)))
		if err != nil {
			panic(fmt.Sprintf("devnet attester key %d: %v", i, err)) // a fixed seed: cannot fail but by a bug
		}
		keys = append(keys, k)
		c = append(c, committee.Member{PublicKey: k.PublicKey, Weight: 10})
	}
	return c, keys
}

// Attest signs a finalized header of srcDomain with the first signers devnet attesters, as
// the header leaf checks: their signatures by member index.
func Attest(srcDomain uint32, number uint64, hash common.Hash, signers int) (map[int]*eddsa.Signature, error) {
	_, keys := Committee()
	digest := committee.DigestNative(srcDomain, number, hash)
	sigs := map[int]*eddsa.Signature{}
	for i := 0; i < signers && i < len(keys); i++ {
		s, err := committee.Sign(keys[i], digest)
		if err != nil {
			return nil, fmt.Errorf("attester %d: %w", i, err)
		}
		sigs[i] = s
	}
	return sigs, nil
}

// DevKey returns the devnet's well-known key for a role: keccak256("isthmus devnet key: "+role).
// These keys are public: devnet only. (A keccak output is a valid secp256k1 key but with
// probability ~2^-128; TestDevKeysAreValid checks the roles used.)
func DevKey(role string) *ecdsa.PrivateKey {
	return crypto.ToECDSAUnsafe(crypto.Keccak256([]byte("isthmus devnet key: " + role)))
}

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

// TestOnlyProof is the "proof" the TestOnlyVerifier accepts for a public input. It proves
// nothing: anyone can compute it. Devnet and tests only.
func TestOnlyProof(publicInput *big.Int) []byte {
	return crypto.Keccak256([]byte("isthmus.test-only-verifier"), common.BigToHash(publicInput).Bytes())
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

// AttestRotation signs, with the first signers members of the committee of epoch
// nextEpoch-1, the hand-over of srcDomain to the committee of nextEpoch: the rotation claim
// and its signatures by member index, as the rotation leaf checks.
func AttestRotation(srcDomain uint32, nextEpoch uint64, signers int) (protocol.RotationClaim, map[int]*eddsa.Signature, error) {
	if nextEpoch == 0 {
		return protocol.RotationClaim{}, nil, fmt.Errorf("no rotation to epoch 0")
	}
	current, keys := CommitteeOfEpoch(nextEpoch - 1)
	next, _ := CommitteeOfEpoch(nextEpoch)
	r := protocol.RotationClaim{SrcDomain: srcDomain, Committee: current.CommitmentHash(), NextEpoch: nextEpoch, NextCommittee: next.CommitmentHash()}
	digest := committee.RotationDigestNative(srcDomain, nextEpoch, r.NextCommittee)
	sigs := map[int]*eddsa.Signature{}
	for i := 0; i < signers && i < len(keys); i++ {
		s, err := committee.Sign(keys[i], digest)
		if err != nil {
			return protocol.RotationClaim{}, nil, fmt.Errorf("attester %d: %w", i, err)
		}
		sigs[i] = s
	}
	return r, sigs, nil
}
