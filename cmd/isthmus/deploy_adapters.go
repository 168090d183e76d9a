package main

import (
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/hyperlane"
	"github.com/isthmus-xyz/isthmus/chain/layerzero"
)

// newDeployHyperlaneCmd deploys the Hyperlane hook (origin) and ISM (destination) of a route.
func newDeployHyperlaneCmd(out io.Writer) *cobra.Command {
	var d deployerFlags
	var dstRPC, mailbox, outbox, inbox string
	var r hyperlane.RouteConfig
	cmd := &cobra.Command{
		Use:   "hyperlane",
		Short: "Deploy an Isthmus route for Hyperlane: a post-dispatch hook on the origin, an ISM on the destination",
		Long: `Deploys IsthmusHyperlaneIsm on the destination chain (--destination-rpc) and
IsthmusHyperlaneHook on the origin chain (--rpc), then links the ISM to the hook. The hook
sends the id of each message its Mailbox dispatches to --destination through the Isthmus
Outbox; the ISM accepts a message once the Isthmus Inbox delivered its id. Then a recipient
names the ISM (interchainSecurityModule(), or the destination Mailbox's default ISM) and the
origin names the hook (the Mailbox's default or required hook, a warp route's hook, or
dispatch's hook argument). The hook serves one destination domain. One deployer key signs
on both chains.`,
		Example: `  isthmus deploy hyperlane --rpc http://origin:8545 --destination-rpc http://destination:8545 \
    --mailbox 0x… --origin 1000 --destination 2000 \
    --outbox 0x… --isthmus-destination 2 --inbox 0x… --isthmus-origin 1 --key-file deployer.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(map[string]string{"destination-rpc": dstRPC, "mailbox": mailbox, "outbox": outbox, "inbox": inbox},
				"mailbox", "outbox", "inbox"); err != nil {
				return err
			}
			r.OriginMailbox, r.Outbox, r.Inbox = common.HexToAddress(mailbox), common.HexToAddress(outbox), common.HexToAddress(inbox)
			if err := r.Check(); err != nil {
				return usageError(err)
			}
			ctx, cancel, origin, key, err := d.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			destination, err := chain.Dial(ctx, dstRPC)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			route, err := hyperlane.DeployRoute(ctx, origin, destination, key, key, r)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return emit(cmd, out, map[string]any{"hook": route.Hook, "ism": route.Ism, "origin": r.Origin, "destination": r.Destination}, func() error {
				_, err := fmt.Fprintf(out, "Hook on the origin (Hyperlane domain %d): %s\nISM on the destination (Hyperlane domain %d): %s\n",
					r.Origin, route.Hook, r.Destination, route.Ism)
				return err
			})
		},
	}
	d.register(cmd)
	f := cmd.Flags()
	f.Lookup("rpc").Usage = "JSON-RPC endpoint of the origin chain"
	f.StringVar(&dstRPC, "destination-rpc", "", "JSON-RPC endpoint of the destination chain")
	f.StringVar(&mailbox, "mailbox", "", "the origin chain's Hyperlane Mailbox")
	f.Uint32Var(&r.Origin, "origin", 0, "the origin chain's Hyperlane domain")
	f.Uint32Var(&r.Destination, "destination", 0, "the destination chain's Hyperlane domain")
	f.StringVar(&outbox, "outbox", "", "the origin chain's Isthmus Outbox")
	f.StringVar(&inbox, "inbox", "", "the destination chain's Isthmus Inbox")
	f.Uint32Var(&r.IsthmusOrigin, "isthmus-origin", 0, "the origin chain's Isthmus domain")
	f.Uint32Var(&r.IsthmusDestination, "isthmus-destination", 0, "the destination chain's Isthmus domain")
	return cmd
}

// newDeployDVNCmd deploys a LayerZero DVN on one chain.
func newDeployDVNCmd(out io.Writer) *cobra.Command {
	var d deployerFlags
	var sendLib, outbox, receiveLib, inbox, owner string
	var eid uint32
	cmd := &cobra.Command{
		Use:   "layerzero-dvn",
		Short: "Deploy an Isthmus DVN for LayerZero v2 on one chain",
		Long: `Deploys IsthmusDVN on the chain of --rpc. As a source (--send-lib, the chain's
SendUln302, and --outbox) it takes the packets the send library assigns it and sends them
through the Isthmus Outbox; as a destination (--receive-lib, the chain's ReceiveUln302, and
--inbox) it calls ReceiveUln302.verify for each packet the Isthmus Inbox delivers; give
both pairs for a chain that is both. Link each DVN to its peers with 'deploy layerzero-path';
an OApp names the DVN in its ULN config's required DVNs on both chains.`,
		Example: `  isthmus deploy layerzero-dvn --rpc http://source:8545 --eid 30101 --send-lib 0x… --outbox 0x… --key-file deployer.key
  isthmus deploy layerzero-dvn --rpc http://destination:8545 --eid 30184 --receive-lib 0x… --inbox 0x… --key-file deployer.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := layerzero.DVNConfig{LocalEid: eid}
			for _, a := range []struct {
				name, v string
				to      *common.Address
			}{{"send-lib", sendLib, &cfg.SendLib}, {"outbox", outbox, &cfg.Outbox}, {"receive-lib", receiveLib, &cfg.ReceiveLib}, {"inbox", inbox, &cfg.Inbox}, {"owner", owner, &cfg.Owner}} {
				if a.v == "" {
					continue
				}
				if !common.IsHexAddress(a.v) {
					return usageError(fmt.Errorf("--%s %q is not an address (0x and 40 hex digits)", a.name, a.v))
				}
				*a.to = common.HexToAddress(a.v)
			}
			ctx, cancel, c, key, err := d.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			if owner == "" {
				cfg.Owner = crypto.PubkeyToAddress(key.PublicKey)
			}
			if err := cfg.Check(); err != nil {
				return usageError(err)
			}
			addr, err := layerzero.DeployDVN(ctx, c, key, cfg)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return emit(cmd, out, map[string]any{"dvn": addr, "eid": eid, "owner": cfg.Owner}, func() error {
				_, err := fmt.Fprintf(out, "DVN of eid %d: %s (owner %s)\n", eid, addr, cfg.Owner)
				return err
			})
		},
	}
	d.register(cmd)
	f := cmd.Flags()
	f.Uint32Var(&eid, "eid", 0, "LayerZero's endpoint id of this chain")
	f.StringVar(&sendLib, "send-lib", "", "the chain's SendUln302 (source role)")
	f.StringVar(&outbox, "outbox", "", "the chain's Isthmus Outbox (source role)")
	f.StringVar(&receiveLib, "receive-lib", "", "the chain's ReceiveUln302 (destination role)")
	f.StringVar(&inbox, "inbox", "", "the chain's Isthmus Inbox (destination role)")
	f.StringVar(&owner, "owner", "", "who links paths, sets fees and withdraws them (default: the deployer)")
	return cmd
}

// newDeployDVNPathCmd links a DVN to its peer on another chain.
func newDeployDVNPathCmd(out io.Writer) *cobra.Command {
	var d deployerFlags
	var dvn, peer, endpoint, gasPrice string
	var p layerzero.Path
	cmd := &cobra.Command{
		Use:   "layerzero-path",
		Short: "Link an Isthmus DVN to its peer DVN on another chain (once per eid), with its fee",
		Long: `Links the DVN at --dvn (on the chain of --rpc, signed by its owner) to the chain of
LayerZero's --eid: that chain's Isthmus domain, the DVN there (--peer) and its EndpointV2
(--endpoint). Without --peer the path is in event mode: a source charges its jobs and sends
nothing; a destination takes packets only by their PacketSent logs (verifyByEvent), which
needs --endpoint. A path is set once: it cannot be pointed elsewhere after applications
trust it. On a source, --gas-price (wei, the
destination's) and --batch-share-gas (a packet's share of a batch's submitBatch gas) make the
fee the DVN quotes: gas price × (batch share + PACKET_GAS, the delivery and verify).`,
		Example: `  isthmus deploy layerzero-path --rpc http://source:8545 --dvn 0x… --eid 30184 --isthmus-domain 2 --peer 0x… --gas-price 100000000 --batch-share-gas 30000 --key-file owner.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(map[string]string{"dvn": dvn}, "dvn"); err != nil {
				return err
			}
			if p.Eid == 0 || p.IsthmusDomain == 0 {
				return usageError(errors.New("--eid and --isthmus-domain are required"))
			}
			for _, a := range []struct {
				name, v string
				to      *common.Address
			}{{"peer", peer, &p.DVN}, {"endpoint", endpoint, &p.Endpoint}} {
				if a.v != "" && !common.IsHexAddress(a.v) {
					return usageError(fmt.Errorf("--%s %q is not an address (0x and 40 hex digits)", a.name, a.v))
				}
				*a.to = common.HexToAddress(a.v)
			}
			if gasPrice != "" {
				var ok bool
				if p.GasPrice, ok = new(big.Int).SetString(gasPrice, 10); !ok || p.GasPrice.Sign() < 0 {
					return usageError(fmt.Errorf("--gas-price %q is not a number of wei", gasPrice))
				}
			}
			ctx, cancel, c, key, err := d.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			if err := layerzero.SetPath(ctx, c, key, common.HexToAddress(dvn), p); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fee := new(big.Int)
			if p.GasPrice != nil && p.GasPrice.Sign() > 0 {
				if fee, err = layerzero.Fee(ctx, c, common.HexToAddress(dvn), p.Eid); err != nil {
					return &exitError{code: exitFailure, err: err}
				}
			}
			return emit(cmd, out, map[string]any{"dvn": dvn, "eid": p.Eid, "isthmusDomain": p.IsthmusDomain, "peer": p.DVN, "endpoint": p.Endpoint, "fee": fee.String()}, func() error {
				_, err := fmt.Fprintf(out, "DVN %s: path to eid %d (Isthmus domain %d, DVN %s), fee %s wei a packet\n", dvn, p.Eid, p.IsthmusDomain, p.DVN, fee)
				return err
			})
		},
	}
	d.register(cmd)
	f := cmd.Flags()
	f.StringVar(&dvn, "dvn", "", "the DVN to link (on --rpc's chain)")
	f.Uint32Var(&p.Eid, "eid", 0, "LayerZero's endpoint id of the other chain")
	f.Uint32Var(&p.IsthmusDomain, "isthmus-domain", 0, "the other chain's Isthmus domain")
	f.StringVar(&peer, "peer", "", "the DVN on the other chain (none: event mode)")
	f.StringVar(&endpoint, "endpoint", "", "the other chain's EndpointV2, whose PacketSent logs event mode reads (destination role)")
	f.StringVar(&gasPrice, "gas-price", "", "destination gas price the fee is quoted at, in wei (source role; default: no fee)")
	f.Uint64Var(&p.BatchShareGas, "batch-share-gas", 0, "a packet's share of a batch's submitBatch gas (source role)")
	return cmd
}
