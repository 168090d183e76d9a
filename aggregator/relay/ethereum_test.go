package relay

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/beacon"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// syncTestOnlyProver is a test double of the batch prover for a domain under the sync
// committee: it checks natively what the aggregation checks of the claim's update (the
// pieces' links under the commitment of the claim's committee and period, and with a
// rotation the next committee's links), then returns the batch with a TestOnlyProof (which
// the devnet's TestOnlyVerifier accepts) instead of proving. It records each batch's period
// and whether it rotated.
type syncTestOnlyProver struct {
	cfg     synccommittee.Config
	batches []string
}

func (p *syncTestOnlyProver) prove(_ context.Context, c Claim) (*Batch, error) {
	su := c.Sync
	if su == nil || su.Period != c.Epoch {
		return nil, fmt.Errorf("a claim of epoch %d without the update of its period", c.Epoch)
	}
	cfg := p.cfg
	st, err := synccommittee.StepProof(cfg, su.Committee, su.Update)
	if err != nil {
		return nil, err
	}
	commitment := synccommittee.CommitmentOf(su.Committee, su.Period)
	if err := st.Links(cfg, commitment, su.Period); err != nil {
		return nil, err
	}
	exec, err := su.Update.FinalizedHeader.Execution.Header()
	if err != nil {
		return nil, err
	}
	if c.Lane.Header.Hash() != exec.BlockHash {
		return nil, errors.New("the lane is not proven at the update's finalized block")
	}
	claims, err := c.Lane.Claims(common.Hash(commitment.Bytes()))
	if err != nil {
		return nil, err
	}
	var s protocol.Statement
	for _, cl := range claims {
		if cl.Kind == protocol.KindLaneHead {
			s.Lanes = []protocol.LaneClaim{cl}
		}
	}
	if len(s.Lanes) == 0 {
		return nil, errors.New("no head claim in the lane proof")
	}
	if c.Rotate {
		rules, err := cfg.Rules(cfg.Current(uint64(su.Update.AttestedHeader.Beacon.Slot)))
		if err != nil {
			return nil, err
		}
		rot, err := synccommittee.RotationProof(su.Next, su.Period+1, 1, 8, rules.NextCommitteeGindex, su.Update.AttestedHeader.Beacon.StateRoot, su.Update.NextSyncCommitteeBranch)
		if err != nil {
			return nil, err
		}
		if err := st.RotationLinks(cfg, rot, su.Period); err != nil {
			return nil, err
		}
		if err := rot.Links(su.Period+1, rot.Commitment); err != nil {
			return nil, err
		}
		s.Rotations = []protocol.RotationClaim{{SrcDomain: c.Lane.SrcDomain, Committee: common.Hash(commitment.Bytes()),
			NextEpoch: su.Period + 1, NextCommittee: common.Hash(rot.Commitment.Bytes())}}
	}
	p.batches = append(p.batches, fmt.Sprintf("period %d rotate %v", su.Period, c.Rotate))
	return &Batch{Statement: s, Proof: devnet.TestOnlyProof(s.PublicInput())}, nil
}

// ethereumDevnet is a devnet whose Inbox trusts the source domain under the sync committee of
// a simulated beacon chain over the source chain (committee of 8, 16 slots a period), served
// over HTTP with the standard light-client API.
type ethereumDevnet struct {
	*devnet.Devnet
	cfg    synccommittee.Config
	beacon *devnet.Beacon
	url    string
}

func startEthereumDevnet(t *testing.T, ctx context.Context) (*ethereumDevnet, common.Address) {
	t.Helper()
	return startEthereumDevnetOf(t, ctx, 8)
}

