package aggregator

import (
	"context"
	"errors"
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
	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
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

func newDevnetSyncLane(t *testing.T) *devnetSyncLane {
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
	bcfg := devnet.BeaconConfig(8)
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

// A batch under Ethereum's sync committee, planned: the devnet's lane at the block that the
// devnet beacon chain's update of period 0 finalized (committee of 8), and that update's
// hand-over to period 1. The statement names the commitments of the committees of periods 0
// and 1; the update's five pieces are planned once for both; the rotation is the claim leaf,
// 8 chunks of one key, a layer of 2 key-tree nodes of 4 and the root; the statement leaf's
// witness solves its circuit (compiled here, with no key); the leaves go to their slots. A
// batch without a rotation fills the slot with the padding rotation, in no statement.
// Refused natively, before any proof: the update claimed for another period, a lane at
// another block than the update's, a next committee not under the attested state, an update
// outside the fork the circuits serve, a sync claim in an attester committee's slot.
func TestEthereumSourcePlanOfADevnetBatch(t *testing.T) {
	e := newDevnetSyncLane(t)
	d, bcfg, u, su, com0, com1, h, lane := e.d, e.bcfg, e.u, e.su, e.com0, e.com1, e.h, e.lane
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain
	cfg := Config{CommitteeCapacity: 4, Shape: aggregate.Shape{AccountSteps: 4, StorageSteps: 3, Sync: 1, SyncRotations: 1},
		Sync: &SyncConfig{Beacon: bcfg, Fork: "deneb", ChunkKeys: 1, Width: 4}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	p := plannerOf(t, cfg)
	batch := func(su *synccommittee.SignedUpdate, lane ClaimInput) Batch {
		lane.Sync = su
		return Batch{Claims: []ClaimInput{lane}, SyncRotations: []SyncRotationInput{{SrcDomain: src, Update: su}}}
	}
	plan, err := p.PlanLeaves(batch(su, ClaimInput{Lane: lane}))
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := synccommittee.CommitmentOf(com0, 0), synccommittee.CommitmentOf(com1, 1)
	st := plan.Statement
	if len(st.Lanes) != 1 || st.Lanes[0].Committee != common.Hash(c0.Bytes()) || st.Lanes[0].Count != 2 || st.Lanes[0].BlockHash != h.Hash() ||
		len(st.Rotations) != 1 || st.Rotations[0] != (protocol.RotationClaim{SrcDomain: src, Committee: common.Hash(c0.Bytes()), NextEpoch: 1, NextCommittee: common.Hash(c1.Bytes())}) {
		t.Fatalf("statement %+v: want the lane at count 2 under period 0's committee, and the hand-over to period 1's", st)
	}
	stages := map[string]int{}
	for _, task := range plan.tasks {
		stages[task.stage]++
	}
	solveTasks(t, plan)
	if stages["sync updates"] != 5 || stages["sync rotations"] != 1+8+2+1 || stages["statement"] != 1 {
		t.Fatalf("tasks by stage: %v", stages)
	}
	label := labelOf(plan)
	got := plan.build(markedProofs(len(plan.tasks)))
	if len(got.Sync) != 1 || len(got.Claims) != 0 || len(got.SyncRotations) != 1 {
		t.Fatalf("%d sync claims, %d committee claims, %d sync rotations", len(got.Sync), len(got.Claims), len(got.SyncRotations))
	}
	r := got.SyncRotations[0]
	if label(got.Sync[0].Update.Signature) != "claim 0, sync committee signature" || label(r.Update.Payload) != "claim 0, execution payload" ||
		label(r.Claim) != "sync rotation 0, claim" || len(r.Chunks) != 8 || label(r.Chunks[7]) != "sync rotation 0, chunk 8 of 8" ||
		len(r.Layers) != 1 || len(r.Layers[0]) != 2 || label(r.Root) != "sync rotation 0, committee root" || got.Sync[0].Update.SignatureSlot != uint64(u.SignatureSlot) {
		t.Fatalf("the leaves' slots: %q, %q, %q, %d chunks, %d layers, %q", label(got.Sync[0].Update.Signature), label(r.Update.Payload), label(r.Claim), len(r.Chunks), len(r.Layers), label(r.Root))
	}

	// Without a rotation, the slot takes the padding rotation: its claim is in no statement.
	plain, err := p.PlanLeaves(Batch{Claims: []ClaimInput{{Lane: lane, Sync: su}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Statement.Rotations) != 0 || len(plain.Statement.Lanes) != 1 {
		t.Fatalf("statement %+v: want the lane alone", plain.Statement)
	}
	label = labelOf(plain)
	padded := plain.build(markedProofs(len(plain.tasks)))
	if label(padded.SyncRotations[0].Claim) != "sync rotation 0 (padding), claim" || label(padded.SyncRotations[0].Update.Signature) != "sync rotation 0 (padding), sync committee signature" {
		t.Fatalf("the unused slot holds %q", label(padded.SyncRotations[0].Claim))
	}
	solveTasks(t, plain)

	head, err := d.SourceClient.Eth.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	laneAtHead, err := d.Src.ProveLane(ctx, head, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherFork := *p
	otherFork.Config.Sync = &SyncConfig{Beacon: bcfg, Fork: "capella", ChunkKeys: 1, Width: 4}
	committeeSlot := *p
	committeeSlot.Config.Shape = aggregate.Shape{Claims: 1, AccountSteps: 4, StorageSteps: 3, SyncRotations: 1}
	for name, c := range map[string]struct {
		p     *Prover
		batch Batch
		want  error
	}{
		"the update claimed for period 1":  {p, batch(&synccommittee.SignedUpdate{Update: u, Period: 1, Committee: com0, Next: com1}, ClaimInput{Lane: lane}), synccommittee.ErrUpdate},
		"a lane at another block":          {p, batch(su, ClaimInput{Lane: laneAtHead}), synccommittee.ErrUpdate},
		"another next committee":           {p, batch(&synccommittee.SignedUpdate{Update: u, Period: 0, Committee: com0, Next: com0}, ClaimInput{Lane: lane}), synccommittee.ErrBranch},
		"an update outside the fork":       {&otherFork, batch(su, ClaimInput{Lane: lane}), ErrShape},
		"a sync claim in a committee slot": {&committeeSlot, batch(su, ClaimInput{Lane: lane}), ErrShape},
	} {
		_, err := c.p.PlanLeaves(c.batch)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
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
	sync := &UniversalSync{Beacon: e.bcfg, SrcDomain: src, Forks: []string{"deneb"}, ChunkKeys: 2}
	batch := Batch{Sync: sync, Claims: []ClaimInput{{Lane: e.lane, Sync: e.su}}, SyncRotations: []SyncRotationInput{{SrcDomain: src, Update: e.su}}}
	plan, err := PlanUniversal(batch)
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := synccommittee.CommitmentOf(e.com0, 0), synccommittee.CommitmentOf(e.com1, 1)
	if st := plan.Statement; len(st.Lanes) != 1 || st.Lanes[0].Committee != common.Hash(c0.Bytes()) || st.Lanes[0].BlockHash != e.h.Hash() ||
		len(st.Rotations) != 1 || st.Rotations[0] != (protocol.RotationClaim{SrcDomain: src, Committee: c0.Bytes(), NextEpoch: 1, NextCommittee: c1.Bytes()}) {
		t.Fatalf("statement %+v: want the lane under period 0's committee at block %d and the hand-over to period 1's", st, e.h.Number)
	}
	kinds, circuits, err := UniversalConfig{Sizes: DevnetUniversal().Sizes, Sync: sync}.Kinds()
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
	values, ks, err := plan.Values(kinds)
	if err != nil {
		t.Fatal(err)
	}
	link, err := universal.Link(values, ks)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := values[link.Order[link.Exporter]].Produced.BigInt(new(big.Int)), facts.StatementOf(protocol.ChainStatement(plan.Statement.ClaimHashes())); got.Cmp(want) != 0 || plan.Chain != protocol.ChainStatement(plan.Statement.ClaimHashes()) {
		t.Fatalf("exports %x, want %x", got, want)
	}
	for _, l := range plan.Leaves {
		if !strings.HasPrefix(l.Kind, "universal-sync-") {
			continue
		}
		_, fresh, _ := UniversalConfig{Sync: sync}.Kinds() // a placeholder a solve: the signature's emulated arithmetic keeps state
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
		_, err := PlanUniversal(b)
		if err == nil {
			t.Errorf("%s: planned", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}
