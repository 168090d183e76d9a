package chain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Destination is a destination chain's Inbox.
type Destination struct {
	Client *Client
	Inbox  common.Address
	Domain uint32
	abi    *bindings.Inbox
	bound  *bind.BoundContract
}

// NewDestination binds the Inbox at addr and reads its domain.
func NewDestination(ctx context.Context, c *Client, addr common.Address) (*Destination, error) {
	d := &Destination{Client: c, Inbox: addr, abi: bindings.NewInbox()}
	d.bound = c.Contract(d.abi, addr)
	var err error
	d.Domain, err = c.localDomain(ctx, d.bound, d.abi.PackLocalDomain(), d.abi.UnpackLocalDomain, "Inbox")
	return d, err
}

// Verifiers are the Inbox's batch verifier and the one pending behind its upgrade delay
// (zero if none).
func (d *Destination) Verifiers(ctx context.Context) (current, pending common.Address, err error) {
	opts := &bind.CallOpts{Context: ctx}
	if current, err = bind.Call(d.bound, opts, d.abi.PackVerifier(), d.abi.UnpackVerifier); err != nil {
		return current, pending, fmt.Errorf("inbox verifier(): %w", err)
	}
	if pending, err = bind.Call(d.bound, opts, d.abi.PackPendingVerifier(), d.abi.UnpackPendingVerifier); err != nil {
		return current, pending, fmt.Errorf("inbox pendingVerifier(): %w", err)
	}
	return current, pending, nil
}

// DomainState is what the Inbox keeps about one source domain.
type DomainState = bindings.InboxDomain

// State reads the Inbox's state for srcDomain.
func (d *Destination) State(ctx context.Context, srcDomain uint32) (DomainState, error) {
	st, err := bind.Call(d.bound, &bind.CallOpts{Context: ctx}, d.abi.PackDomain(srcDomain), d.abi.UnpackDomain)
	if err != nil {
		return DomainState{}, fmt.Errorf("inbox domain %d: %w", srcDomain, err)
	}
	return st, nil
}

// ProvenAcc is the accumulator the Inbox holds as proven for srcDomain's lane at count (zero
// if that count is not proven).
func (d *Destination) ProvenAcc(ctx context.Context, srcDomain uint32, count uint64) (common.Hash, error) {
	acc, err := bind.Call(d.bound, &bind.CallOpts{Context: ctx}, d.abi.PackProvenAcc(srcDomain, count), d.abi.UnpackProvenAcc)
	if err != nil {
		return common.Hash{}, fmt.Errorf("inbox provenAcc(%d, %d): %w", srcDomain, count, err)
	}
	return acc, nil
}

// KeyRunProven reports whether the Inbox has recorded the key run of a sync-keys fact (a run
// of a hand-over proven over several batches).
func (d *Destination) KeyRunProven(ctx context.Context, fact common.Hash) (bool, error) {
	ok, err := bind.Call(d.bound, &bind.CallOpts{Context: ctx}, d.abi.PackProvenKeyRuns(fact), d.abi.UnpackProvenKeyRuns)
	if err != nil {
		return false, fmt.Errorf("inbox provenKeyRuns(%s): %w", fact, err)
	}
	return ok, nil
}

// SubmitBatch sends a batch proof with its statement.
func (d *Destination) SubmitBatch(ctx context.Context, key *ecdsa.PrivateKey, proof []byte, s *protocol.Statement) (*types.Receipt, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("submitBatch: %w", err)
	}
	r, err := d.Client.Transact(ctx, key, d.bound, d.abi.PackSubmitBatch(proof, s.Claims()), 0, d.abi.UnpackError)
	if err != nil {
		return r, fmt.Errorf("submitBatch (statement %s): %w", s.Hash(), err)
	}
	return r, nil
}

