package aggregator

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
)

// devnetUniversalBatch is a devnet batch of every kind the universal aggregation takes
// today: two lanes by storage of one block (to the destination and to domain 3), a token
// transfer's event and a lane by receipt (in this order: the planner puts the lane by receipt
// first), and a rotation; it returns the token's address too.
func devnetUniversalBatch(t *testing.T) (Batch, common.Address) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain
	members, _ := devnet.Committee()
	for _, to := range []uint32{dst, 3, dst} {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), to, common.Address{0xbb}, 100_000, bytes.Repeat([]byte{7}, 64)); err != nil {
			t.Fatal(err)
		}
	}
	token, transfer, err := devnet.TokenTransfers(ctx, d, common.HexToAddress("0xc0"))
	if err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := devnet.Attest(src, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	var claims []ClaimInput
	for _, to := range []uint32{dst, 3} {
		lp, err := d.Src.ProveLane(ctx, h, to, nil)
		if err != nil {
			t.Fatal(err)
		}
		claims = append(claims, ClaimInput{Committee: members, Signatures: sigs, Lane: lp})
	}
	receipt := func(hash common.Hash, tx, log uint32, outbox common.Address) ReceiptInput {
		in, _ := devnetReceiptInput(t, ctx, d, hash, tx, log, outbox)
		return in
	}
	sendHeader, sendTx, sendLog, err := d.Src.FindSend(ctx, dst, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rot, rotSigs, err := devnet.AttestRotation(src, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	b := Batch{Claims: claims,
		// The event first: the plan puts the lane by receipt before it.
		Receipts:  []ReceiptInput{receipt(transfer.BlockHash, uint32(transfer.TransactionIndex), 0, common.Address{}), receipt(sendHeader.Hash(), sendTx, sendLog, d.Outbox)},
		Rotations: []RotationInput{{Claim: rot, Committee: members, Signatures: rotSigs}}}
	return b, token
}

// devnetReceiptInput is the claim by receipt of log log of transaction tx in the devnet's
// source block of hash, signed by the devnet's committee: a lane by receipt where outbox is
// set, else an event; and the size of its receipt leaf.
func devnetReceiptInput(t *testing.T, ctx context.Context, d *devnet.Devnet, hash common.Hash, tx, log uint32, outbox common.Address) (ReceiptInput, int) {
	t.Helper()
	src := d.Config.SourceDomain
	header, err := d.SourceClient.Eth.HeaderByHash(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	s, err := devnet.Attest(src, header.Number.Uint64(), header.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := d.SourceClient.ProveReceipt(ctx, src, header, tx, log)
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()
	return ReceiptInput{Committee: members, Signatures: s, Proof: rp, Outbox: outbox}, len(rp.Nodes[len(rp.Nodes)-1])
}

// TestUniversalPlanOfADevnetBatch: one devnet batch of every kind the universal aggregation
// takes today (two lanes by storage of one block, a lane by receipt, an event, a rotation)
// is planned: its statement lists the claims in the Inbox's order, the two lanes share their
// block's header leaf and the Outbox account's steps, the leaves' facts link and export
// protocol.ChainStatement of the claims, two folds carry five claims, every leaf's witness is
// made; a claim or a rotation under the sync committee is refused without a beacon chain.
func TestUniversalPlanOfADevnetBatch(t *testing.T) {
	b, token := devnetUniversalBatch(t)
	claims := b.Claims
	dst := claims[0].Lane.DstDomain
	plan, err := PlanBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	st := plan.Statement
	if len(st.Lanes) != 3 || st.Lanes[0].DstDomain != dst || st.Lanes[1].DstDomain != 3 || st.Lanes[2].Kind != protocol.KindLaneReceipt ||
		len(st.Events) != 1 || st.Events[0].Emitter != token || len(st.Rotations) != 1 {
		t.Fatalf("statement %+v: want the lanes to %d and 3, the lane by receipt, the token's event, the rotation", st, dst)
	}
	count := map[string]int{}
	for _, l := range plan.Leaves {
		count[l.Kind]++
	}
	// Headers: the lanes' block, the send's and the transfer's (the send may be in the lanes'
	// block: then two). Folds: five claims, two folds.
	if count[KindFold] != 2 || count[KindLane] != 2 || count[KindRotation] != 1 || count[KindReceiptLog] != 2 || count[KindReceiptClaim] != 2 {
		t.Fatalf("leaves by kind %v", count)
	}
	accountSteps := len(claims[0].Lane.AccountProof)
	if count[KindStep] >= 2*(accountSteps+len(claims[0].Lane.Word.Proof)+len(claims[0].Lane.Acc.Proof)) {
		t.Fatalf("%d steps: the lanes do not share the account's %d", count[KindStep], accountSteps)
	}
	kinds, circuits := CommitteeKinds()
	linksToItsStatement(t, plan, kinds)
	t.Logf("%d leaves: %v", len(plan.Leaves), count)
	// Every leaf's witness is made (its kind's assigner is the leaf package's, whose tests
	// solve it on the same devnet logs and lanes).
	for _, l := range plan.Leaves {
		if _, ok := circuits[l.Kind]; !ok {
			t.Fatalf("%s: kind %s has no circuit", l.Label, l.Kind)
		}
		if _, err := frontend.NewWitness(l.Assignment, ecc.BLS12_377.ScalarField()); err != nil {
			t.Fatalf("%s (%s): %v", l.Label, l.Kind, err)
		}
	}

	if _, err := PlanBatch(Batch{Claims: []ClaimInput{{Lane: claims[0].Lane, Sync: &synccommittee.SignedUpdate{}}}}); err == nil || !strings.Contains(err.Error(), "a beacon chain configured") {
		t.Fatalf("a sync-committee claim without a beacon chain: %v", err)
	}
	if _, err := PlanBatch(Batch{SyncRotations: []SyncRotationInput{{}}}); err == nil || !strings.Contains(err.Error(), "a beacon chain configured") {
		t.Fatalf("a sync-committee rotation without a beacon chain: %v", err)
	}
}

// TestUniversalPlanOfLargeReceipts: claims by receipt over the receipt log leaf's bounds are
// planned in pieces: a LayerZero PacketSent event (its send's receipt over 815 bytes) and a
// lane by receipt of a send of 12,000 payload bytes take the receipts' chunks, their logs'
// data windows and tails, whose facts link to the statement; the batch fits the large
// aggregation; an allow-list without the chunked kinds refuses it as ErrReceiptTooLarge, and
// sends past one batch's reach are refused as the relay's storage fallback expects.
func TestUniversalPlanOfLargeReceipts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	lzs, err := d.DeployLayerZero(ctx, true, big.NewInt(1_000_000_000), 20_000)
	if err != nil {
		t.Fatal(err)
	}
	user := devnet.DevKey("user")
	packet, err := d.SendLayerZero(ctx, lzs.SrcApp, user, bytes.Repeat([]byte{0x5a}, 200))
	if err != nil {
		t.Fatal(err)
	}
	dst := d.Config.DestinationDomain
	if _, _, err := d.Src.Send(ctx, user, dst, common.Address{0xbb}, 100_000, bytes.Repeat([]byte{7}, 12_000)); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	sendHeader, sendTx, sendLog, err := d.Src.FindSend(ctx, dst, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	event, eventSize := devnetReceiptInput(t, ctx, d, packet.Receipt.BlockHash, uint32(packet.Receipt.TransactionIndex), uint32(packet.Log), common.Address{})
	lane, laneSize := devnetReceiptInput(t, ctx, d, sendHeader.Hash(), sendTx, sendLog, d.Outbox)
	if eventSize <= leaf.ReceiptNodeLen || laneSize <= 12_000 {
		t.Fatalf("receipt leaves of %d and %d bytes: not over the receipt log leaf's bounds", eventSize, laneSize)
	}
	b := Batch{Receipts: []ReceiptInput{event, lane}}
	plan, err := PlanBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range plan.Leaves {
		count[l.Kind]++
	}
	if want := leaf.ChunksOf(eventSize) + leaf.ChunksOf(laneSize); count[KindReceiptChunk] != want || count[KindReceiptTail] != 2 ||
		count[KindReceiptLog] != 0 || count[KindReceiptClaim] != 2 || count[KindReceiptData] < 2 {
		t.Fatalf("leaves by kind %v: want %d chunks, two tails, two claims, a data window each at least", count, want)
	}
	if len(plan.Statement.Lanes) != 1 || plan.Statement.Lanes[0].Kind != protocol.KindLaneReceipt || len(plan.Statement.Events) != 1 {
		t.Fatalf("statement %+v: want the lane by receipt and the event", plan.Statement)
	}
	kinds, circuits := CommitteeKinds()
	linksToItsStatement(t, plan, kinds)
	for _, l := range plan.Leaves {
		if _, err := frontend.NewWitness(l.Assignment, ecc.BLS12_377.ScalarField()); err != nil || circuits[l.Kind] == nil {
			t.Fatalf("%s (%s): %v", l.Label, l.Kind, err)
		}
	}
	t.Logf("receipt leaves of %d and %d bytes: %d leaves %v", eventSize, laneSize, len(plan.Leaves), count)

	p := &Prover{Config: DefaultConfig(), runner: runner{log: slog.New(slog.DiscardHandler)}}
	for _, n := range kinds {
		p.Kinds = append(p.Kinds, &Circuit{Name: n, Curve: ecc.BLS12_377})
	}
	if size, _, err := p.check(plan); err != nil || p.Config.Sizes[size] != LargeSizes {
		t.Fatalf("the batch in the aggregation of size %d: %v; want the large one", size, err)
	}
	p.Kinds = p.Kinds[:len(p.Kinds)-3]
	if _, err := p.Fit(b); !errors.Is(err, ErrReceiptTooLarge) {
		t.Fatalf("an allow-list without the chunked receipt kinds: %v, want ErrReceiptTooLarge", err)
	}

	// Sends too large for one batch by receipt: 30,000 payload bytes (a receipt leaf of 33
	// chunks, over the 32 slots) and the Outbox's maximum (a leaf over the chunks' 65,535
	// bytes). The prover refuses both in the errors the relay answers by proving the lane by
	// storage (cmd/isthmus receiptFallback).
	p.Kinds = p.Kinds[:0]
	for _, n := range kinds {
		p.Kinds = append(p.Kinds, &Circuit{Name: n, Curve: ecc.BLS12_377})
	}
	for _, c := range []struct {
		payload int
		want    error
	}{{30_000, ErrTooManyLeaves}, {protocol.MaxPayload, ErrReceiptTooLarge}} {
		m, _, err := d.Src.Send(ctx, user, dst, common.Address{0xbb}, 100_000, bytes.Repeat([]byte{9}, c.payload))
		if err != nil {
			t.Fatal(err)
		}
		d.Source.Finalize(d.Source.Head())
		h, tx, log, err := d.Src.FindSend(ctx, dst, m.Nonce, nil)
		if err != nil {
			t.Fatal(err)
		}
		in, size := devnetReceiptInput(t, ctx, d, h.Hash(), tx, log, d.Outbox)
		if _, err := p.Fit(Batch{Receipts: []ReceiptInput{in}}); !errors.Is(err, c.want) {
			t.Fatalf("a send of %d payload bytes (a %d-byte receipt leaf): %v, want %v", c.payload, size, err, c.want)
		}
		t.Logf("a send of %d payload bytes: a %d-byte receipt leaf, refused (%v)", c.payload, size, c.want)
	}
}

// TestUniversalProverBounds: the universal prover refuses, before any proof, a batch of more
// leaves than its aggregation's slots and a batch with a leaf of a kind its allow-list
// lacks.
func TestUniversalProverBounds(t *testing.T) {
	b, _ := devnetUniversalBatch(t)
	names, _ := CommitteeKinds()
	p := &Prover{Config: Config{Sizes: []universal.Sizes{SmallSizes, {Slots: 16, Kinds: 32, Keys: 8}}}, runner: runner{log: slog.New(slog.DiscardHandler)}}
	for _, n := range names {
		p.Kinds = append(p.Kinds, &Circuit{Name: n, Curve: ecc.BLS12_377})
	}
	ctx := context.Background()
	if _, err := p.ProveLeaves(ctx, b, &BatchProof{}); !errors.Is(err, ErrTooManyLeaves) {
		t.Fatalf("23 leaves in 16 slots: %v, want ErrTooManyLeaves", err)
	}
	rotation := Batch{Rotations: b.Rotations}
	p.Config.Sizes = []universal.Sizes{{Slots: 1, Kinds: 32, Keys: 1}}
	if _, err := p.ProveLeaves(ctx, rotation, &BatchProof{}); !errors.Is(err, ErrTooManyLeaves) {
		t.Fatalf("a rotation and its fold in one slot: %v, want ErrTooManyLeaves", err)
	}
	p.Config.Sizes = []universal.Sizes{{Slots: 32, Kinds: 32, Keys: 8}}
	p.Kinds = p.Kinds[:len(p.Kinds)-5] // no receipt kinds
	if _, err := p.ProveLeaves(ctx, b, &BatchProof{}); err == nil || !strings.Contains(err.Error(), "is not in the list") {
		t.Fatalf("a receipt leaf with no receipt kind in the list: %v", err)
	}
	// A batch that fits goes as far as its jobs: these kinds have no keys.
	if _, err := p.ProveLeaves(ctx, rotation, &BatchProof{}); err == nil || !strings.Contains(err.Error(), "has no verifying key") {
		t.Fatalf("kinds without keys: %v", err)
	}
}

// TestUniversalConfigSizes: a batch takes the first aggregation size whose slots and key
// table hold it, and a config the one wrap cannot take is refused.
func TestUniversalConfigSizes(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ leaves, kinds, want int }{{1, 1, 0}, {4, 4, 0}, {4, 5, 1}, {5, 2, 1}, {32, 16, 1}} {
		if got, err := cfg.size(c.leaves, c.kinds); err != nil || got != c.want {
			t.Errorf("%d leaves of %d kinds: size %d, %v; want %d", c.leaves, c.kinds, got, err, c.want)
		}
	}
	for _, c := range [][2]int{{33, 1}, {32, 17}} {
		if _, err := cfg.size(c[0], c[1]); !errors.Is(err, ErrTooManyLeaves) {
			t.Errorf("%d leaves of %d kinds: %v, want ErrTooManyLeaves", c[0], c[1], err)
		}
	}
	small, large := SmallSizes, LargeSizes
	other := large
	other.Kinds = 64
	for name, sizes := range map[string][]universal.Sizes{
		"none": nil, "three": {small, large, {Slots: 64, Kinds: 32, Keys: 16}},
		"largest first": {large, small}, "two lists": {small, other}, "no keys": {{Slots: 4, Kinds: 32}},
	} {
		if err := (Config{Sizes: sizes}).Check(); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
	// An allow-list of some attester-committee kinds: the fold first, in their order.
	if err := testUniversal().Check(); err != nil {
		t.Fatalf("make test's config: %v", err)
	}
	for name, kinds := range map[string][]string{"none": {}, "no fold": {KindRotation}, "the fold after": {KindRotation, KindFold},
		"an unknown kind": {KindFold, "universal-nosuch"}, "out of order": {KindFold, KindRotation, KindHeader}} {
		if err := (Config{Sizes: []universal.Sizes{small}, Committee: kinds}).Check(); err == nil {
			t.Errorf("committee kinds, %s: taken", name)
		}
	}
}

// TestUniversalCircuitSetHoldsOneCircuit: the universal circuit set compiles a job's circuit
// when it is asked for it, with its stored verifying key, and lets the one before go, so
// that a prover or a worker holds one constraint system at a time; it runs no setup, and
// refuses an unknown name.
func TestUniversalCircuitSetHoldsOneCircuit(t *testing.T) {
	store := &prover.Store{Dir: t.TempDir()}
	s := &CircuitSet{Store: store, Config: DefaultConfig(), extra: map[string]func() frontend.Circuit{}}
	for _, name := range []string{"a", "b"} {
		s.extra[name] = func() frontend.Circuit { return &squareCircuit{} }
	}
	if _, err := s.Circuit("a"); err == nil {
		t.Fatal("a circuit without keys in the store was compiled and taken")
	}
	for _, name := range []string{"a", "b"} {
		if _, err := keyed(store, slog.New(slog.DiscardHandler), name, bls12377, &squareCircuit{}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.Circuit("a")
	if err != nil || a.CCS == nil || a.Keys.VK == nil {
		t.Fatalf("a: %v", err)
	}
	if again, err := s.Circuit("a"); err != nil || again != a {
		t.Fatal("a compiled twice in a row")
	}
	b, err := s.Circuit("b")
	if err != nil || b.CCS == nil {
		t.Fatalf("b: %v", err)
	}
	if s.last != b {
		t.Fatal("the set holds another circuit than the last asked for")
	}
	if _, err := s.Circuit("c"); !errors.Is(err, ErrNoCircuit) {
		t.Fatalf("an unknown circuit: %v", err)
	}
}

// TestUniversalFitOfSegmentEnds: the security review's scenario (senders who close
// segments, then an honest message) asked of the prover as checkpoint claims (the relay asks
// for the head alone and derives the segment ends on the destination): every segment end and
// the head in one batch, and the rotation due. The prover keeps what one aggregation holds
// (Prover.Fit), counted by the planner before any proof: the rotation alone first, then the
// segment ends in order, as many as the large aggregation's slots hold, each a claim of the
// statement in order; the rest wait for the next batch.
func TestUniversalFitOfSegmentEnds(t *testing.T) {
	d := devnet.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dst := d.Config.DestinationDomain
	const per = protocol.SegmentMaxGas / protocol.InlineGasLimit
	const ends = 12
	if err := d.Src.SendMany(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, protocol.InlineGasLimit, nil, ends*per+1); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := d.Src.Checkpoints(ctx, dst, 0, ^uint64(0), h.Number)
	if err != nil || len(cps) != ends {
		t.Fatalf("checkpoints %v (%v): want %d segment ends", cps, err, ends)
	}
	lane, err := d.Src.ProveLane(ctx, h, dst, cps)
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(d.Config.SourceDomain, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	rot, rotSigs, err := devnet.AttestRotation(d.Config.SourceDomain, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	for _, c := range append(append([]uint64(nil), cps...), 0) {
		b.Claims = append(b.Claims, ClaimInput{Committee: members, Signatures: sigs, Lane: lane, Checkpoint: c})
	}
	b.Rotations = []RotationInput{{Claim: rot, Committee: members, Signatures: rotSigs}}

	names, _ := CommitteeKinds()
	p := &Prover{Config: DefaultConfig(), runner: runner{log: slog.New(slog.DiscardHandler)}}
	for _, n := range names {
		p.Kinds = append(p.Kinds, &Circuit{Name: n, Curve: ecc.BLS12_377})
	}
	fit, err := p.Fit(b)
	if err != nil {
		t.Fatal(err)
	}
	if s := fit.Statement; len(s.Lanes) != 0 || len(s.Rotations) != 1 {
		t.Fatalf("with the rotation due: %d lane claims and %d rotations, want the rotation alone", len(s.Lanes), len(s.Rotations))
	}
	b.Rotations = nil
	plan, err := p.Fit(b)
	if err != nil {
		t.Fatal(err)
	}
	n := len(plan.Statement.Lanes)
	if n < 1 || n > len(b.Claims) {
		t.Fatalf("%d of %d claims fit", n, len(b.Claims))
	}
	size, _, err := p.check(plan)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range plan.Statement.Lanes {
		if c.Kind != protocol.KindLaneCheckpoint || c.Count != cps[i] {
			t.Fatalf("claim %d: %s at %d, want the checkpoint at %d", i, c.Kind, c.Count, cps[i])
		}
	}
	if n < len(b.Claims) {
		more := b
		more.Claims = b.Claims[:n+1]
		if _, _, err := p.check(mustPlan(t, p, more)); !errors.Is(err, ErrTooManyLeaves) {
			t.Fatalf("%d claims fit, but %d do too: %v", n, n+1, err)
		}
	}
	t.Logf("%d of %d segment ends in one batch: %d leaves in aggregation %s (%d slots)", n, len(b.Claims), len(plan.Leaves),
		AggregateName(p.Config.Sizes[size]), p.Config.Sizes[size].Slots)
}

func mustPlan(t *testing.T, p *Prover, b Batch) *Plan {
	t.Helper()
	plan, err := p.plan(b)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// linksToItsStatement links a plan's leaves under an allow-list of kinds and checks that
// they export the statement chain of the plan's statement, which is the plan's chain.
func linksToItsStatement(t *testing.T, plan *Plan, kinds []string) {
	t.Helper()
	values, ks, err := plan.Values(kinds)
	if err != nil {
		t.Fatal(err)
	}
	link, err := universal.Link(values, ks)
	if err != nil {
		t.Fatal(err)
	}
	chain := protocol.ChainStatement(plan.Statement.ClaimHashes())
	if got, want := values[link.Order[link.Exporter]].Produced.BigInt(new(big.Int)), facts.StatementOf(chain); got.Cmp(want) != 0 || plan.Chain != chain {
		t.Fatalf("exports %x (chain %s), want %x (chain %s)", got, plan.Chain, want, chain)
	}
}
