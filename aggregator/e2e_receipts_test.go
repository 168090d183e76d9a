package aggregator

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	hl "github.com/isthmus-xyz/isthmus/contracts/thirdparty/hyperlane"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// e2eReceiptPayload is the payload of the lane-by-receipt send of TestE2EReceiptsInPieces:
// its receipt leaf is about 3.6 KiB, four chunks.
const e2eReceiptPayload = 3000

// TestE2EReceiptsInPieces proves, with real proofs at every layer, three claims by receipt
// whose receipts are over the receipt log leaf's bounds, so that each is proven in pieces
// (chunks of its receipt leaf, windows of its log's data, a tail): the PacketSent log of a
// LayerZero packet sent with the Isthmus DVN in event mode, the DispatchId log of a Hyperlane
// message dispatched through the Mailbox's own hook, and the MessageSent log of an Outbox send
// of e2eReceiptPayload bytes (a lane by receipt). One batch carries them; the devnet's Inbox,
// behind the generated verifier, takes it; then the DVN's verifyByEvent, LayerZero's
// commitVerification and lzReceive, the ISM's verifyByEvent and Hyperlane's process, and the
// Inbox's deliver of the send take them. It writes receipts.md (each receipt's size and
// pieces, the batch's stages, each step's gas) to ISTHMUS_E2E_OUT.
func TestE2EReceiptsInPieces(t *testing.T) {
	out := e2eOut(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Minute)
	defer cancel()
	r := newE2ERun(t, DefaultConfig(), "Receipts over the receipt log leaf's bounds, proven in pieces, real proofs")
	p := r.p
	d := r.devnet(t, ctx)
	lzs, err := d.DeployLayerZero(ctx, true, big.NewInt(1_000_000_000), 20_000)
	if err != nil {
		t.Fatal(err)
	}
	hls, err := d.DeployHyperlane(ctx)
	if err != nil {
		t.Fatal(err)
	}
	user := devnet.DevKey("user")
	src, dst := d.SourceClient, d.DestinationClient
	srcDomain, dstDomain := d.Config.SourceDomain, d.Config.DestinationDomain
	gas := map[string]uint64{}

	// LayerZero in event mode: the DVN records nothing on the source; the packet is proven by
	// its PacketSent log.
	lzMessage := bytes.Repeat([]byte("a LayerZero packet proven by its PacketSent log; "), 4)
	packet, err := d.SendLayerZero(ctx, lzs.SrcApp, user, lzMessage)
	if err != nil {
		t.Fatal(err)
	}
	gas["LayerZero send (EndpointV2, SendUln302, the DVN in event mode)"] = packet.Gas

	// Hyperlane in event mode: dispatched through the Mailbox's required hook (not the
	// Isthmus hook), proven by its DispatchId log.
	mb := hl.NewMailbox()
	merkle, err := bind.Call(src.Contract(mb, hls.OriginMailbox), nil, mb.PackRequiredHook(), mb.UnpackRequiredHook)
	if err != nil {
		t.Fatal(err)
	}
	hlBody := []byte("a Hyperlane message proven by its DispatchId log")
	dispatch, err := src.Transact(ctx, user, src.Contract(mb, hls.OriginMailbox),
		mb.PackDispatch(devnet.HyperlaneDestination, common.BytesToHash(hls.Recipient.Bytes()), hlBody, nil, merkle), 0, nil)
	if err != nil {
		t.Fatal(devnet.RevertReason(err))
	}
	gas["Hyperlane dispatch (Mailbox, its MerkleTreeHook)"] = dispatch.GasUsed
	var hlMessage []byte
	idLog := -1
	for i, l := range dispatch.Logs {
		if ev, err := mb.UnpackDispatchEvent(l); err == nil {
			hlMessage = ev.Message
		}
		if _, err := mb.UnpackDispatchIdEvent(l); err == nil {
			idLog = i
		}
	}
	if hlMessage == nil || idLog < 0 {
		t.Fatal("the dispatch has no Dispatch and DispatchId logs")
	}

	// An Outbox send of e2eReceiptPayload bytes to a recording recipient, proven by receipt.
	recipient, err := dst.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte{0x42}, e2eReceiptPayload)
	if _, _, err := d.Src.Send(ctx, user, dstDomain, recipient, 100_000, payload); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	sendHeader, sendTx, sendLog, err := d.Src.FindSend(ctx, dstDomain, 0, nil)
	if err != nil {
		t.Fatal(err)
	}

	type claim struct {
		name  string
		input ReceiptInput
		size  int
	}
	receipt := func(name string, hash common.Hash, tx, log uint32, outbox common.Address) claim {
		in, size := devnetReceiptInput(t, ctx, d, hash, tx, log, outbox)
		if size <= leaf.ReceiptNodeLen {
			t.Fatalf("%s: a %d-byte receipt leaf, within the receipt log leaf's %d", name, size, leaf.ReceiptNodeLen)
		}
		return claim{name, in, size}
	}
	claims := []claim{
		receipt("LayerZero PacketSent (event)", packet.Receipt.BlockHash, uint32(packet.Receipt.TransactionIndex), uint32(packet.Log), common.Address{}),
		receipt("Hyperlane DispatchId (event)", dispatch.BlockHash, uint32(dispatch.TransactionIndex), uint32(idLog), common.Address{}),
		receipt("Outbox MessageSent (lane by receipt)", sendHeader.Hash(), sendTx, sendLog, d.Outbox),
	}
	b := Batch{}
	for _, c := range claims {
		b.Receipts = append(b.Receipts, c.input)
	}
	plan, err := p.Fit(b)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range plan.Leaves {
		count[l.Kind]++
	}
	if len(plan.Statement.Events) != 2 || len(plan.Statement.Lanes) != 1 || count[KindReceiptLog] != 0 || count[KindReceiptTail] != 3 {
		t.Fatalf("the plan: statement %+v, leaves %v; want both events and the lane, each in pieces", plan.Statement, count)
	}
	start := time.Now()
	bp, err := p.ProvePlanned(ctx, plan)
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
	gas["submitBatch (the generated verifier; two events and a lane)"] = sub.GasUsed

	// LayerZero: the DVN verifies the packet by its proven event, then LayerZero's own steps.
	ev := bp.Statement.Events[0]
	dvn := bindings.NewIsthmusDVN()
	at := bindings.IsthmusDVNLogPlace{BlockNumber: ev.BlockNumber, BlockHash: ev.BlockHash, TxIndex: ev.TxIndex, LogIndex: ev.LogIndex}
	rec, err := dst.Transact(ctx, user, dst.Contract(dvn, lzs.DstDVN), dvn.PackVerifyByEvent(at, packet.Sent.EncodedPayload, packet.Sent.Options, packet.Sent.SendLibrary), 0, dvn.UnpackError)
	if err != nil {
		t.Fatal(err)
	}
	gas["LayerZero verifyByEvent (the DVN)"] = rec.GasUsed
	receiveLayerZero(t, ctx, d, lzs, user, packet, lzMessage, gas)

	// Hyperlane: the ISM marks the message by its proven DispatchId, then process.
	hev := bp.Statement.Events[1]
	ism := bindings.NewIsthmusHyperlaneIsm()
	if rec, err = dst.Transact(ctx, user, dst.Contract(ism, hls.Route.Ism), ism.PackVerifyByEvent(hev.BlockNumber, hev.BlockHash, hev.TxIndex, hev.LogIndex, crypto.Keccak256Hash(hlMessage)), 0, ism.UnpackError); err != nil {
		t.Fatal(err)
	}
	gas["Hyperlane verifyByEvent (the ISM)"] = rec.GasUsed
	processHyperlane(t, ctx, d, hls, user, hlMessage, hlBody, "Hyperlane process", gas)

	// The lane: the Inbox delivers the send the lane by receipt proved.
	msgs, err := d.Src.Messages(ctx, dstDomain, 0, 1, sendHeader.Number)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the lane's messages: %d, %v", len(msgs), err)
	}
	rep, err := d.Dst.Deliver(ctx, d.Relayer, srcDomain, msgs, 0)
	if err != nil || len(rep.Failed)+len(rep.Deferred) != 0 {
		t.Fatalf("deliver: %+v, %v", rep, err)
	}
	gas[fmt.Sprintf("Inbox deliver (a message of %d payload bytes)", e2eReceiptPayload)] = rep.Receipt.GasUsed
	rr := testbindings.NewTestRecordingRecipient()
	if n, err := bind.Call(dst.Contract(rr, recipient), nil, rr.PackReceivedCount(), rr.UnpackReceivedCount); err != nil || n.Uint64() != 1 {
		t.Fatalf("the recipient received %v messages, %v; want the send's", n, err)
	}

	fmt.Fprintf(r.report, "\n| claim | receipt leaf bytes | chunks |\n|---|---:|---:|\n")
	for _, c := range claims {
		fmt.Fprintf(r.report, "| %s | %d | %d |\n", c.name, c.size, leaf.ChunksOf(c.size))
	}
	fmt.Fprintf(r.report, "\nLeaves by kind: %v.\n", count)
	r.batch("The batch (two events and a lane by receipt, each receipt in pieces)", bp, wall, 0)
	fmt.Fprintf(r.report, "\n| step | gas |\n|---|---:|\n")
	for _, k := range slices.Sorted(maps.Keys(gas)) {
		fmt.Fprintf(r.report, "| %s | %d |\n", k, gas[k])
	}
	writeE2E(t, out, "receipts.md", r.report.String())
}
