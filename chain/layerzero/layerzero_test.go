package layerzero_test

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/chain/layerzero"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	lz "github.com/isthmus-xyz/isthmus/contracts/thirdparty/layerzero"
	lzr "github.com/isthmus-xyz/isthmus/contracts/thirdparty/layerzeroreceive"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// LayerZero's endpoint ids of the devnet's two chains.
const (
	srcEid = devnet.LayerZeroSrcEid
	dstEid = devnet.LayerZeroDstEid
)

// lzEnv is a devnet with LayerZero v2's real contracts on both chains, an Isthmus DVN on each
// as the only required DVN of the OApps' path, and a TestOnlyOApp at each end
// (devnet.DeployLayerZero).
type lzEnv struct {
	devnet.LayerZero // the contracts' addresses
	d                *devnet.Devnet
	ep               *lz.EndpointV2
	app              *testbindings.TestOnlyOApp
	owner, user      *ecdsa.PrivateKey
	gasPrice         *big.Int
	batchShareGas    uint64
}

// startLayerZero starts the env; with eventMode, the source DVN's path has no peer DVN (its
// jobs are charged, nothing goes through the Outbox) and packets are verified by their
// PacketSent logs.
func startLayerZero(t testing.TB, ctx context.Context, eventMode bool) *lzEnv {
	t.Helper()
	d := devnet.StartForTest(t)
	e := &lzEnv{d: d, ep: lz.NewEndpointV2(), app: testbindings.NewTestOnlyOApp(), owner: d.Deployer, user: devnet.DevKey("user"),
		gasPrice: big.NewInt(2_000_000_000), batchShareGas: 25_000}
	l, err := d.DeployLayerZero(ctx, eventMode, e.gasPrice, e.batchShareGas)
	if err != nil {
		t.Fatal(err)
	}
	e.LayerZero = *l
	return e
}

// packet is a sent LayerZero packet.
type packet = devnet.LayerZeroPacket

// send has the source OApp send message, paying the endpoint's quote.
func (e *lzEnv) send(ctx context.Context, message []byte) (*packet, error) {
	return e.d.SendLayerZero(ctx, e.SrcApp, e.user, message)
}

// commit and receive are what anyone (LayerZero's executor) does on the destination.
func (e *lzEnv) commit(ctx context.Context, header []byte, hash [32]byte) (uint64, error) {
	c := e.d.DestinationClient
	recv := lzr.NewReceiveUln302()
	r, err := c.Transact(ctx, e.user, c.Contract(recv, e.ReceiveLib), recv.PackCommitVerification(header, hash), 0, recv.UnpackError)
	if err != nil {
		return 0, err
	}
	return r.GasUsed, nil
}

func (e *lzEnv) receive(ctx context.Context, p *packet) (uint64, error) {
	c := e.d.DestinationClient
	r, err := c.Transact(ctx, e.user, c.Contract(e.ep, e.DstEndpoint), e.ep.PackLzReceive(p.Origin(), e.DstApp, p.GUID, p.Message, nil), 0, e.ep.UnpackError)
	if err != nil {
		return 0, err
	}
	return r.GasUsed, nil
}

