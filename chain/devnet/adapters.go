package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/hyperlane"
	"github.com/isthmus-xyz/isthmus/chain/layerzero"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	hl "github.com/isthmus-xyz/isthmus/contracts/thirdparty/hyperlane"
	lz "github.com/isthmus-xyz/isthmus/contracts/thirdparty/layerzero"
	lzr "github.com/isthmus-xyz/isthmus/contracts/thirdparty/layerzeroreceive"
)

// Hyperlane's domains and LayerZero's endpoint ids of the devnet's source and destination
// chains (Isthmus numbers them apart).
const (
	HyperlaneOrigin      = 1000
	HyperlaneDestination = 2000
	LayerZeroSrcEid      = 40101
	LayerZeroDstEid      = 40102
)

// Hyperlane is Hyperlane's contracts (from its npm package) on the devnet's two chains with
// an Isthmus route between them: a Mailbox on each with the MerkleTreeHook as required hook,
// the Isthmus hook as the origin Mailbox's default hook, and a TestRecipient on the
// destination behind the Isthmus ISM (also the destination Mailbox's default ISM).
type Hyperlane struct {
	Route                   *hyperlane.Route
	OriginMailbox, Mailbox  common.Address
	OriginMerkle, DstMerkle common.Address
	Recipient               common.Address
}

// DeployHyperlane deploys Hyperlane and the Isthmus route on the devnet, from its deployer.
func (d *Devnet) DeployHyperlane(ctx context.Context) (*Hyperlane, error) {
	dp := deployer{ctx: ctx, key: d.Deployer}
	src, dst := d.SourceClient, d.DestinationClient
	mb := hl.NewMailbox()
	h := &Hyperlane{}
	h.OriginMailbox = dp.deploy(src, &hl.MailboxMetaData, mb.PackConstructor(HyperlaneOrigin))
	h.Mailbox = dp.deploy(dst, &hl.MailboxMetaData, mb.PackConstructor(HyperlaneDestination))
	h.OriginMerkle = dp.deploy(src, &hl.MerkleTreeHookMetaData, hl.NewMerkleTreeHook().PackConstructor(h.OriginMailbox))
	h.DstMerkle = dp.deploy(dst, &hl.MerkleTreeHookMetaData, hl.NewMerkleTreeHook().PackConstructor(h.Mailbox))
	if dp.err != nil {
		return nil, dp.err
	}
	var err error
	h.Route, err = hyperlane.DeployRoute(ctx, src, dst, d.Deployer, d.Deployer, hyperlane.RouteConfig{
		Origin: HyperlaneOrigin, Destination: HyperlaneDestination, OriginMailbox: h.OriginMailbox,
		IsthmusOrigin: d.Config.SourceDomain, IsthmusDestination: d.Config.DestinationDomain,
		Outbox: d.Outbox, Inbox: d.Inbox,
	})
	if err != nil {
		return nil, err
	}
	owner := crypto.PubkeyToAddress(d.Deployer.PublicKey)
	// Mailbox.initialize wants contracts for its default ISM: the origin's is never consulted
	// (nothing is processed on the origin), so the MerkleTreeHook stands in.
	dp.tx(src, mb, h.OriginMailbox, mb.PackInitialize(owner, h.OriginMerkle, h.Route.Hook, h.OriginMerkle), nil)
	dp.tx(dst, mb, h.Mailbox, mb.PackInitialize(owner, h.Route.Ism, h.DstMerkle, h.DstMerkle), nil)
	tr := hl.NewTestRecipient()
	h.Recipient = dp.deploy(dst, &hl.TestRecipientMetaData, nil)
	dp.tx(dst, tr, h.Recipient, tr.PackSetInterchainSecurityModule(h.Route.Ism), nil)
	return h, dp.err
}

// LayerZero is LayerZero v2's contracts (from its npm packages) on the devnet's two chains:
// EndpointV2 with SendUln302 on the source and ReceiveUln302 on the destination (their
// default DVN a placeholder with no code), a TestOnlyExecutor, an Isthmus DVN on each chain,
// and a TestOnlyOApp at each end whose ULN config names the Isthmus DVN as its one required
// DVN.
type LayerZero struct {
	SrcEndpoint, DstEndpoint common.Address
	SendLib, ReceiveLib      common.Address
	SrcDVN, DstDVN           common.Address
	SrcApp, DstApp           common.Address
}

