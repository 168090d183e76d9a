package chain

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
)

// DeployOutbox deploys an Outbox for the source domain.
func DeployOutbox(ctx context.Context, c *Client, key *ecdsa.PrivateKey, domain uint32) (common.Address, error) {
	addr, err := c.Deploy(ctx, key, common.FromHex(bindings.OutboxMetaData.Bin), bindings.NewOutbox().PackConstructor(domain))
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy Outbox: %w", err)
	}
	return addr, nil
}

// InboxConfig is an Inbox's constructor arguments. A zero Owner or Guardian is the deployer.
type InboxConfig struct {
	Domain          uint32
	Verifier        common.Address // the IBatchVerifier
	Owner, Guardian common.Address
	UpgradeDelay    time.Duration // at least a day
}

// DeployInbox deploys an Inbox.
func DeployInbox(ctx context.Context, c *Client, key *ecdsa.PrivateKey, cfg InboxConfig) (common.Address, error) {
	me := crypto.PubkeyToAddress(key.PublicKey)
	if cfg.Owner == (common.Address{}) {
		cfg.Owner = me
	}
	if cfg.Guardian == (common.Address{}) {
		cfg.Guardian = me
	}
	args := bindings.NewInbox().PackConstructor(cfg.Domain, cfg.Verifier, cfg.Owner, cfg.Guardian, big.NewInt(int64(cfg.UpgradeDelay/time.Second)))
	addr, err := c.Deploy(ctx, key, common.FromHex(bindings.InboxMetaData.Bin), args)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy Inbox: %w", err)
	}
	return addr, nil
}

// SourceDomain is what an Inbox is told of a source domain.
type SourceDomain struct {
	Domain       uint32
	Outbox       common.Address
	Adapter      uint8       // protocol.AdapterCommittee or protocol.AdapterSyncCommittee
	Committee    common.Hash // the trusted committee's commitment
	Epoch        uint64      // the committee's epoch (a sync committee's period)
	RateCapacity uint64      // 0: no rate limit
	RateWindow   uint32
}

// AddDomain registers a source domain with the Inbox (owner only).
func (d *Destination) AddDomain(ctx context.Context, key *ecdsa.PrivateKey, s SourceDomain) error {
	data := d.abi.PackAddDomain(s.Domain, s.Outbox, s.Adapter, s.Committee, s.Epoch, s.RateCapacity, s.RateWindow)
	if _, err := d.Client.Transact(ctx, key, d.bound, data, 0, d.abi.UnpackError); err != nil {
		return fmt.Errorf("inbox addDomain %d: %w", s.Domain, err)
	}
	return nil
}
