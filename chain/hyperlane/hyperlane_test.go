package hyperlane_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/chain/hyperlane"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	hl "github.com/isthmus-xyz/isthmus/contracts/thirdparty/hyperlane"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Hyperlane's domains of the devnet's two chains.
const (
	hlOrigin      = devnet.HyperlaneOrigin
	hlDestination = devnet.HyperlaneDestination
)

// hyperlaneEnv is a devnet with Hyperlane's real contracts on both chains and an Isthmus route
// between them (devnet.DeployHyperlane): the hook is the origin Mailbox's default hook, the
// ISM the TestRecipient's.
type hyperlaneEnv struct {
	*devnet.Hyperlane // the contracts' addresses and the route
	d                 *devnet.Devnet
	mb                *hl.Mailbox
	owner, user       *ecdsa.PrivateKey
}

func startHyperlane(t testing.TB, ctx context.Context) *hyperlaneEnv {
	t.Helper()
	d := devnet.StartForTest(t)
	h, err := d.DeployHyperlane(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &hyperlaneEnv{Hyperlane: h, d: d, mb: hl.NewMailbox(), owner: d.Deployer, user: devnet.DevKey("user")}
}

// dispatch sends body from the user through the origin Mailbox to the TestRecipient, with
// the given hook metadata (nil: none), and returns the Hyperlane message.
func (e *hyperlaneEnv) dispatch(ctx context.Context, body, hookMetadata []byte) ([]byte, error) {
	c := e.d.SourceClient
	data := e.mb.PackDispatch1(hlDestination, common.BytesToHash(e.Recipient.Bytes()), body)
	if hookMetadata != nil {
		data = e.mb.PackDispatch0(hlDestination, common.BytesToHash(e.Recipient.Bytes()), body, hookMetadata)
	}
	r, err := c.Transact(ctx, e.user, c.Contract(e.mb, e.OriginMailbox), data, 0, bindings.NewIsthmusHyperlaneHook().UnpackError)
	if err != nil {
		return nil, err
	}
	for _, l := range r.Logs {
		if ev, err := e.mb.UnpackDispatchEvent(l); err == nil {
			return ev.Message, nil
		}
	}
	return nil, errors.New("no Dispatch event")
}

// process calls the destination Mailbox's process with empty metadata, as Hyperlane's
// relayer does for a hook-based ISM.
func (e *hyperlaneEnv) process(ctx context.Context, message []byte) (uint64, error) {
	c := e.d.DestinationClient
	r, err := c.Transact(ctx, e.d.Relayer, c.Contract(e.mb, e.Mailbox), e.mb.PackProcess(nil, message), 0, nil)
	if err != nil {
		return 0, err
	}
	return r.GasUsed, nil
}

// A message dispatched through Hyperlane's Mailbox reaches a TestRecipient behind the Isthmus
// ISM once the relay proved the origin's lane and delivered the hook's id; Hyperlane's own
// process call needs no metadata. Refused: before the proof, a replay, an altered message, a
// hook asked to carry value, an id from anyone but the hook, and a paused domain.
func TestHyperlaneMessageThroughIsthmus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := startHyperlane(t, ctx)
	d := e.d

	body := []byte("hello through an Isthmus lane")
	msg, err := e.dispatch(ctx, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.process(ctx, msg); err == nil {
		t.Fatal("processed before the relay proved the origin's state")
	} else {
		devnet.WantRevert(t, "process before the proof", err, "ISM verification failed")
	}
	rep, err := d.RelayTestOnly(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep == nil || len(rep.Failed) != 0 || len(rep.Deferred) != 0 {
		t.Fatalf("delivery of the hook's id: %+v", rep)
	}
	t.Logf("Inbox delivery of one id (lane segment of 1): %d gas", rep.Receipt.GasUsed)
	if ok, err := hyperlane.Verified(ctx, d.DestinationClient, e.Route.Ism, msg); err != nil || !ok {
		t.Fatalf("ISM after delivery: verified %v, %v", ok, err)
	}

	// Altered messages: another body, another nonce.
	altered := append([]byte(nil), msg...)
	altered[len(altered)-1] ^= 1
	_, err = e.process(ctx, altered)
	devnet.WantRevert(t, "an altered body", err, "ISM verification failed")
	altered = append([]byte(nil), msg...)
	altered[4] ^= 1 // Message: version (1), nonce (4), origin (4), ...
	_, err = e.process(ctx, altered)
	devnet.WantRevert(t, "an altered nonce", err, "ISM verification failed")

	gas, err := e.process(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Mailbox.process through the Isthmus ISM: %d gas", gas)
	tr := hl.NewTestRecipient()
	got, err := bind.Call(d.DestinationClient.Contract(tr, e.Recipient), nil, tr.PackLastData(), tr.UnpackLastData)
	if err != nil || string(got) != string(body) {
		t.Fatalf("TestRecipient's last data %q, %v; want %q", got, err, body)
	}
	_, err = e.process(ctx, msg)
	devnet.WantRevert(t, "a replay", err, "already delivered")

	// A hook asked to carry value refuses the dispatch (StandardHookMetadata variant 1:
	// variant, msgValue, gasLimit, refund address).
	meta := make([]byte, 2+32+32+20)
	meta[1] = 1
	meta[2+31] = 1
	_, err = e.dispatch(ctx, []byte("with value"), meta)
	var rv *chain.Revert
	if !errors.As(err, &rv) || rv.Decoded == nil || !strings.Contains(rv.Error(), "ValueNotCarried") {
		t.Fatalf("dispatch asking the hook for msgValue 1: %v, want ValueNotCarried", err)
	}

	// Anyone may send through the Outbox to the ISM, but only the hook's ids count: a forged
	// id is delivered by the Inbox and refused by the ISM (the Inbox records the failure).
	honest, err := e.dispatch(ctx, []byte("sent beside a forged id"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var forgedID [32]byte
	copy(forgedID[:], crypto.Keccak256([]byte("a message the origin never dispatched")))
	payload := forgedID[:] // abi.encode(bytes32)
	if _, _, err := d.Src.Send(ctx, e.user, d.Config.DestinationDomain, e.Route.Ism, 60_000, payload); err != nil {
		t.Fatal(err)
	}
	rep, err = d.RelayTestOnly(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 {
		t.Fatalf("a forged id through the Outbox: failed nonces %v, want the forger's one", rep.Failed)
	}
	ism := bindings.NewIsthmusHyperlaneIsm()
	if ok, err := bind.Call(d.DestinationClient.Contract(ism, e.Route.Ism), nil, ism.PackVerifiedMessages(forgedID), ism.UnpackVerifiedMessages); err != nil || ok.Sign() != 0 {
		t.Fatalf("the forged id is marked (%v, %v)", ok, err)
	}
	if _, err := e.process(ctx, honest); err != nil {
		t.Fatalf("the honest message sent beside the forgery: %v", err)
	}

	// A direct handleMessage from anyone but the Inbox is refused.
	_, err = d.DestinationClient.Transact(ctx, e.user, d.DestinationClient.Contract(ism, e.Route.Ism),
		ism.PackHandleMessage(d.Config.SourceDomain, e.Route.Hook, 0, payload), 0, ism.UnpackError)
	if !errors.As(err, &rv) || !strings.Contains(rv.Error(), "NotInbox") {
		t.Fatalf("handleMessage from an account: %v, want NotInbox", err)
	}

	// A paused domain: the guardian pauses the origin on the Inbox; nothing is proven, the
	// message is not processed.
	inbox := bindings.NewInbox()
	if _, err := d.DestinationClient.Transact(ctx, d.Deployer, d.DestinationClient.Contract(inbox, d.Inbox), inbox.PackPauseDomain(d.Config.SourceDomain), 0, inbox.UnpackError); err != nil {
		t.Fatal(err)
	}
	held, err := e.dispatch(ctx, []byte("held while the domain is paused"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RelayTestOnly(ctx); err == nil {
		t.Fatal("a batch was accepted for a paused domain")
	}
	_, err = e.process(ctx, held)
	devnet.WantRevert(t, "process while the domain is paused", err, "ISM verification failed")
}

// An ISM configured for another origin (Hyperlane domain) refuses a message of this one even
// with its id delivered by the Inbox; the route config refuses missing parts; setHook is the
// deployer's, once.
func TestHyperlaneIsmRefusesAnotherOrigin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startHyperlane(t, ctx)
	d := e.d
	dst := d.DestinationClient
	ism := bindings.NewIsthmusHyperlaneIsm()
	other, err := dst.Deploy(ctx, e.owner, common.FromHex(bindings.IsthmusHyperlaneIsmMetaData.Bin),
		ism.PackConstructor(d.Inbox, d.Config.SourceDomain, hlOrigin+1, e.OriginMailbox))
	if err != nil {
		t.Fatal(err)
	}
	// Its hook is the user's account, so that the user's Outbox sends count as the hook's.
	userAddr := crypto.PubkeyToAddress(e.user.PublicKey)
	if _, err := dst.Transact(ctx, e.user, dst.Contract(ism, other), ism.PackSetHook(userAddr), 0, ism.UnpackError); err == nil {
		t.Fatal("setHook by another account than the deployer")
	}
	if _, err := dst.Transact(ctx, e.owner, dst.Contract(ism, other), ism.PackSetHook(userAddr), 0, ism.UnpackError); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Transact(ctx, e.owner, dst.Contract(ism, other), ism.PackSetHook(e.Route.Hook), 0, ism.UnpackError); err == nil {
		t.Fatal("setHook a second time")
	}
	msg, err := e.dispatch(ctx, []byte("origin 1000"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var id [32]byte
	copy(id[:], crypto.Keccak256(msg))
	payload := id[:] // abi.encode(bytes32)
	if _, _, err := d.Src.Send(ctx, e.user, d.Config.DestinationDomain, other, 60_000, payload); err != nil {
		t.Fatal(err)
	}
	rep, err := d.RelayTestOnly(ctx)
	if err != nil || len(rep.Failed) != 0 {
		t.Fatalf("relay: %+v, %v", rep, err)
	}
	if ok, err := hyperlane.Verified(ctx, dst, other, msg); err != nil || ok {
		t.Fatalf("an ISM for origin %d verified a message of origin %d: %v, %v", hlOrigin+1, hlOrigin, ok, err)
	}
	if ok, err := hyperlane.Verified(ctx, dst, e.Route.Ism, msg); err != nil || !ok {
		t.Fatalf("the route's ISM: %v, %v", ok, err)
	}

	bad := hyperlane.RouteConfig{Origin: hlOrigin, Destination: hlOrigin, OriginMailbox: e.OriginMailbox,
		IsthmusOrigin: 1, IsthmusDestination: 2, Outbox: d.Outbox, Inbox: d.Inbox}
	if _, err := hyperlane.DeployRoute(ctx, d.SourceClient, dst, e.owner, e.owner, bad); err == nil {
		t.Fatal("a route from a domain to itself")
	}
}

// A Hyperlane warp route (HypERC20Collateral on the origin, HypERC20 on the destination,
// from Hyperlane's npm package) secured by the Isthmus ISM moves tokens once the relay proved
// the origin's lane; the Inbox's pause holds a transfer until the owner lifts it (then it is
// minted), and its rate limit holds the transfer past the bucket (proven, waiting for it).
func TestHyperlaneWarpRouteThroughIsthmus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := startHyperlane(t, ctx)
	d := e.d
	src, dst := d.SourceClient, d.DestinationClient
	ownerAddr := crypto.PubkeyToAddress(e.owner.PublicKey)
	userAddr := crypto.PubkeyToAddress(e.user.PublicKey)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tk := testbindings.NewTestOnlyToken()
	token, err := src.Deploy(ctx, e.owner, common.FromHex(testbindings.TestOnlyTokenMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	coll, syn := hl.NewHypERC20Collateral(), hl.NewHypERC20()
	collateral, err := src.Deploy(ctx, e.owner, common.FromHex(hl.HypERC20CollateralMetaData.Bin), coll.PackConstructor(token, big.NewInt(1), big.NewInt(1), e.OriginMailbox))
	if err != nil {
		t.Fatal(err)
	}
	synthetic, err := dst.Deploy(ctx, e.owner, common.FromHex(hl.HypERC20MetaData.Bin), syn.PackConstructor(18, big.NewInt(1), big.NewInt(1), e.Mailbox))
	if err != nil {
		t.Fatal(err)
	}
	must(src.Transact(ctx, e.owner, src.Contract(coll, collateral), coll.PackInitialize(e.Route.Hook, common.Address{}, ownerAddr), 0, nil))
	must(dst.Transact(ctx, e.owner, dst.Contract(syn, synthetic), syn.PackInitialize(big.NewInt(0), "Isthmus test", "IT", common.Address{}, e.Route.Ism, ownerAddr), 0, nil))
	must(src.Transact(ctx, e.owner, src.Contract(coll, collateral), coll.PackEnrollRemoteRouter(hlDestination, common.BytesToHash(synthetic.Bytes())), 0, nil))
	must(dst.Transact(ctx, e.owner, dst.Contract(syn, synthetic), syn.PackEnrollRemoteRouter(hlOrigin, common.BytesToHash(collateral.Bytes())), 0, nil))
	must(src.Transact(ctx, e.owner, src.Contract(tk, token), tk.PackMint(userAddr, big.NewInt(1000)), 0, tk.UnpackError))
	must(src.Transact(ctx, e.user, src.Contract(tk, token), tk.PackApprove(collateral, big.NewInt(1000)), 0, tk.UnpackError))

	inbox := bindings.NewInbox()
	ib := dst.Contract(inbox, d.Inbox)
	must(dst.Transact(ctx, d.Deployer, ib, inbox.PackSetRateLimit(d.Config.SourceDomain, 128, math.MaxUint32), 0, inbox.UnpackError))

	recipient := common.Address{0xbe, 0xef}
	transfer := func(amount int64) []byte {
		t.Helper()
		r, err := src.Transact(ctx, e.user, src.Contract(coll, collateral), coll.PackTransferRemote(hlDestination, common.BytesToHash(recipient.Bytes()), big.NewInt(amount)), 0, nil)
		if err != nil {
			t.Fatalf("transferRemote %d: %s", amount, devnet.RevertReason(err))
		}
		for _, l := range r.Logs {
			if ev, err := e.mb.UnpackDispatchEvent(l); err == nil {
				return ev.Message
			}
		}
		t.Fatal("no Dispatch event")
		return nil
	}
	balance := func() int64 {
		t.Helper()
		b, err := bind.Call(dst.Contract(syn, synthetic), nil, syn.PackBalanceOf(recipient), syn.UnpackBalanceOf)
		if err != nil {
			t.Fatal(err)
		}
		return b.Int64()
	}
	locked, err := bind.Call(src.Contract(tk, token), nil, tk.PackBalanceOf(collateral), tk.UnpackBalanceOf)
	must(nil, err)

	first := transfer(100)
	if _, err := e.process(ctx, first); err == nil {
		t.Fatal("a transfer minted before the relay proved the origin's state")
	}
	must(d.RelayTestOnly(ctx))
	gas, err := e.process(ctx, first)
	if err != nil {
		t.Fatal(devnet.RevertReason(err))
	}
	if b := balance(); b != 100 {
		t.Fatalf("minted %d, want 100", b)
	}
	if l, _ := bind.Call(src.Contract(tk, token), nil, tk.PackBalanceOf(collateral), tk.UnpackBalanceOf); new(big.Int).Sub(l, locked).Int64() != 100 {
		t.Fatalf("locked %s on the origin, want 100", new(big.Int).Sub(l, locked))
	}
	t.Logf("warp transfer: Mailbox.process through the Isthmus ISM, HypERC20 mint: %d gas", gas)

	// Paused: held, then delivered once the owner lifts the pause.
	must(dst.Transact(ctx, d.Deployer, ib, inbox.PackPauseDomain(d.Config.SourceDomain), 0, inbox.UnpackError))
	second := transfer(20)
	if _, err := d.RelayTestOnly(ctx); err == nil {
		t.Fatal("a batch was accepted for a paused domain")
	}
	_, err = e.process(ctx, second)
	devnet.WantRevert(t, "a transfer while the domain is paused", err, "ISM verification failed")
	must(dst.Transact(ctx, d.Deployer, ib, inbox.PackUnpauseDomain(d.Config.SourceDomain), 0, inbox.UnpackError))
	must(d.RelayTestOnly(ctx))
	must(e.process(ctx, second))

	// The rate limit (set above: a bucket of one segment, 128 messages, that does not refill
	// within the test) lets the bucket's last message through and holds the next.
	var fillers []byte
	for i := 0; i < 125; i++ { // transfers 1 and 2 took 2 of the bucket; transfer 3 is its last
		if _, _, err := d.Src.Send(ctx, e.user, d.Config.DestinationDomain, recipient, 0, fillers); err != nil {
			t.Fatal(err)
		}
	}
	third := transfer(3)
	must(d.RelayTestOnly(ctx))
	must(e.process(ctx, third))
	fourth := transfer(4)
	_, err = d.RelayTestOnly(ctx)
	var rv *chain.Revert
	if !errors.As(err, &rv) || !strings.Contains(rv.Error(), "RateLimited") {
		t.Fatalf("delivery past the rate limit: %v, want RateLimited", err)
	}
	_, err = e.process(ctx, fourth)
	devnet.WantRevert(t, "a transfer held by the rate limit", err, "ISM verification failed")
	if b := balance(); b != 123 {
		t.Fatalf("minted %d in all, want 123", b)
	}
}

// BenchmarkGasHyperlane reports the gas of N messages through the Isthmus hook and ISM: the
// dispatch on the origin (Mailbox, MerkleTreeHook, the hook's Outbox send), and on the
// destination the Inbox's delivery of the N ids in one transaction (the batch's submitBatch,
// shared by every message it proves, is BenchmarkGasSubmitBatch's), then Hyperlane's process
// of each (the ISM's verify and the TestRecipient's handle).
func BenchmarkGasHyperlane(b *testing.B) {
	const n = 16
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		e := startHyperlane(b, ctx)
		var dispatchGas, processGas uint64
		var msgs [][]byte
		c := e.d.SourceClient
		for j := range n {
			r, err := c.Transact(ctx, e.user, c.Contract(e.mb, e.OriginMailbox),
				e.mb.PackDispatch1(hlDestination, common.BytesToHash(e.Recipient.Bytes()), []byte{byte(j)}), 0, nil)
			if err != nil {
				b.Fatal(err)
			}
			dispatchGas += r.GasUsed
			for _, l := range r.Logs {
				if ev, err := e.mb.UnpackDispatchEvent(l); err == nil {
					msgs = append(msgs, ev.Message)
				}
			}
		}
		rep, err := e.d.RelayTestOnly(ctx)
		if err != nil || len(rep.Failed) != 0 || len(msgs) != n {
			b.Fatalf("relay: %+v, %v (%d messages)", rep, err, len(msgs))
		}
		for _, m := range msgs {
			g, err := e.process(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			processGas += g
		}
		deliver := float64(rep.Receipt.GasUsed) / n
		b.ReportMetric(float64(dispatchGas)/n, "dispatch-gas/msg")
		b.ReportMetric(deliver, "deliver-gas/msg")
		b.ReportMetric(float64(processGas)/n, "process-gas/msg")
		b.ReportMetric(deliver+float64(processGas)/n, "dst-gas/msg")

		// The baseline, in the same run: Hyperlane's own path to another TestRecipient whose
		// ISM accepts everything (Hyperlane's TestIsm), dispatched with a hook that does
		// nothing (TestPostDispatchHook) beside the required MerkleTreeHook.
		dst := e.d.DestinationClient
		ism := devnet.DeployForTest(b, ctx, dst, e.owner, hl.TestIsmMetaData.Bin, nil)
		noop := devnet.DeployForTest(b, ctx, c, e.owner, hl.TestPostDispatchHookMetaData.Bin, nil)
		recipient := devnet.DeployForTest(b, ctx, dst, e.owner, hl.TestRecipientMetaData.Bin, nil)
		tr := hl.NewTestRecipient()
		if _, err := dst.Transact(ctx, e.owner, dst.Contract(tr, recipient), tr.PackSetInterchainSecurityModule(ism), 0, nil); err != nil {
			b.Fatal(err)
		}
		var baseDispatch, baseProcess uint64
		for j := range n {
			r, err := c.Transact(ctx, e.user, c.Contract(e.mb, e.OriginMailbox),
				e.mb.PackDispatch(hlDestination, common.BytesToHash(recipient.Bytes()), []byte{byte(j)}, nil, noop), 0, nil)
			if err != nil {
				b.Fatal(devnet.RevertReason(err))
			}
			baseDispatch += r.GasUsed
			var msg []byte
			for _, l := range r.Logs {
				if ev, err := e.mb.UnpackDispatchEvent(l); err == nil {
					msg = ev.Message
				}
			}
			g, err := e.process(ctx, msg)
			if err != nil {
				b.Fatal(devnet.RevertReason(err))
			}
			baseProcess += g
		}
		b.ReportMetric(float64(baseDispatch)/n, "baseline-dispatch-gas/msg")
		b.ReportMetric(float64(baseProcess)/n, "baseline-process-gas/msg")
		cancel()
	}
}

// Event mode: a message dispatched with no Isthmus hook (the sender names the MerkleTreeHook)
// is accepted once the Inbox holds an event claim of the origin Mailbox's DispatchId log, and
// anyone called verifyByEvent. Refused: before the claim, at another place, twice. The claim is
// submitted with a TestOnlyProof: a real receipt proof of this log waits for receipts over the
// receipt leaf's bounds (this receipt is logged beside them).
func TestHyperlaneIsmEventMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startHyperlane(t, ctx)
	d := e.d
	src, dst := d.SourceClient, d.DestinationClient
	merkle, err := bind.Call(src.Contract(e.mb, e.OriginMailbox), nil, e.mb.PackRequiredHook(), e.mb.UnpackRequiredHook)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("proven by its DispatchId log")
	r, err := src.Transact(ctx, e.user, src.Contract(e.mb, e.OriginMailbox),
		e.mb.PackDispatch(hlDestination, common.BytesToHash(e.Recipient.Bytes()), body, nil, merkle), 0, nil)
	if err != nil {
		t.Fatal(devnet.RevertReason(err))
	}
	var msg []byte
	logIndex := -1
	for i, l := range r.Logs {
		if ev, err := e.mb.UnpackDispatchEvent(l); err == nil {
			msg = ev.Message
		}
		if _, err := e.mb.UnpackDispatchIdEvent(l); err == nil {
			logIndex = i
		}
	}
	if msg == nil || logIndex < 0 {
		t.Fatal("no Dispatch and DispatchId logs")
	}
	for _, l := range r.Logs {
		if l.Address == d.Outbox {
			t.Fatal("the dispatch went through the Isthmus Outbox")
		}
	}
	id := crypto.Keccak256Hash(msg)

	ev, size, err := d.EventOf(ctx, r, logIndex)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the dispatch's receipt: %d bytes, %d logs", size, len(r.Logs))
	ism := bindings.NewIsthmusHyperlaneIsm()
	bound := dst.Contract(ism, e.Route.Ism)
	byEvent := func(logIndex uint32) error {
		_, err := dst.Transact(ctx, e.user, bound, ism.PackVerifyByEvent(ev.BlockNumber, ev.BlockHash, ev.TxIndex, logIndex, id), 0, ism.UnpackError)
		return err
	}
	if want, err := bind.Call(bound, nil, ism.PackDispatchEventId(ev.BlockNumber, ev.BlockHash, ev.TxIndex, ev.LogIndex, id), ism.UnpackDispatchEventId); err != nil || want != ev.ID() {
		t.Fatalf("the ISM's event ID %x, %v; the protocol's %x", want, err, ev.ID())
	}
	devnet.WantRevert(t, "verifyByEvent before the claim", byEvent(ev.LogIndex), "EventNotProven")
	if err := d.SubmitTestOnly(ctx, &protocol.Statement{Events: []protocol.EventClaim{ev}}); err != nil {
		t.Fatal(err)
	}
	devnet.WantRevert(t, "verifyByEvent at another log", byEvent(ev.LogIndex+1), "EventNotProven")
	if _, err := e.process(ctx, msg); err == nil {
		t.Fatal("processed before verifyByEvent")
	}
	if err := byEvent(ev.LogIndex); err != nil {
		t.Fatal(err)
	}
	devnet.WantRevert(t, "verifyByEvent twice", byEvent(ev.LogIndex), "AlreadyVerified")
	if _, err := e.process(ctx, msg); err != nil {
		t.Fatal(devnet.RevertReason(err))
	}
}