// A packet an OApp sends through EndpointV2, with the Isthmus DVN as its path's one required
// DVN, reaches the destination OApp once the relay proved the source's lane and the Inbox
// delivered the packet to the destination DVN; commitVerification and lzReceive are
// LayerZero's own, called by anyone. Refused: before the proof, a replay, another payload or
// header, a job assigned by anyone but the send library, a packet forged through the Outbox,
// and a paused domain.
func TestLayerZeroPacketThroughIsthmus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := startLayerZero(t, ctx, false)
	d := e.d
	dvn := bindings.NewIsthmusDVN()

	// The fee the DVN quotes is what the OApp pays on top of nothing else (the executor is free).
	fee, err := layerzero.Fee(ctx, d.SourceClient, e.SrcDVN, dstEid)
	if err != nil {
		t.Fatal(err)
	}
	packetGas, err := bind.Call(d.SourceClient.Contract(dvn, e.SrcDVN), nil, dvn.PackPACKETGAS(), dvn.UnpackPACKETGAS)
	if err != nil {
		t.Fatal(err)
	}
	if want := new(big.Int).Mul(e.gasPrice, big.NewInt(int64(e.batchShareGas+packetGas))); fee.Cmp(want) != 0 {
		t.Fatalf("DVN fee %s, want %s", fee, want)
	}

	message := []byte("hello through an Isthmus lane")
	p, err := e.send(ctx, message)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("OApp send through EndpointV2 with the Isthmus DVN: %d gas; DVN fee %s wei", p.Gas, fee)
	sendFees, err := bind.Call(d.SourceClient.Contract(lz.NewSendUln302(), e.SendLib), nil, lz.NewSendUln302().PackFees(e.SrcDVN), lz.NewSendUln302().UnpackFees)
	if err != nil || sendFees.Cmp(fee) != 0 {
		t.Fatalf("fees the send library holds for the DVN: %v, %v; want %s", sendFees, err, fee)
	}

	_, err = e.commit(ctx, p.Header, p.Hash)
	devnet.WantRevert(t, "commitVerification before the proof", err, "Verifying")

	rep, err := d.RelayTestOnly(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 0 || len(rep.Deferred) != 0 {
		t.Fatalf("Inbox delivery to the DVN: failed %v, deferred %v", rep.Failed, rep.Deferred)
	}
	if rep.Receipt.GasUsed > packetGas {
		t.Fatalf("the Inbox's delivery of one packet took %d gas, over the DVN's PACKET_GAS %d it quotes", rep.Receipt.GasUsed, packetGas)
	}
	t.Logf("Inbox delivery of one packet to the DVN (ReceiveUln302.verify within): %d gas", rep.Receipt.GasUsed)

	// Another payload or another header is not verified.
	other := p.Hash
	other[0] ^= 1
	_, err = e.commit(ctx, p.Header, other)
	devnet.WantRevert(t, "commitVerification of another payload", err, "Verifying")
	hdr := append([]byte(nil), p.Header...)
	hdr[8] ^= 1 // the nonce's last byte
	_, err = e.commit(ctx, hdr, p.Hash)
	devnet.WantRevert(t, "commitVerification of another header", err, "Verifying")

	gasCommit, err := e.commit(ctx, p.Header, p.Hash)
	if err != nil {
		t.Fatal(err)
	}
	gasReceive, err := e.receive(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("commitVerification %d gas, lzReceive %d gas", gasCommit, gasReceive)
	got, err := bind.Call(d.DestinationClient.Contract(e.app, e.DstApp), nil, e.app.PackLastMessage(), e.app.UnpackLastMessage)
	if err != nil || string(got) != string(message) {
		t.Fatalf("destination OApp's last message %q, %v; want %q", got, err, message)
	}
	_, err = e.receive(ctx, p)
	devnet.WantRevert(t, "lzReceive again", err, "PayloadHashNotFound")

	// Only the send library assigns jobs: anyone else would have any header verified.
	userJob := dvn.PackAssignJob(bindings.ILayerZeroDVNAssignJobParam{DstEid: dstEid, PacketHeader: p.Header, PayloadHash: other, Confirmations: 1}, nil)
	_, err = d.SourceClient.Transact(ctx, e.user, d.SourceClient.Contract(dvn, e.SrcDVN), userJob, 0, dvn.UnpackError)
	devnet.WantRevert(t, "assignJob by an account", err, "NotSendLib")

	// A packet forged through the Outbox (sender: not the source DVN) is delivered by the
	// Inbox and refused by the DVN; the Inbox records the failure.
	forged := append([]byte(nil), p.Header...)
	forged[8]++ // the next nonce, never sent
	args := abi.Arguments{{Type: mustType("bytes")}, {Type: mustType("bytes32")}, {Type: mustType("uint64")}}
	payload, err := args.Pack(forged, [32]byte{1}, uint64(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Src.Send(ctx, e.user, d.Config.DestinationDomain, e.DstDVN, 100_000, payload); err != nil {
		t.Fatal(err)
	}
	rep, err = d.RelayTestOnly(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 {
		t.Fatalf("a forged packet through the Outbox: failed nonces %v, want the forger's", rep.Failed)
	}
	_, err = e.commit(ctx, forged, [32]byte{1})
	devnet.WantRevert(t, "commitVerification of the forged packet", err, "Verifying")

	// handleMessage from anyone but the Inbox.
	_, err = d.DestinationClient.Transact(ctx, e.user, d.DestinationClient.Contract(dvn, e.DstDVN),
		dvn.PackHandleMessage(d.Config.SourceDomain, e.SrcDVN, 0, payload), 0, dvn.UnpackError)
	devnet.WantRevert(t, "handleMessage from an account", err, "NotInbox")

	// A paused domain: nothing is proven, the packet is not verified.
	inbox := bindings.NewInbox()
	if _, err := d.DestinationClient.Transact(ctx, d.Deployer, d.DestinationClient.Contract(inbox, d.Inbox), inbox.PackPauseDomain(d.Config.SourceDomain), 0, inbox.UnpackError); err != nil {
		t.Fatal(err)
	}
	held, err := e.send(ctx, []byte("held while the domain is paused"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RelayTestOnly(ctx); err == nil {
		t.Fatal("a batch was accepted for a paused domain")
	}
	_, err = e.commit(ctx, held.Header, held.Hash)
	devnet.WantRevert(t, "commitVerification while the domain is paused", err, "Verifying")

	// The DVN's owner withdraws its fees from the send library.
	to := common.Address{0x15}
	if _, err := d.SourceClient.Transact(ctx, e.owner, d.SourceClient.Contract(dvn, e.SrcDVN), dvn.PackWithdrawFee(to, fee), 0, dvn.UnpackError); err != nil {
		t.Fatal(err)
	}
	if bal, err := d.SourceClient.Eth.BalanceAt(ctx, to, nil); err != nil || bal.Cmp(fee) != 0 {
		t.Fatalf("withdrawn fee: %v, %v; want %s", bal, err, fee)
	}
}

// A destination DVN whose path from srcEid names another Isthmus source (domain or DVN)
// refuses the packet, and the OApp's packet stays unverified; a path is set once, by the
// owner; a config that plays no role is refused.
func TestLayerZeroDVNRefusesAnotherSource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	owner := d.Deployer
	ownerAddr := crypto.PubkeyToAddress(owner.PublicKey)
	dst := d.DestinationClient

	// A receive side whose path from srcEid names domain 77, so the real source's sends fail.
	recvLib := common.Address{0x42}
	other, err := layerzero.DeployDVN(ctx, dst, owner, layerzero.DVNConfig{LocalEid: dstEid, ReceiveLib: recvLib, Inbox: d.Inbox, Owner: ownerAddr})
	if err != nil {
		t.Fatal(err)
	}
	if err := layerzero.SetPath(ctx, dst, devnet.DevKey("user"), other, layerzero.Path{Eid: srcEid, IsthmusDomain: 77, DVN: ownerAddr}); err == nil {
		t.Fatal("setPath by another account than the owner")
	}
	if err := layerzero.SetPath(ctx, dst, owner, other, layerzero.Path{Eid: srcEid, IsthmusDomain: 77, DVN: ownerAddr}); err != nil {
		t.Fatal(err)
	}
	if err := layerzero.SetPath(ctx, dst, owner, other, layerzero.Path{Eid: srcEid, IsthmusDomain: d.Config.SourceDomain, DVN: ownerAddr}); err == nil {
		t.Fatal("setPath twice for one eid")
	}
	// The path's DVN (the owner's account here) sends a well-formed packet from the real
	// source domain: wrong domain for this path.
	header := make([]byte, 81)
	header[0] = 1
	big.NewInt(srcEid).FillBytes(header[9:13])
	big.NewInt(dstEid).FillBytes(header[45:49])
	args := abi.Arguments{{Type: mustType("bytes")}, {Type: mustType("bytes32")}, {Type: mustType("uint64")}}
	payload, _ := args.Pack(header, [32]byte{2}, uint64(1))
	if _, _, err := d.Src.Send(ctx, owner, d.Config.DestinationDomain, other, 100_000, payload); err != nil {
		t.Fatal(err)
	}
	rep, err := d.RelayTestOnly(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 {
		t.Fatalf("a packet from another source than the path's: failed %v, want it failed", rep.Failed)
	}
	for _, bad := range []layerzero.DVNConfig{
		{LocalEid: dstEid, Owner: ownerAddr},
		{LocalEid: dstEid, Owner: ownerAddr, Inbox: d.Inbox},
		{LocalEid: 0, Owner: ownerAddr, Inbox: d.Inbox, ReceiveLib: recvLib},
	} {
		if _, err := layerzero.DeployDVN(ctx, dst, owner, bad); err == nil {
			t.Fatalf("DVN config %+v accepted", bad)
		}
	}
}

func mustType(s string) abi.Type {
	t, err := abi.NewType(s, "", nil)
	if err != nil {
		panic(err)
	}
	return t
}

// BenchmarkGasLayerZero reports the gas of N packets through the Isthmus DVN: the OApp's send
// on the source (EndpointV2, SendUln302, the DVN's Outbox send), and on the destination the
// Inbox's delivery of the N in one transaction (ReceiveUln302.verify within; the batch's
// submitBatch, shared by every message it proves, is BenchmarkGasSubmitBatch's), then
// LayerZero's commitVerification and lzReceive of each.
func BenchmarkGasLayerZero(b *testing.B) {
	const n = 16
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		e := startLayerZero(b, ctx, false)
		var sendGas, commitGas, receiveGas uint64
		var packets []*packet
		for j := range n {
			p, err := e.send(ctx, []byte{byte(j)})
			if err != nil {
				b.Fatal(err)
			}
			sendGas += p.Gas
			packets = append(packets, p)
		}
		rep, err := e.d.RelayTestOnly(ctx)
		if err != nil || len(rep.Failed) != 0 {
			b.Fatalf("relay: %+v, %v", rep, err)
		}
		for _, p := range packets {
			g, err := e.commit(ctx, p.Header, p.Hash)
			if err != nil {
				b.Fatal(err)
			}
			commitGas += g
			if g, err = e.receive(ctx, p); err != nil {
				b.Fatal(err)
			}
			receiveGas += g
		}
		deliver := float64(rep.Receipt.GasUsed) / n
		b.ReportMetric(float64(sendGas)/n, "send-gas/packet")
		b.ReportMetric(deliver, "deliver-gas/packet")
		b.ReportMetric(float64(commitGas)/n, "commit-gas/packet")
		b.ReportMetric(float64(receiveGas)/n, "lzReceive-gas/packet")
		b.ReportMetric(deliver+float64(commitGas+receiveGas)/n, "dst-gas/packet")

		// The baseline, in the same run: LayerZero's own path for another OApp pair whose DVN
		// records nothing on the source (TestOnlyDVN) and is an account calling
		// ReceiveUln302.verify on the destination, as a DVN that watches off chain does.
		be, verifierKey := e.baseline(b, ctx)
		var baseSend, baseDst uint64
		recv := lzr.NewReceiveUln302()
		dst := e.d.DestinationClient
		for j := range n {
			p, err := be.send(ctx, []byte{byte(j)})
			if err != nil {
				b.Fatal(err)
			}
			baseSend += p.Gas
			r, err := dst.Transact(ctx, verifierKey, dst.Contract(recv, e.ReceiveLib), recv.PackVerify(p.Header, p.Hash, 1), 0, recv.UnpackError)
			if err != nil {
				b.Fatal(err)
			}
			c, err := be.commit(ctx, p.Header, p.Hash)
			if err != nil {
				b.Fatal(err)
			}
			g, err := be.receive(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			baseDst += r.GasUsed + c + g
		}
		b.ReportMetric(float64(baseSend)/n, "baseline-send-gas/packet")
		b.ReportMetric(float64(baseDst)/n, "baseline-dst-gas/packet")
		cancel()
	}
}

// baseline is e with another OApp pair whose ULN config names, as its one required DVN, a
// TestOnlyDVN on the source and an account (the key returned) on the destination.
func (e *lzEnv) baseline(tb testing.TB, ctx context.Context) (*lzEnv, *ecdsa.PrivateKey) {
	tb.Helper()
	d := e.d
	src, dst := d.SourceClient, d.DestinationClient
	owner := crypto.PubkeyToAddress(e.owner.PublicKey)
	verifierKey := devnet.DevKey("relayer")
	be := *e
	testDVN := devnet.DeployForTest(tb, ctx, src, e.owner, testbindings.TestOnlyDVNMetaData.Bin, nil)
	be.SrcApp = devnet.DeployForTest(tb, ctx, src, e.owner, testbindings.TestOnlyOAppMetaData.Bin, e.app.PackConstructor(e.SrcEndpoint))
	be.DstApp = devnet.DeployForTest(tb, ctx, dst, e.owner, testbindings.TestOnlyOAppMetaData.Bin, e.app.PackConstructor(e.DstEndpoint))
	for _, step := range []struct {
		c    *chain.Client
		to   common.Address
		data []byte
	}{
		{src, be.SrcApp, e.app.PackSetPeer(dstEid, common.BytesToHash(be.DstApp.Bytes()))},
		{dst, be.DstApp, e.app.PackSetPeer(srcEid, common.BytesToHash(be.SrcApp.Bytes()))},
		{src, be.SrcApp, e.app.PackSetDelegate(owner)},
		{dst, be.DstApp, e.app.PackSetDelegate(owner)},
		{src, e.SrcEndpoint, e.ep.PackSetConfig(be.SrcApp, e.SendLib, []lz.SetConfigParam{
			{Eid: dstEid, ConfigType: layerzero.UlnConfigType, Config: layerzero.UlnConfig(1, testDVN)}})},
		{dst, e.DstEndpoint, e.ep.PackSetConfig(be.DstApp, e.ReceiveLib, []lz.SetConfigParam{
			{Eid: srcEid, ConfigType: layerzero.UlnConfigType, Config: layerzero.UlnConfig(1, crypto.PubkeyToAddress(verifierKey.PublicKey))}})},
	} {
		if _, err := step.c.Transact(ctx, e.owner, step.c.Contract(e.ep, step.to), step.data, 0, e.ep.UnpackError); err != nil {
			tb.Fatal(err)
		}
	}
	return &be, verifierKey
}

// Event mode: the source DVN's path has no peer DVN, so a send puts nothing through the
// Outbox; the destination DVN verifies the packet once the Inbox holds an event claim of the
// source EndpointV2's PacketSent log, and anyone called verifyByEvent. Refused: before the
// claim, with another packet or options, twice. The claim is submitted with a TestOnlyProof: a
// real receipt proof of this log waits for receipts over the receipt leaf's bounds (this
// receipt is logged beside them).
func TestLayerZeroDVNEventMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startLayerZero(t, ctx, true)
	d := e.d
	dst := d.DestinationClient
	p, err := e.send(ctx, []byte("proven by its PacketSent log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range p.Receipt.Logs {
		if l.Address == d.Outbox {
			t.Fatal("an event-mode send went through the Isthmus Outbox")
		}
	}
	ev, size, err := d.EventOf(ctx, p.Receipt, p.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the send's receipt: %d bytes, %d logs; PacketSent data %d bytes", size, len(p.Receipt.Logs), len(p.Receipt.Logs[p.Log].Data))
	dvn := bindings.NewIsthmusDVN()
	bound := dst.Contract(dvn, e.DstDVN)
	at := bindings.IsthmusDVNLogPlace{BlockNumber: ev.BlockNumber, BlockHash: ev.BlockHash, TxIndex: ev.TxIndex, LogIndex: ev.LogIndex}
	if id, err := bind.Call(bound, nil, dvn.PackPacketSentEventId(d.Config.SourceDomain, e.SrcEndpoint, at, ev.DataHash), dvn.UnpackPacketSentEventId); err != nil || id != ev.ID() {
		t.Fatalf("the DVN's event ID %x, %v; the protocol's %x", id, err, ev.ID())
	}
	byEvent := func(packet, options []byte) error {
		_, err := dst.Transact(ctx, e.user, bound, dvn.PackVerifyByEvent(at, packet, options, p.Sent.SendLibrary), 0, dvn.UnpackError)
		return err
	}
	devnet.WantRevert(t, "verifyByEvent before the claim", byEvent(p.Sent.EncodedPayload, p.Sent.Options), "EventNotProven")
	if err := d.SubmitTestOnly(ctx, &protocol.Statement{Events: []protocol.EventClaim{ev}}); err != nil {
		t.Fatal(err)
	}
	other := append([]byte(nil), p.Sent.EncodedPayload...)
	other[len(other)-1] ^= 1
	devnet.WantRevert(t, "verifyByEvent of another message", byEvent(other, p.Sent.Options), "EventNotProven")
	devnet.WantRevert(t, "verifyByEvent with other options", byEvent(p.Sent.EncodedPayload, []byte{0, 3, 1}), "EventNotProven")
	_, err = e.commit(ctx, p.Header, p.Hash)
	devnet.WantRevert(t, "commitVerification before verifyByEvent", err, "Verifying")
	if err := byEvent(p.Sent.EncodedPayload, p.Sent.Options); err != nil {
		t.Fatal(err)
	}
	devnet.WantRevert(t, "verifyByEvent twice", byEvent(p.Sent.EncodedPayload, p.Sent.Options), "AlreadyVerified")
	if _, err := e.commit(ctx, p.Header, p.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := e.receive(ctx, p); err != nil {
		t.Fatal(err)
	}
}
