package aggregator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	hl "github.com/isthmus-xyz/isthmus/contracts/thirdparty/hyperlane"
	lz "github.com/isthmus-xyz/isthmus/contracts/thirdparty/layerzero"
	lzr "github.com/isthmus-xyz/isthmus/contracts/thirdparty/layerzeroreceive"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// TestE2EAdapters: a LayerZero packet sent by an OApp through EndpointV2 with the Isthmus DVN,
// and a Hyperlane message dispatched through the Mailbox with the Isthmus hook, ride one lane
// of the devnet's source chain; one batch proves the lane's head with real proofs at every
// layer; the devnet's Inbox, behind the generated verifier, takes it and delivers both; then
// LayerZero's commitVerification and lzReceive, and Hyperlane's process, take them as for any
// DVN and ISM. It writes adapters.md (the batch's stages, each step's gas) to ISTHMUS_E2E_OUT.
func TestE2EAdapters(t *testing.T) {
	out := e2eOut(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	r := newE2ERun(t, DefaultConfig(), "LayerZero and Hyperlane through the Isthmus adapters, real proofs")
	p := r.p
	d := r.devnet(t, ctx)
	lzs, err := d.DeployLayerZero(ctx, false, big.NewInt(1_000_000_000), 20_000)
	if err != nil {
		t.Fatal(err)
	}
	hls, err := d.DeployHyperlane(ctx)
	if err != nil {
		t.Fatal(err)
	}
	user := devnet.DevKey("user")
	src := d.SourceClient
	gas := map[string]uint64{}

	// LayerZero: the OApp sends, paying the endpoint's quote (the Isthmus DVN's fee).
	lzMessage := []byte("a LayerZero packet, proven")
	packet, err := d.SendLayerZero(ctx, lzs.SrcApp, user, lzMessage)
	if err != nil {
		t.Fatal(err)
	}
	gas["LayerZero send (EndpointV2, SendUln302, the DVN's Outbox send)"] = packet.Gas

	// Hyperlane: dispatch to the TestRecipient; the Mailbox's default hook is the Isthmus one.
	mb := hl.NewMailbox()
	hlBody := []byte("a Hyperlane message, proven")
	rec, err := src.Transact(ctx, user, src.Contract(mb, hls.OriginMailbox),
		mb.PackDispatch1(devnet.HyperlaneDestination, common.BytesToHash(hls.Recipient.Bytes()), hlBody), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	gas["Hyperlane dispatch (Mailbox, MerkleTreeHook, the hook's Outbox send)"] = rec.GasUsed
	var message []byte
	for _, l := range rec.Logs {
		if ev, err := mb.UnpackDispatchEvent(l); err == nil {
			message = ev.Message
		}
	}

	// One batch: the lane's head, by storage, under the devnet's committee.
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dstDomain := d.Config.DestinationDomain
	lane, err := d.Src.ProveLane(ctx, h, dstDomain, nil)
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(d.Config.SourceDomain, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	bp, err := p.Prove(ctx, Batch{Claims: []ClaimInput{{Committee: members, Signatures: sigs, Lane: lane}}})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	calldata, err := verifier.Calldata(bp.Proof)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &bp.Statement)
	if err != nil {
		t.Fatal(err)
	}
	gas["submitBatch (the generated verifier; shared by every message of the batch)"] = sub.GasUsed
	head, err := lane.Head()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := d.Src.Messages(ctx, dstDomain, 0, head.Count, h.Number)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("the lane's messages: %d, %v; want the DVN's and the hook's", len(msgs), err)
	}
	rep, err := d.Dst.Deliver(ctx, d.Relayer, d.Config.SourceDomain, msgs, 0)
	if err != nil || len(rep.Failed)+len(rep.Deferred) != 0 {
		t.Fatalf("deliver: %+v, %v", rep, err)
	}
	gas["Inbox deliver of both (ReceiveUln302.verify, the ISM's mark)"] = rep.Receipt.GasUsed

	// LayerZero's own steps, then Hyperlane's.
	receiveLayerZero(t, ctx, d, lzs, user, packet, lzMessage, gas)
	processHyperlane(t, ctx, d, hls, user, message, hlBody, "Hyperlane process (the ISM's verify, TestRecipient)", gas)

	r.batch("The batch (the lane's head by storage, carrying one packet of each protocol)", bp, wall, 0)
	fmt.Fprintf(r.report, "\n| step | gas |\n|---|---:|\n")
	for _, k := range []string{
		"LayerZero send (EndpointV2, SendUln302, the DVN's Outbox send)",
		"Hyperlane dispatch (Mailbox, MerkleTreeHook, the hook's Outbox send)",
		"submitBatch (the generated verifier; shared by every message of the batch)",
		"Inbox deliver of both (ReceiveUln302.verify, the ISM's mark)",
		"LayerZero commitVerification", "LayerZero lzReceive",
		"Hyperlane process (the ISM's verify, TestRecipient)",
	} {
		fmt.Fprintf(r.report, "| %s | %d |\n", k, gas[k])
	}
	fmt.Fprintf(r.report, "\nThe DVN's fee for the packet: %s wei (at 1 gwei).\n", packet.Fee)
	writeE2E(t, out, "adapters.md", r.report.String())
}

// receiveLayerZero runs LayerZero's own steps on the destination once the DVN verified the
// packet (commitVerification, then lzReceive), checks that the OApp got message, and records
// their gas.
func receiveLayerZero(t *testing.T, ctx context.Context, d *devnet.Devnet, lzs *devnet.LayerZero, key *ecdsa.PrivateKey,
	packet *devnet.LayerZeroPacket, message []byte, gas map[string]uint64) {
	t.Helper()
	dst := d.DestinationClient
	recv, ep, app := lzr.NewReceiveUln302(), lz.NewEndpointV2(), testbindings.NewTestOnlyOApp()
	rec, err := dst.Transact(ctx, key, dst.Contract(recv, lzs.ReceiveLib), recv.PackCommitVerification(packet.Header, packet.Hash), 0, recv.UnpackError)
	if err != nil {
		t.Fatal(err)
	}
	gas["LayerZero commitVerification"] = rec.GasUsed
	if rec, err = dst.Transact(ctx, key, dst.Contract(ep, lzs.DstEndpoint), ep.PackLzReceive(packet.Origin(), lzs.DstApp, packet.GUID, packet.Message, nil), 0, ep.UnpackError); err != nil {
		t.Fatal(err)
	}
	gas["LayerZero lzReceive"] = rec.GasUsed
	if got, err := bind.Call(dst.Contract(app, lzs.DstApp), nil, app.PackLastMessage(), app.UnpackLastMessage); err != nil || !bytes.Equal(got, message) {
		t.Fatalf("the destination OApp got %q, %v", got, err)
	}
}

// processHyperlane runs Hyperlane's process of message on the destination once the ISM took
// it, checks that the TestRecipient got body, and records its gas under name.
func processHyperlane(t *testing.T, ctx context.Context, d *devnet.Devnet, hls *devnet.Hyperlane, key *ecdsa.PrivateKey,
	message, body []byte, name string, gas map[string]uint64) {
	t.Helper()
	dst, mb, tr := d.DestinationClient, hl.NewMailbox(), hl.NewTestRecipient()
	rec, err := dst.Transact(ctx, key, dst.Contract(mb, hls.Mailbox), mb.PackProcess(nil, message), 0, nil)
	if err != nil {
		t.Fatal(devnet.RevertReason(err))
	}
	gas[name] = rec.GasUsed
	if got, err := bind.Call(dst.Contract(tr, hls.Recipient), nil, tr.PackLastData(), tr.UnpackLastData); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the TestRecipient got %q, %v", got, err)
	}
}
