package devnet

import (
	"context"
	"errors"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/isthmus-xyz/isthmus/chain/beacon"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// The devnet's simulated beacon chain, through the standard light-client REST API: a
// follower bootstraps at a trusted block root and follows the sync committee across period
// boundaries by the updates alone, to a finalized header whose execution payload is the
// devnet block of its slot; an update signed by fewer than two thirds is refused by name.
func TestEthereumSourceBeaconDevnetFollowedAcrossPeriods(t *testing.T) {
	d := startDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 40 {
		d.Source.Commit()
	}
	cfg := BeaconConfig(16)
	b := NewBeacon(cfg, "isthmus devnet beacon")
	if err := b.Sync(ctx, d.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	trusted, err := b.Root(2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := beacon.Follow(ctx, beacon.NewClient(srv.URL), cfg, trusted)
	if err != nil {
		t.Fatal(err)
	}
	clock := uint64(b.Head())
	vs, err := f.Step(ctx, clock)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Store
	if p := cfg.Period(s.Finalized.Slot); p < 2 {
		t.Fatalf("the store reached period %d (finalized slot %d), want past two period boundaries", p, s.Finalized.Slot)
	}
	fin, err := d.SourceClient.Eth.HeaderByNumber(ctx, new(big.Int).SetUint64(s.Finalized.Slot))
	if err != nil {
		t.Fatal(err)
	}
	if s.Execution.BlockHash != fin.Hash() || s.Execution.BlockNumber != s.Finalized.Slot || s.Execution.ReceiptsRoot != fin.ReceiptHash {
		t.Fatalf("the finalized execution payload is block %d %s, the devnet's block %d is %s", s.Execution.BlockNumber, s.Execution.BlockHash, s.Finalized.Slot, fin.Hash())
	}
	t.Logf("%d updates applied: finalized slot %d (period %d), execution block %d", len(vs), s.Finalized.Slot, cfg.Period(s.Finalized.Slot), s.Execution.BlockNumber)
	if com := b.Committee(cfg.Period(s.Finalized.Slot)); mustRoot(t, com) != s.Current.Root {
		t.Fatal("the store's committee is not the beacon chain's of its period")
	}

	// A period later, signed by half the committee: named, and the store unchanged.
	for range 16 {
		d.Source.Commit()
	}
	if err := b.Sync(ctx, d.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	b.Signers = func(_ uint64, size int) []int {
		half := make([]int, size/2)
		for i := range half {
			half[i] = i
		}
		return half
	}
	before := s.Finalized
	if _, err := f.Step(ctx, uint64(b.Head())); !errors.Is(err, synccommittee.ErrUpdate) {
		t.Fatalf("an update signed by half the committee: %v", err)
	}
	if s.Finalized != before {
		t.Fatal("a refused update moved the store")
	}
	b.Signers = nil
	if _, err := f.Step(ctx, uint64(b.Head())); err != nil || s.Finalized.Slot <= before.Slot {
		t.Fatalf("signed by all again: finalized %d (%v)", s.Finalized.Slot, err)
	}
}

func mustRoot(t *testing.T, s *synccommittee.Signer) [32]byte {
	t.Helper()
	r, err := s.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
