// Package layerzero deploys Isthmus as a LayerZero v2 DVN (contracts/src/adapters/IsthmusDVN):
// on a source chain the send library assigns it each packet of the OApps that name it in
// their ULN config, and it sends the packet's header and payload hash through the Isthmus
// Outbox; on the destination the Isthmus Inbox delivers them once proven, and the DVN calls
// ReceiveUln302.verify. LayerZero's own contracts (EndpointV2, SendUln302, ReceiveUln302)
// are used as deployed.
package layerzero

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
)

// DVNConfig is one chain's DVN: LayerZero's endpoint id of the chain, and the libraries and
// Isthmus contracts of the roles it plays there (source: SendLib and Outbox; destination:
// ReceiveLib and Inbox; both on a chain that is both).
type DVNConfig struct {
	LocalEid          uint32
	SendLib, Outbox   common.Address
	ReceiveLib, Inbox common.Address
	Owner             common.Address
}

// Check refuses a config that plays no role, or half of one.
func (c DVNConfig) Check() error {
	source := c.SendLib != (common.Address{}) || c.Outbox != (common.Address{})
	destination := c.ReceiveLib != (common.Address{}) || c.Inbox != (common.Address{})
	switch {
	case c.LocalEid == 0:
		return errors.New("layerzero DVN: the chain's endpoint id is required")
	case c.Owner == (common.Address{}):
		return errors.New("layerzero DVN: an owner is required")
	case !source && !destination:
		return errors.New("layerzero DVN: give the send library and the Outbox (source), the receive library and the Inbox (destination), or both")
	case source && (c.SendLib == (common.Address{}) || c.Outbox == (common.Address{})):
		return errors.New("layerzero DVN: a source DVN needs both the send library and the Outbox")
	case destination && (c.ReceiveLib == (common.Address{}) || c.Inbox == (common.Address{})):
		return errors.New("layerzero DVN: a destination DVN needs both the receive library and the Inbox")
	}
	return nil
}

// DeployDVN deploys a DVN on c.
func DeployDVN(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey, cfg DVNConfig) (common.Address, error) {
	if err := cfg.Check(); err != nil {
		return common.Address{}, err
	}
	dvn := bindings.NewIsthmusDVN()
	addr, err := c.Deploy(ctx, key, common.FromHex(bindings.IsthmusDVNMetaData.Bin),
		dvn.PackConstructor(cfg.Outbox, cfg.Inbox, cfg.SendLib, cfg.ReceiveLib, cfg.LocalEid, cfg.Owner))
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy DVN: %w", err)
	}
	return addr, nil
}

// Path is the remote end of a DVN's path to LayerZero's eid: the Isthmus domain of that
// chain, the DVN there (zero: event mode, nothing sent through the Outbox), its EndpointV2
// (whose PacketSent logs the destination's event mode reads; zero: none) and, where packets
// are sent, what one is quoted at.
type Path struct {
	Eid           uint32
	IsthmusDomain uint32
	DVN           common.Address
	Endpoint      common.Address
	// GasPrice (wei) and BatchShareGas (a packet's share of a batch's submitBatch gas) make
	// the fee: GasPrice × (BatchShareGas + the DVN's PACKET_GAS). Zero GasPrice: no fee.
	GasPrice      *big.Int
	BatchShareGas uint64
}

// SetPath links the DVN at dvn (on c, owned by key) to p, once per eid; with a gas price it
// sets the fee too.
func SetPath(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey, dvn common.Address, p Path) error {
	b := bindings.NewIsthmusDVN()
	bound := c.Contract(b, dvn)
	if _, err := c.Transact(ctx, key, bound, b.PackSetPath(p.Eid, p.IsthmusDomain, p.DVN, p.Endpoint), 0, b.UnpackError); err != nil {
		return fmt.Errorf("DVN %s: path to eid %d: %w", dvn, p.Eid, err)
	}
	if p.GasPrice != nil && p.GasPrice.Sign() > 0 {
		if _, err := c.Transact(ctx, key, bound, b.PackSetFee(p.Eid, p.GasPrice, p.BatchShareGas), 0, b.UnpackError); err != nil {
			return fmt.Errorf("DVN %s: fee to eid %d: %w", dvn, p.Eid, err)
		}
	}
	return nil
}

// Fee is what the DVN quotes for a packet to eid.
func Fee(ctx context.Context, c *chain.Client, dvn common.Address, eid uint32) (*big.Int, error) {
	b := bindings.NewIsthmusDVN()
	return bind.Call(c.Contract(b, dvn), &bind.CallOpts{Context: ctx}, b.PackGetFee(eid, 0, common.Address{}, nil), b.UnpackGetFee)
}

// UlnConfigType is the config type of a ULN config in EndpointV2.setConfig (SendUln302's and
// ReceiveUln302's CONFIG_TYPE_ULN).
const UlnConfigType = 2

// UlnConfig is the ULN config an OApp sets (EndpointV2.setConfig, UlnConfigType) to have the
// Isthmus DVN at dvn as its one required DVN, with no optional DVNs, at the given block
// confirmations (the source's: what the DVN is assigned with).
func UlnConfig(confirmations uint64, dvn common.Address) []byte {
	enc, err := ulnConfigArgs.Pack(ulnConfig{Confirmations: confirmations, RequiredDVNCount: 1, OptionalDVNCount: nilDVNCount,
		RequiredDVNs: []common.Address{dvn}, OptionalDVNs: []common.Address{}})
	if err != nil {
		panic(err) // the values always fit the type
	}
	return enc
}

// nilDVNCount is the ULN's NIL_DVN_COUNT: none, overriding the library's default.
const nilDVNCount = 255

type ulnConfig struct {
	Confirmations        uint64
	RequiredDVNCount     uint8
	OptionalDVNCount     uint8
	OptionalDVNThreshold uint8
	RequiredDVNs         []common.Address
	OptionalDVNs         []common.Address
}

var ulnConfigArgs = func() abi.Arguments {
	t, err := abi.NewType("tuple", "", []abi.ArgumentMarshaling{
		{Name: "confirmations", Type: "uint64"}, {Name: "requiredDVNCount", Type: "uint8"},
		{Name: "optionalDVNCount", Type: "uint8"}, {Name: "optionalDVNThreshold", Type: "uint8"},
		{Name: "requiredDVNs", Type: "address[]"}, {Name: "optionalDVNs", Type: "address[]"},
	})
	if err != nil {
		panic(err)
	}
	return abi.Arguments{{Type: t}}
}()
