package aggregator

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/chain"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// devnetSyncLane is the devnet's lane (two messages) at the block that the devnet beacon
// chain's update of period 0 (a committee of 8, Deneb) finalized, that update signed by
// period 0's committee and carrying period 1's, and the two committees.
type devnetSyncLane struct {
	d          *devnet.Devnet
	bcfg       synccommittee.Config
	u          *synccommittee.Update
	su         *synccommittee.SignedUpdate
	com0, com1 *synccommittee.Committee
	h          *types.Header
	lane       *chain.LaneProof
}

func newDevnetSyncLane(t *testing.T) *devnetSyncLane { return newDevnetSyncLaneOf(t, 8) }

// newDevnetSyncLaneOf is newDevnetSyncLane under committees of size members.
func newDevnetSyncLaneOf(t *testing.T, size int) *devnetSyncLane {
	t.Helper()
	d := devnet.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dst := d.Config.DestinationDomain
	for i := range 2 {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, 100_000, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for d.Source.Head() < 15 {
		d.Source.Commit()
	}
	bcfg := devnet.BeaconConfig(size)
	b := devnet.NewBeacon(bcfg, "isthmus plan test")
	if err := b.Sync(ctx, d.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	ups, err := b.Updates(0, 1)
	if err != nil || len(ups) != 1 {
		t.Fatalf("%d updates: %v", len(ups), err)
	}
	u := &ups[0].Data
	com0, err := bcfg.NewCommittee(&b.Committee(0).JSON)
	if err != nil {
		t.Fatal(err)
	}
	com1, err := bcfg.NewCommittee(u.NextSyncCommittee)
	if err != nil {
		t.Fatal(err)
	}
	su := &synccommittee.SignedUpdate{Update: u, Period: 0, Committee: com0, Next: com1}
	exec, err := u.FinalizedHeader.Execution.Header()
	if err != nil {
		t.Fatal(err)
	}
	h, err := d.SourceClient.Eth.HeaderByNumber(ctx, new(big.Int).SetUint64(exec.BlockNumber))
	if err != nil {
		t.Fatal(err)
	}
	lane, err := d.Src.ProveLane(ctx, h, dst, nil)
	if err != nil {
		t.Fatal(err)
	}

	return &devnetSyncLane{d: d, bcfg: bcfg, u: u, su: su, com0: com0, com1: com1, h: h, lane: lane}
}

// TestUniversalPlanOfAnEthereumSourceBatch: a lane under the devnet beacon chain's sync
// committee (8 members, Deneb) and the hand-over its update carries, planned for the
// universal aggregation: the update's five leaves (each of its fork's kind) stand for the
// header leaf, the lane's steps and lane leaf read its header fact, the rotation shares the
// update's first four and adds the next committee's 4 chunks of 2 keys, a key-tree node of
// four, its root and the claim; the statement names the lane under period 0's commitment
// and the hand-over to period 1's; the leaves link under an allow-list of the committee and
// sync kinds and export the statement's chain; each sync leaf's witness solves its kind.
// Refused before any proof: a batch that names no beacon chain, the update claimed for
// another period, a lane at another block than the update's, a hand-over whose next
// committee is not under the attested state.
func TestUniversalPlanOfAnEthereumSourceBatch(t *testing.T) {
	e := newDevnetSyncLane(t)
	src := e.d.Config.SourceDomain
	sync := &SyncConfig{Beacon: e.bcfg, SrcDomain: src, Forks: []string{"deneb"}, ChunkKeys: 2}
	batch := Batch{Sync: sync, Claims: []ClaimInput{{Lane: e.lane, Sync: e.su}}, SyncRotations: []SyncRotationInput{{SrcDomain: src, Update: e.su}}}
	plan, err := PlanBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := synccommittee.CommitmentOf(e.com0, 0), synccommittee.CommitmentOf(e.com1, 1)
	if st := plan.Statement; len(st.Lanes) != 1 || st.Lanes[0].Committee != common.Hash(c0.Bytes()) || st.Lanes[0].BlockHash != e.h.Hash() ||
		len(st.Rotations) != 1 || st.Rotations[0].Hash() != (&protocol.RotationClaim{SrcDomain: src, Committee: c0.Bytes(), NextEpoch: 1, NextCommittee: c1.Bytes()}).Hash() {
		t.Fatalf("statement %+v: want the lane under period 0's committee at block %d and the hand-over to period 1's", st, e.h.Number)
	}
	kinds, circuits, err := Config{Sizes: DefaultConfig().Sizes, Sync: sync}.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range plan.Leaves {
		count[l.Kind]++
		if _, ok := circuits[l.Kind]; !ok {
			t.Fatalf("%s: kind %s is in no list", l.Label, l.Kind)
		}
	}
	for k, n := range map[string]int{SyncSignatureKind(8): 1, SyncHeaderKind("deneb"): 1, SyncFinalityKind("deneb"): 1, KindSyncFinalized: 1,
		SyncPayloadKind("deneb", src): 1, KindLane: 1, KindFold: 1, SyncChunkKind(2): 4, KindSyncTree: 1, SyncNextKind("deneb", 8): 1,
		SyncRotationKind(src): 1, KindHeader: 0} {
		if count[k] != n {
			t.Fatalf("leaves by kind %v: want %d of %s", count, n, k)
		}
	}
	linksToItsStatement(t, plan, kinds)
	// The lane and its hand-over in one batch: the large aggregation holds their leaves and
	// their kinds (past the 8 of the key table before it).
	if z, err := (Config{Sizes: DefaultConfig().Sizes}).size(len(plan.Leaves), len(count)); err != nil || DefaultConfig().Sizes[z] != LargeSizes {
		t.Fatalf("%d leaves of %d kinds: size %d, %v; want the large aggregation", len(plan.Leaves), len(count), z, err)
	}
	for _, l := range plan.Leaves {
		if !strings.HasPrefix(l.Kind, "universal-sync-") {
			continue
		}
		_, fresh, _ := Config{Sync: sync}.Kinds() // a placeholder a solve: the signature's emulated arithmetic keeps state
		if err := test.IsSolved(fresh[l.Kind], l.Assignment, ecc.BLS12_377.ScalarField()); err != nil {
			t.Fatalf("%s (%s): %v", l.Label, l.Kind, err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	head, err := e.d.SourceClient.Eth.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	laneAtHead, err := e.d.Src.ProveLane(ctx, head, e.d.Config.DestinationDomain, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]Batch{
		"no beacon chain":                 {Claims: []ClaimInput{{Lane: e.lane, Sync: e.su}}},
		"a hand-over, no beacon chain":    {SyncRotations: []SyncRotationInput{{SrcDomain: src, Update: e.su}}},
		"the update claimed for period 1": {Sync: sync, Claims: []ClaimInput{{Lane: e.lane, Sync: &synccommittee.SignedUpdate{Update: e.u, Period: 1, Committee: e.com0}}}},
		"a lane at another block":         {Sync: sync, Claims: []ClaimInput{{Lane: laneAtHead, Sync: e.su}}},
		"another next committee": {Sync: sync, SyncRotations: []SyncRotationInput{{SrcDomain: src,
			Update: &synccommittee.SignedUpdate{Update: e.u, Period: 0, Committee: e.com0, Next: e.com0}}}},
	} {
		_, err := PlanBatch(b)
		if err == nil {
			t.Errorf("%s: planned", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}

// TestUniversalFitOfAHandOverOverBatches: a hand-over of a committee too large for one batch
// (128 members in chunks of 4: 32 chunks and 11 key-tree nodes) goes in runs of 64. Fit
// proves, each time, the first run the Inbox lacks (the lane does not fit beside it and
// waits), then the hand-over naming both runs with the lane under period 0's committee; the
// leaves of each batch link under the sync kinds' allow-list. A failing Inbox read is the
// error, not a batch.
func TestUniversalFitOfAHandOverOverBatches(t *testing.T) {
	e := newDevnetSyncLaneOf(t, 128)
	src := e.d.Config.SourceDomain
	cfg := Config{Sizes: DefaultConfig().Sizes, Sync: &SyncConfig{Beacon: e.bcfg, SrcDomain: src, Forks: []string{"deneb"}, ChunkKeys: 4, Runs: 2}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	names, _, err := cfg.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	p := &Prover{Config: cfg, runner: runner{log: slog.New(slog.DiscardHandler)}}
	for _, n := range names {
		p.Kinds = append(p.Kinds, &Circuit{Name: n, Curve: ecc.BLS12_377})
	}
	inbox := map[common.Hash]bool{}
	batch := func(recorded func(common.Hash) (bool, error)) Batch {
		return Batch{Sync: cfg.Sync, Claims: []ClaimInput{{Lane: e.lane, Sync: e.su}},
			SyncRotations: []SyncRotationInput{{SrcDomain: src, Update: e.su, Recorded: recorded}}}
	}
	read := func(f common.Hash) (bool, error) { return inbox[f], nil }
	var runs []common.Hash
	for i := range 2 {
		plan, err := p.Fit(batch(read))
		if err != nil {
			t.Fatal(err)
		}
		s := plan.Statement
		if len(s.KeyRuns) != 1 || len(s.Rotations)+len(s.Lanes) != 0 || inbox[s.KeyRuns[0]] {
			t.Fatalf("batch %d: %d key runs, %d rotations, %d lanes: want a run the Inbox lacks alone", i, len(s.KeyRuns), len(s.Rotations), len(s.Lanes))
		}
		if n := len(plan.Leaves); n != 16+5+1+1 {
			t.Fatalf("batch %d: %d leaves", i, n)
		}
		inbox[s.KeyRuns[0]] = true
		runs = append(runs, s.KeyRuns[0])
	}
	plan, err := p.Fit(batch(read))
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := synccommittee.CommitmentOf(e.com0, 0), synccommittee.CommitmentOf(e.com1, 1)
	want := protocol.RotationClaim{SrcDomain: src, Committee: c0.Bytes(), NextEpoch: 1, NextCommittee: c1.Bytes(), Runs: runs}
	if s := plan.Statement; len(s.Lanes) != 1 || s.Lanes[0].Committee != common.Hash(c0.Bytes()) || len(s.KeyRuns) != 0 ||
		len(s.Rotations) != 1 || s.Rotations[0].Hash() != want.Hash() {
		t.Fatalf("statement %+v: want the lane and the hand-over naming runs %x", s, runs)
	}
	if _, err := p.Fit(batch(func(common.Hash) (bool, error) { return false, errors.New("inbox down") })); err == nil || !strings.Contains(err.Error(), "inbox down") {
		t.Fatalf("an Inbox that cannot be read: %v", err)
	}
}
