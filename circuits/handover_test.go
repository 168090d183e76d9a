package circuits_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/circuits/internal/lightclient"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
)

// TestUniversalPlanOfAMainnetHandOverOverBatches: mainnet's hand-over from period 862 to 863
// (a real Capella update, 512 members) planned as the relay proves it, against an Inbox that
// records each batch's key run: eight batches of one run each (16 chunks, 5 key-tree nodes,
// the run's claim, a fold: 23 leaves of 7 kinds), then the hand-over naming the eight runs in
// order (the update's four leaves, the root over the runs, the claim, a fold: 7 leaves). Each
// batch fits the large aggregation (32 slots, 16 keys) and links under the sync kinds'
// allow-list; the statement chain is the fold's.
func TestUniversalPlanOfAMainnetHandOverOverBatches(t *testing.T) {
	bcfg, rot := lightclient.MainnetRotation(t)
	su := *rot
	cfg := aggregator.Config{Sizes: aggregator.DefaultConfig().Sizes,
		Sync: &aggregator.SyncConfig{Beacon: bcfg, SrcDomain: 1, Forks: []string{"capella"}, ChunkKeys: 4, Runs: 8}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	names, _, err := cfg.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	large := aggregator.LargeSizes
	inbox := map[common.Hash]bool{}
	var runs []common.Hash
	for batch := 0; ; batch++ {
		plan, err := aggregator.PlanBatch(aggregator.Batch{Sync: cfg.Sync, SyncRotations: []aggregator.SyncRotationInput{{SrcDomain: 1, Update: &su,
			Recorded: func(f common.Hash) (bool, error) { return inbox[f], nil }}}})
		if err != nil {
			t.Fatal(err)
		}
		values, kinds, err := plan.Values(names)
		if err != nil {
			t.Fatal(err)
		}
		distinct := map[int]bool{}
		for _, k := range kinds {
			distinct[k] = true
		}
		if len(values) > large.Slots || len(distinct) > large.Keys {
			t.Fatalf("batch %d: %d leaves of %d kinds, past %+v", batch, len(values), len(distinct), large)
		}
		if _, err := universal.Link(values, kinds); err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		s := plan.Statement
		if len(s.Rotations) == 1 {
			if batch != 8 || len(values) != 7 || len(s.KeyRuns) != 0 {
				t.Fatalf("the hand-over in batch %d, of %d leaves", batch, len(values))
			}
			if got := s.Rotations[0].Runs; len(got) != 8 || got[0] != runs[0] || got[7] != runs[7] {
				t.Fatalf("the hand-over names runs %x, the Inbox recorded %x", got, runs)
			}
			t.Logf("batch %d: the hand-over, %d leaves of %d kinds", batch, len(values), len(distinct))
			return
		}
		if len(s.KeyRuns) != 1 || len(values) != 23 || inbox[s.KeyRuns[0]] {
			t.Fatalf("batch %d: %d key runs in %d leaves", batch, len(s.KeyRuns), len(values))
		}
		t.Logf("batch %d: key run %x, %d leaves of %d kinds", batch, s.KeyRuns[0], len(values), len(distinct))
		inbox[s.KeyRuns[0]] = true
		runs = append(runs, s.KeyRuns[0])
	}
}