// DeployLayerZero deploys LayerZero and the Isthmus DVNs on the devnet, from its deployer.
// With eventMode the source DVN's path has no peer DVN (its jobs are charged and nothing goes
// through the Outbox); the destination DVN takes packets both ways. The source DVN quotes its
// fee at gasPrice and batchShareGas.
func (d *Devnet) DeployLayerZero(ctx context.Context, eventMode bool, gasPrice *big.Int, batchShareGas uint64) (*LayerZero, error) {
	dp := deployer{ctx: ctx, key: d.Deployer}
	src, dst := d.SourceClient, d.DestinationClient
	owner := crypto.PubkeyToAddress(d.Deployer.PublicKey)
	ep, send, recv, app := lz.NewEndpointV2(), lz.NewSendUln302(), lzr.NewReceiveUln302(), testbindings.NewTestOnlyOApp()
	otherDVN := common.Address{0xde, 0xad}
	l := &LayerZero{}

	// Source: endpoint and send library; the library's defaults name another DVN: the OApps
	// choose the Isthmus DVN in their own ULN config, as an application does.
	l.SrcEndpoint = dp.deploy(src, &lz.EndpointV2MetaData, ep.PackConstructor(LayerZeroSrcEid, owner))
	l.SendLib = dp.deploy(src, &lz.SendUln302MetaData, send.PackConstructor(l.SrcEndpoint, big.NewInt(0), big.NewInt(0)))
	executor := dp.deploy(src, &testbindings.TestOnlyExecutorMetaData, nil)
	dp.tx(src, send, l.SendLib, send.PackSetDefaultExecutorConfigs([]lz.SetDefaultExecutorConfigParam{
		{Eid: LayerZeroDstEid, Config: lz.ExecutorConfig{MaxMessageSize: 10_000, Executor: executor}}}), send.UnpackError)
	dp.tx(src, send, l.SendLib, send.PackSetDefaultUlnConfigs([]lz.SetDefaultUlnConfigParam{{Eid: LayerZeroDstEid, Config: lz.UlnConfig{
		Confirmations: 1, RequiredDVNCount: 1, RequiredDVNs: []common.Address{otherDVN}, OptionalDVNs: []common.Address{}}}}), send.UnpackError)
	dp.tx(src, ep, l.SrcEndpoint, ep.PackRegisterLibrary(l.SendLib), ep.UnpackError)
	dp.tx(src, ep, l.SrcEndpoint, ep.PackSetDefaultSendLibrary(LayerZeroDstEid, l.SendLib), ep.UnpackError)

	// Destination: endpoint and receive library, the same placeholder default DVN.
	l.DstEndpoint = dp.deploy(dst, &lz.EndpointV2MetaData, ep.PackConstructor(LayerZeroDstEid, owner))
	l.ReceiveLib = dp.deploy(dst, &lzr.ReceiveUln302MetaData, recv.PackConstructor(l.DstEndpoint))
	dp.tx(dst, recv, l.ReceiveLib, recv.PackSetDefaultUlnConfigs([]lzr.SetDefaultUlnConfigParam{{Eid: LayerZeroSrcEid, Config: lzr.UlnConfig{
		Confirmations: 1, RequiredDVNCount: 1, RequiredDVNs: []common.Address{otherDVN}, OptionalDVNs: []common.Address{}}}}), recv.UnpackError)
	dp.tx(dst, ep, l.DstEndpoint, ep.PackRegisterLibrary(l.ReceiveLib), ep.UnpackError)
	dp.tx(dst, ep, l.DstEndpoint, ep.PackSetDefaultReceiveLibrary(LayerZeroSrcEid, l.ReceiveLib, big.NewInt(0)), ep.UnpackError)
	if dp.err != nil {
		return nil, dp.err
	}

	// The DVNs, and their paths each to the other.
	var err error
	if l.SrcDVN, err = layerzero.DeployDVN(ctx, src, d.Deployer, layerzero.DVNConfig{
		LocalEid: LayerZeroSrcEid, SendLib: l.SendLib, Outbox: d.Outbox, Owner: owner}); err != nil {
		return nil, err
	}
	if l.DstDVN, err = layerzero.DeployDVN(ctx, dst, d.Deployer, layerzero.DVNConfig{
		LocalEid: LayerZeroDstEid, ReceiveLib: l.ReceiveLib, Inbox: d.Inbox, Owner: owner}); err != nil {
		return nil, err
	}
	peer := l.DstDVN
	if eventMode {
		peer = common.Address{}
	}
	if err := layerzero.SetPath(ctx, src, d.Deployer, l.SrcDVN, layerzero.Path{Eid: LayerZeroDstEid, IsthmusDomain: d.Config.DestinationDomain,
		DVN: peer, GasPrice: gasPrice, BatchShareGas: batchShareGas}); err != nil {
		return nil, err
	}
	if err := layerzero.SetPath(ctx, dst, d.Deployer, l.DstDVN, layerzero.Path{Eid: LayerZeroSrcEid, IsthmusDomain: d.Config.SourceDomain,
		DVN: l.SrcDVN, Endpoint: l.SrcEndpoint}); err != nil {
		return nil, err
	}

	// The OApps, peers of each other; each one's ULN config names the Isthmus DVN of its
	// chain as its one required DVN (EndpointV2.setConfig by the OApp's delegate).
	l.SrcApp = dp.deploy(src, &testbindings.TestOnlyOAppMetaData, app.PackConstructor(l.SrcEndpoint))
	l.DstApp = dp.deploy(dst, &testbindings.TestOnlyOAppMetaData, app.PackConstructor(l.DstEndpoint))
	dp.tx(src, app, l.SrcApp, app.PackSetPeer(LayerZeroDstEid, common.BytesToHash(l.DstApp.Bytes())), app.UnpackError)
	dp.tx(dst, app, l.DstApp, app.PackSetPeer(LayerZeroSrcEid, common.BytesToHash(l.SrcApp.Bytes())), app.UnpackError)
	dp.tx(src, app, l.SrcApp, app.PackSetDelegate(owner), app.UnpackError)
	dp.tx(dst, app, l.DstApp, app.PackSetDelegate(owner), app.UnpackError)
	dp.tx(src, ep, l.SrcEndpoint, ep.PackSetConfig(l.SrcApp, l.SendLib, []lz.SetConfigParam{
		{Eid: LayerZeroDstEid, ConfigType: layerzero.UlnConfigType, Config: layerzero.UlnConfig(1, l.SrcDVN)}}), ep.UnpackError)
	dp.tx(dst, ep, l.DstEndpoint, ep.PackSetConfig(l.DstApp, l.ReceiveLib, []lz.SetConfigParam{
		{Eid: LayerZeroSrcEid, ConfigType: layerzero.UlnConfigType, Config: layerzero.UlnConfig(1, l.DstDVN)}}), ep.UnpackError)
	return l, dp.err
}