// Deliver delivers consecutive messages of srcDomain's lane, packed (protocol.PackDelivery).
// gas 0 estimates it.
func (d *Destination) Deliver(ctx context.Context, key *ecdsa.PrivateKey, srcDomain uint32, msgs []protocol.Message, gas uint64) (*DeliveryReport, error) {
	for i := range msgs {
		if msgs[i].SrcDomain != srcDomain || msgs[i].DstDomain != d.Domain || msgs[i].Nonce != msgs[0].Nonce+uint64(i) {
			return nil, fmt.Errorf("deliver: message %d (%d→%d nonce %d): %w: want lane %d→%d, nonce %d",
				i, msgs[i].SrcDomain, msgs[i].DstDomain, msgs[i].Nonce, ErrNotLaneSequence, srcDomain, d.Domain, msgs[0].Nonce+uint64(i))
		}
	}
	r, err := d.Client.Transact(ctx, key, d.bound, d.abi.PackDeliver(srcDomain, protocol.PackDelivery(msgs)), gas, d.abi.UnpackError)
	if err != nil {
		return nil, fmt.Errorf("deliver %d messages from domain %d: %w", len(msgs), srcDomain, err)
	}
	rep := &DeliveryReport{Receipt: r}
	for _, l := range r.Logs {
		if ev, err := d.abi.UnpackMessageFailedEvent(l); err == nil {
			rep.Failed = append(rep.Failed, ev.Nonce)
		}
		if ev, err := d.abi.UnpackMessageDeferredEvent(l); err == nil {
			rep.Deferred = append(rep.Deferred, ev.Nonce)
		}
	}
	return rep, nil
}

// DeriveCheckpoint proves srcDomain's lane at msgs[0].Nonce from a later proven count: acc
// is the lane's accumulator before msgs[0], and msgs the lane's next messages up to a count
// the Inbox holds as proven (Inbox.deriveCheckpoint takes their hashes).
func (d *Destination) DeriveCheckpoint(ctx context.Context, key *ecdsa.PrivateKey, srcDomain uint32, acc common.Hash, msgs []protocol.Message) (*types.Receipt, error) {
	if len(msgs) == 0 {
		return nil, errors.New("deriveCheckpoint: no message")
	}
	hashes := make([][32]byte, len(msgs))
	for i := range msgs {
		if msgs[i].SrcDomain != srcDomain || msgs[i].DstDomain != d.Domain || msgs[i].Nonce != msgs[0].Nonce+uint64(i) {
			return nil, fmt.Errorf("deriveCheckpoint: message %d (%d→%d nonce %d): %w: want lane %d→%d, nonce %d",
				i, msgs[i].SrcDomain, msgs[i].DstDomain, msgs[i].Nonce, ErrNotLaneSequence, srcDomain, d.Domain, msgs[0].Nonce+uint64(i))
		}
		hashes[i] = msgs[i].Hash()
	}
	count := msgs[0].Nonce
	r, err := d.Client.Transact(ctx, key, d.bound, d.abi.PackDeriveCheckpoint(srcDomain, count, acc, hashes), 0, d.abi.UnpackError)
	if err != nil {
		return r, fmt.Errorf("deriveCheckpoint of domain %d at %d from %d: %w", srcDomain, count, count+uint64(len(msgs)), err)
	}
	return r, nil
}

// DeliveryReport is what a deliver transaction did.
type DeliveryReport struct {
	Receipt *types.Receipt
	Failed  []uint64 // nonces whose recipient failed, now awaiting retry
	// Deferred are the nonces whose gasLimit is above protocol.InlineGasLimit: recorded
	// unrun, for retry with the gas of whoever calls it.
	Deferred []uint64
}

// Retry executes a failed message again.
func (d *Destination) Retry(ctx context.Context, key *ecdsa.PrivateKey, m *protocol.Message) (*types.Receipt, error) {
	r, err := d.Client.Transact(ctx, key, d.bound, d.abi.PackRetry(toBindingMessage(m)), 0, d.abi.UnpackError)
	if err != nil {
		return r, fmt.Errorf("retry message %d from domain %d: %w", m.Nonce, m.SrcDomain, err)
	}
	return r, nil
}

// Failed reports whether a message awaits retry.
func (d *Destination) Failed(ctx context.Context, m *protocol.Message) (bool, error) {
	return bind.Call(d.bound, &bind.CallOpts{Context: ctx}, d.abi.PackFailed(m.Hash()), d.abi.UnpackFailed)
}