// startEthereumDevnetOf is startEthereumDevnet under committees of size members.
func startEthereumDevnetOf(t *testing.T, ctx context.Context, size int) (*ethereumDevnet, common.Address) {
	t.Helper()
	cfg := devnet.BeaconConfig(size)
	b := devnet.NewBeacon(cfg, "isthmus relay test beacon")
	com, err := cfg.NewCommittee(&b.Committee(0).JSON)
	if err != nil {
		t.Fatal(err)
	}
	dc := devnet.DefaultConfig()
	c := synccommittee.CommitmentOf(com, 0)
	dc.Committee, dc.Adapter, dc.Epoch = common.Hash(c.Bytes()), protocol.AdapterSyncCommittee, 0
	d, err := devnet.Start(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	return &ethereumDevnet{Devnet: d, cfg: cfg, beacon: b, url: srv.URL}, recipient
}

// follow is a light client of the devnet beacon bootstrapped at slot 2, clocked by the beacon
// chain, which follows the source chain at each tick.
func (e *ethereumDevnet) follow(t *testing.T, ctx context.Context) *Ethereum {
	t.Helper()
	for e.Source.Head() < 4 {
		e.Source.Commit()
	}
	if err := e.beacon.Sync(ctx, e.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	root, err := e.beacon.Root(2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := beacon.Follow(ctx, beacon.NewClient(e.url), e.cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	return &Ethereum{Follower: f, Clock: func(ctx context.Context) (uint64, error) {
		if err := e.beacon.Sync(ctx, e.SourceClient.Eth); err != nil {
			return 0, err
		}
		return uint64(e.beacon.Head()), nil
	}}
}

// The relay of a domain under Ethereum's sync committee proves each count at a block the
// Inbox's committee finalized (by the beacon node's updates) and delivers it; when its light
// client has passed the Inbox's period, it carries the hand-over to the next period, one
// period a batch, with the lane's head, until the Inbox trusts the committee of the light
// client's period; messages sent meanwhile are delivered under it. The Inbox checks each
// batch's committee and each rotation's period.
func TestEthereumSourceRelayFollowsTheSyncCommittee(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, recipient := startEthereumDevnet(t, ctx)
	src := e.Config.SourceDomain
	prover := &syncTestOnlyProver{cfg: e.cfg}
	send := func(n int) {
		for i := 0; i < n; i++ {
			if _, _, err := e.Src.Send(ctx, devnet.DevKey("user"), e.Config.DestinationDomain, recipient, 100_000, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Two messages early in period 0, whose updates finalize up to slot 4 (16 slots a period,
	// finality two epochs of 4 slots behind); the chain then moves to slot 13.
	send(2)
	for e.Source.Head() < 13 {
		e.Source.Commit()
	}
	r := &Relay{Config: Config{SrcDomain: src, DstDomain: e.Config.DestinationDomain, BatchMessages: 1, StateDir: t.TempDir(), Key: e.Relayer},
		Src: e.Src, Dst: e.Dst, Prove: prover.prove, Ethereum: e.follow(t, ctx)}
	// blocks seals n empty blocks: the beacon chain's slots go on.
	blocks := func(n int) {
		for range n {
			e.Source.Commit()
		}
	}
	until := func(what string, done func(st chain.DomainState) bool) chain.DomainState {
		t.Helper()
		return relayUntil(t, ctx, r, src, fmt.Sprintf("%s (batches: %v)", what, prover.batches), 12, done, func() { blocks(2) })
	}
	st := until("delivered in period 0", func(st chain.DomainState) bool { return st.DeliveredCount == 2 })
	if st.Epoch != 0 {
		t.Fatalf("epoch %d, want 0", st.Epoch)
	}
	// The beacon chain moves two periods on; a message waits.
	blocks(2 * 16)
	send(1)
	st = until("delivered under the committee of the light client's period", func(st chain.DomainState) bool {
		return st.DeliveredCount == 3 && st.Epoch == e.cfg.Period(r.Ethereum.Follower.Store.Finalized.Slot)
	})
	if st.Epoch < 2 {
		t.Fatalf("the Inbox is at period %d, want 2 or more", st.Epoch)
	}
	com, err := e.cfg.NewCommittee(&e.beacon.Committee(st.Epoch).JSON)
	if err != nil {
		t.Fatal(err)
	}
	if want := synccommittee.CommitmentOf(com, st.Epoch); st.Committee != common.Hash(want.Bytes()) {
		t.Fatalf("the Inbox trusts %s at period %d, want the beacon chain's committee of it", common.Hash(st.Committee), st.Epoch)
	}
	rotations := 0
	for _, b := range prover.batches {
		if b[len(b)-4:] == "true" {
			rotations++
		}
	}
	if uint64(rotations) != st.Epoch {
		t.Fatalf("%d rotations for %d periods: %v", rotations, st.Epoch, prover.batches)
	}
	t.Logf("batches: %v", prover.batches)
}

// Bad consensus data is named and nothing moves: a light client of another beacon chain
// (whose committee the Inbox does not trust), a beacon chain over another execution chain,
// a beacon node that is down (the relay resumes once it is back).
func TestEthereumSourceRelayRefusesOtherConsensus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, _ := startEthereumDevnet(t, ctx)
	src := e.Config.SourceDomain
	prover := &syncTestOnlyProver{cfg: e.cfg}
	relayOf := func(eth *Ethereum) *Relay {
		return &Relay{Config: Config{SrcDomain: src, DstDomain: e.Config.DestinationDomain, BatchMessages: 1, StateDir: t.TempDir(), Key: e.Relayer},
			Src: e.Src, Dst: e.Dst, Prove: prover.prove, Ethereum: eth}
	}
	blocks := func(n int) {
		for range n {
			e.Source.Commit()
		}
	}
	blocks(4)

	other := devnet.NewBeacon(e.cfg, "another beacon chain")
	if err := other.Sync(ctx, e.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(other.Handler())
	defer srv.Close()
	root, _ := other.Root(2)
	f, err := beacon.Follow(ctx, beacon.NewClient(srv.URL), e.cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	clock := func(b *devnet.Beacon, c *chain.Client) func(ctx context.Context) (uint64, error) {
		return func(ctx context.Context) (uint64, error) {
			if err := b.Sync(ctx, c.Eth); err != nil {
				return 0, err
			}
			return uint64(b.Head()), nil
		}
	}
	err = relayOf(&Ethereum{Follower: f, Clock: clock(other, e.SourceClient)}).Step(ctx)
	if !errors.Is(err, ErrCommitteeMismatch) {
		t.Fatalf("another beacon chain's committee: %v, want ErrCommitteeMismatch", err)
	}

	// The devnet beacon's committees over the destination chain's blocks.
	for range 12 {
		e.Destination.Commit()
	}
	overDst := devnet.NewBeacon(e.cfg, "isthmus relay test beacon")
	if err := overDst.Sync(ctx, e.DestinationClient.Eth); err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(overDst.Handler())
	defer srv2.Close()
	root, _ = overDst.Root(2)
	if f, err = beacon.Follow(ctx, beacon.NewClient(srv2.URL), e.cfg, root); err != nil {
		t.Fatal(err)
	}
	err = relayOf(&Ethereum{Follower: f, Clock: clock(overDst, e.DestinationClient)}).Step(ctx)
	if !errors.Is(err, ErrOtherChain) {
		t.Fatalf("a beacon chain over another execution chain: %v, want ErrOtherChain", err)
	}

	// The node down, then back: the same relay resumes.
	for e.Source.Head() < 13 {
		e.Source.Commit()
	}
	eth := e.follow(t, ctx)
	down := httptest.NewServer(nil)
	down.Close()
	up := eth.Follower.Client
	eth.Follower.Client = beacon.NewClient(down.URL)
	r := relayOf(eth)
	if err := r.Step(ctx); !errors.Is(err, beacon.ErrUnreachable) {
		t.Fatalf("the beacon node down: %v, want ErrUnreachable", err)
	}
	eth.Follower.Client = up
	if err := r.Step(ctx); err != nil {
		t.Fatalf("the node back: %v", err)
	}
}

// The security review's finding 1, on the relay: others submit hand-overs too. While the
// relay's own batch (the lane's head and the hand-over to period 1) waits to be sent, an
// attacker submits the hand-over to the shifted commitment C + r, which the Inbox refuses,
// then another relayer submits the canonical hand-over alone. The relay's batch is refused
// (its claims name the committee of period 0); the relay drops it, follows the Inbox to the
// period it was handed to, and delivers every message under the light client's committee.
func TestHardeningRelaySurvivesAHandOverItDidNotSubmit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, recipient := startEthereumDevnet(t, ctx)
	src := e.Config.SourceDomain
	prover := &syncTestOnlyProver{cfg: e.cfg}
	send := func() {
		if _, _, err := e.Src.Send(ctx, devnet.DevKey("user"), e.Config.DestinationDomain, recipient, 100_000, []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	// A message delivered in period 0 (a hand-over travels with a lane claim, which needs a
	// count above zero), then the beacon chain moves two periods on and another one waits.
	send()
	for e.Source.Head() < 13 {
		e.Source.Commit()
	}
	r := &Relay{Config: Config{SrcDomain: src, DstDomain: e.Config.DestinationDomain, BatchMessages: 1, StateDir: t.TempDir(), Key: e.Relayer},
		Src: e.Src, Dst: e.Dst, Prove: prover.prove, Ethereum: e.follow(t, ctx)}
	for i := 0; ; i++ {
		st, err := e.Dst.State(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if st.DeliveredCount == 1 {
			break
		}
		if i == 12 {
			t.Fatalf("not delivered in period 0: %+v", st)
		}
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		e.Source.Commit()
		e.Source.Commit()
	}
	for range 2 * 16 {
		e.Source.Commit()
	}
	send()
	var others []error
	r.afterSave = func() {
		r.afterSave = nil
		b, err := r.loadPending()
		if err != nil || b == nil || len(b.Statement.Rotations) != 1 {
			t.Errorf("the relay's pending batch: %+v %v", b, err)
			return
		}
		rot := b.Statement.Rotations[0]
		shifted := rot
		shifted.NextCommittee = common.BigToHash(new(big.Int).Add(rot.NextCommittee.Big(), protocol.CommitmentModulus))
		for _, s := range []protocol.RotationClaim{shifted, rot} {
			stmt := protocol.Statement{Rotations: []protocol.RotationClaim{s}}
			ib := bindings.NewInbox() // not chain.Destination, which refuses the shifted bytes itself
			_, err := e.Dst.Client.Transact(ctx, e.Deployer, e.Dst.Client.Contract(ib, e.Dst.Inbox),
				ib.PackSubmitBatch(devnet.TestOnlyProof(stmt.PublicInput()), stmt.Claims()), 0, ib.UnpackError)
			others = append(others, err)
		}
	}
	refused := 0
	for i := 0; i < 16; i++ {
		st, err := e.Dst.State(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if st.DeliveredCount == 2 && st.Epoch == e.cfg.Period(r.Ethereum.Follower.Store.Finalized.Slot) {
			break
		}
		if err := r.Step(ctx); errors.Is(err, ErrRefused) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
		e.Source.Commit()
		e.Source.Commit()
	}
	if len(others) != 2 || others[0] == nil || !strings.Contains(others[0].Error(), "NonCanonicalCommittee") || others[1] != nil {
		t.Fatalf("the others' hand-overs: %v, want the shifted one refused and the canonical one taken", others)
	}
	st, err := e.Dst.State(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.DeliveredCount != 2 || st.Epoch < 2 || refused != 1 {
		t.Fatalf("delivered %d at period %d, %d batches refused: want the message delivered at period 2 or more after one refusal (batches %v)", st.DeliveredCount, st.Epoch, refused, prover.batches)
	}
}

// runsTestOnlyProver is a test double of the batch prover for a domain whose hand-overs go
// over several batches (aggregator.SyncConfig.Runs): it plans each batch with
// aggregator.PlanBatch (every leaf's native checks; a run the Inbox lacks first, read from
// it) and returns its statement with a TestOnlyProof instead of proving. As the prover's Fit
// does where a run and the lane do not fit one batch, a run's batch carries the run alone.
// It records each batch's key runs.
type runsTestOnlyProver struct {
	sync *aggregator.SyncConfig
	dst  *chain.Destination
	runs []common.Hash
}

func (p *runsTestOnlyProver) prove(ctx context.Context, c Claim) (*Batch, error) {
	b := aggregator.Batch{Sync: p.sync, Claims: []aggregator.ClaimInput{{Lane: c.Lane, Sync: c.Sync}}}
	if c.Rotate {
		b.SyncRotations = []aggregator.SyncRotationInput{{SrcDomain: c.Lane.SrcDomain, Update: c.Sync,
			Recorded: func(f common.Hash) (bool, error) { return p.dst.KeyRunProven(ctx, f) }}}
	}
	plan, err := aggregator.PlanBatch(b)
	if err != nil {
		return nil, err
	}
	s := plan.Statement
	if len(s.KeyRuns) > 0 {
		s = protocol.Statement{KeyRuns: s.KeyRuns}
		p.runs = append(p.runs, s.KeyRuns...)
	}
	return &Batch{Statement: s, Proof: devnet.TestOnlyProof(s.PublicInput())}, nil
}

// A committee too large for one batch (128 members: runs of 64) hands over in three batches
// a period: each run the Inbox lacks, then the hand-over naming both. A relay killed after
// the first run (its successor starts with no state of its own) goes on from the Inbox's
// record: no run is proven twice, and the message sent meanwhile is delivered under the
// committee of the light client's period.
func TestLivenessRelayHandsOverOverSeveralBatches(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e, recipient := startEthereumDevnetOf(t, ctx, 128)
	src := e.Config.SourceDomain
	p := &runsTestOnlyProver{sync: &aggregator.SyncConfig{Beacon: e.cfg, SrcDomain: src, Forks: []string{"deneb"}, ChunkKeys: 4, Runs: 2}, dst: e.Dst}
	send := func() {
		if _, _, err := e.Src.Send(ctx, devnet.DevKey("user"), e.Config.DestinationDomain, recipient, 100_000, []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	send()
	for e.Source.Head() < 13 {
		e.Source.Commit()
	}
	newRelay := func() *Relay {
		return &Relay{Config: Config{SrcDomain: src, DstDomain: e.Config.DestinationDomain, BatchMessages: 1, StateDir: t.TempDir(), Key: e.Relayer},
			Src: e.Src, Dst: e.Dst, Prove: p.prove, Ethereum: e.follow(t, ctx)}
	}
	r := newRelay()
	until := func(what string, steps int, done func(st chain.DomainState) bool) chain.DomainState {
		t.Helper()
		return relayUntil(t, ctx, r, src, what, steps, done, func() { e.Source.Commit(); e.Source.Commit() })
	}
	until("delivered in period 0", 12, func(st chain.DomainState) bool { return st.DeliveredCount == 1 })
	for range 2 * 16 {
		e.Source.Commit()
	}
	send()
	until("a key run recorded", 4, func(chain.DomainState) bool {
		if len(p.runs) != 1 {
			return false
		}
		ok, err := e.Dst.KeyRunProven(ctx, p.runs[0])
		return err == nil && ok
	})
	if st, err := e.Dst.State(ctx, src); err != nil || st.Epoch != 0 {
		t.Fatalf("after one run: %+v %v, want the Inbox still at period 0", st, err)
	}
	r = newRelay() // killed: its successor knows only the chains
	st := until("delivered under the committee of the light client's period", 24, func(st chain.DomainState) bool {
		return st.DeliveredCount == 2 && st.Epoch == e.cfg.Period(r.Ethereum.Follower.Store.Finalized.Slot)
	})
	if st.Epoch < 2 {
		t.Fatalf("the Inbox is at period %d, want 2 or more", st.Epoch)
	}
	seen := map[common.Hash]bool{}
	for _, f := range p.runs {
		if seen[f] {
			t.Fatalf("key run %x proven twice (runs %x)", f, p.runs)
		}
		seen[f] = true
		if ok, err := e.Dst.KeyRunProven(ctx, f); err != nil || !ok {
			t.Fatalf("key run %x not recorded: %v", f, err)
		}
	}
	if uint64(len(p.runs)) != 2*st.Epoch {
		t.Fatalf("%d key runs for %d hand-overs of two runs", len(p.runs), st.Epoch)
	}
}