// deployer runs a sequence of deployments and transactions, keeping the first error (the
// later steps are skipped).
type deployer struct {
	ctx context.Context
	key *ecdsa.PrivateKey
	err error
}

func (dp *deployer) deploy(c *chain.Client, md *bind.MetaData, args []byte) common.Address {
	if dp.err != nil {
		return common.Address{}
	}
	a, err := c.Deploy(dp.ctx, dp.key, common.FromHex(md.Bin), args)
	if err != nil {
		dp.err = err
	}
	return a
}

func (dp *deployer) tx(c *chain.Client, instance interface {
	Instance(bind.ContractBackend, common.Address) *bind.BoundContract
}, to common.Address, data []byte, unpack chain.Unpacker) {
	if dp.err != nil {
		return
	}
	if _, err := c.Transact(dp.ctx, dp.key, c.Contract(instance, to), data, 0, unpack); err != nil {
		dp.err = fmt.Errorf("transaction to %s: %w", to, err)
	}
}

// LayerZeroPacket is a packet a TestOnlyOApp sent: the send's receipt and gas, its PacketSent
// log (at index Log of the receipt), and the packet's parts (PacketV1Codec: header ‖ GUID ‖
// message) with its payload hash.
type LayerZeroPacket struct {
	Receipt *types.Receipt
	Gas     uint64
	Fee     *big.Int // paid: the endpoint's quote
	Sent    *lz.EndpointV2PacketSent
	Log     int
	Header  []byte
	GUID    [32]byte
	Message []byte
	Hash    [32]byte // keccak256(GUID ‖ message)
}

// Origin is the packet's origin as lzReceive takes it.
func (p *LayerZeroPacket) Origin() lz.Origin {
	var o lz.Origin
	o.Nonce = new(big.Int).SetBytes(p.Header[1:9]).Uint64()
	o.SrcEid = uint32(new(big.Int).SetBytes(p.Header[9:13]).Uint64())
	copy(o.Sender[:], p.Header[13:45])
	return o
}

// SendLayerZero has the TestOnlyOApp app on the source chain send message to its peer at
// LayerZeroDstEid, from key, paying the endpoint's quote.
func (d *Devnet) SendLayerZero(ctx context.Context, app common.Address, key *ecdsa.PrivateKey, message []byte) (*LayerZeroPacket, error) {
	c := d.SourceClient
	a, ep := testbindings.NewTestOnlyOApp(), lz.NewEndpointV2()
	bound := c.Contract(a, app)
	fee, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, a.PackQuote(LayerZeroDstEid, message), a.UnpackQuote)
	if err != nil {
		return nil, err
	}
	opts := c.Transactor(ctx, key)
	opts.Value = fee
	tx, err := bound.RawTransact(opts, a.PackSend(LayerZeroDstEid, message))
	if err != nil {
		return nil, chain.DecodeRevert(err, ep.UnpackError)
	}
	r, err := c.WaitReceipt(ctx, tx.Hash())
	if err != nil {
		return nil, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("LayerZero send %s failed", tx.Hash())
	}
	for i, l := range r.Logs {
		if ev, err := ep.UnpackPacketSentEvent(l); err == nil && len(ev.EncodedPayload) >= 113 {
			p := ev.EncodedPayload
			pk := &LayerZeroPacket{Receipt: r, Gas: r.GasUsed, Fee: fee, Sent: ev, Log: i, Header: p[:81], Message: p[113:]}
			copy(pk.GUID[:], p[81:113])
			copy(pk.Hash[:], crypto.Keccak256(p[81:]))
			return pk, nil
		}
	}
	return nil, errors.New("LayerZero send: no PacketSent log")
}
