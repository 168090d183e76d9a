// Package hyperlane deploys Isthmus as a Hyperlane security module: a post-dispatch hook on
// the origin chain sends each message's id through an Isthmus lane, and an ISM on the
// destination accepts a message once the Isthmus Inbox delivered its id (contracts in
// contracts/src/adapters). Hyperlane's own contracts (Mailbox, hooks, warp routes) are used
// as deployed; its relayer calls Mailbox.process with empty metadata, as for Hyperlane's
// other hook-based ISMs.
package hyperlane

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
)

// RouteConfig names both ends of a route: Hyperlane's domains and Mailbox, Isthmus's domains,
// Outbox and Inbox.
type RouteConfig struct {
	// Origin and Destination are the Hyperlane domains of the two chains.
	Origin, Destination uint32
	// OriginMailbox is the Hyperlane Mailbox on the origin chain.
	OriginMailbox common.Address
	// IsthmusOrigin and IsthmusDestination are the Isthmus domains of the same chains.
	IsthmusOrigin, IsthmusDestination uint32
	Outbox, Inbox                     common.Address
}

// Check refuses a config with a missing part.
func (r RouteConfig) Check() error {
	switch {
	case r.Origin == 0 || r.Destination == 0 || r.Origin == r.Destination:
		return fmt.Errorf("hyperlane route: origin %d and destination %d must be two non-zero Hyperlane domains", r.Origin, r.Destination)
	case r.IsthmusOrigin == 0 || r.IsthmusDestination == 0 || r.IsthmusOrigin == r.IsthmusDestination:
		return fmt.Errorf("hyperlane route: Isthmus domains %d and %d must be two non-zero domains", r.IsthmusOrigin, r.IsthmusDestination)
	case r.OriginMailbox == (common.Address{}) || r.Outbox == (common.Address{}) || r.Inbox == (common.Address{}):
		return errors.New("hyperlane route: the origin Mailbox, the Outbox and the Inbox are required")
	}
	return nil
}

// Route is a deployed route: the hook on the origin chain, the ISM on the destination.
type Route struct {
	Hook, Ism common.Address
}

// DeployRoute deploys the ISM on the destination chain, the hook on the origin chain (with
// the ISM's address), and links the ISM to the hook. A recipient then names the ISM
// (ISpecifiesInterchainSecurityModule, or the Mailbox's default ISM), and a sender the hook
// (the Mailbox's default or required hook, or dispatch's hook argument).
func DeployRoute(ctx context.Context, origin, destination *chain.Client, originKey, destinationKey *ecdsa.PrivateKey, r RouteConfig) (*Route, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	ismABI := bindings.NewIsthmusHyperlaneIsm()
	ism, err := destination.Deploy(ctx, destinationKey, common.FromHex(bindings.IsthmusHyperlaneIsmMetaData.Bin),
		ismABI.PackConstructor(r.Inbox, r.IsthmusOrigin, r.Origin, r.OriginMailbox))
	if err != nil {
		return nil, fmt.Errorf("deploy ISM: %w", err)
	}
	hook, err := origin.Deploy(ctx, originKey, common.FromHex(bindings.IsthmusHyperlaneHookMetaData.Bin),
		bindings.NewIsthmusHyperlaneHook().PackConstructor(r.OriginMailbox, r.Destination, ism, r.Outbox, r.IsthmusDestination))
	if err != nil {
		return nil, fmt.Errorf("deploy hook: %w", err)
	}
	if _, err := destination.Transact(ctx, destinationKey, destination.Contract(ismABI, ism), ismABI.PackSetHook(hook), 0, ismABI.UnpackError); err != nil {
		return nil, fmt.Errorf("link the ISM to the hook: %w", err)
	}
	return &Route{Hook: hook, Ism: ism}, nil
}

// Verified reports whether the ISM accepts a Hyperlane message (what the Mailbox asks it
// before process): the message is of the ISM's origin and the Inbox delivered its id.
func Verified(ctx context.Context, c *chain.Client, ism common.Address, message []byte) (bool, error) {
	abi := bindings.NewIsthmusHyperlaneIsm()
	return bind.Call(c.Contract(abi, ism), &bind.CallOpts{Context: ctx}, abi.PackVerify(nil, message), abi.UnpackVerify)
}
