// Package lightclient reads the shared mainnet light-client data for tests: the bootstrap
// and the updates that follow it, each with the committee that signed it.
package lightclient

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// MainnetUpdates are the shared Capella data's updates (lightclient/updates.json), each with
// the committee that signed it and the period of its signature slot, as a store from the
// shared bootstrap follows them (each applied before the next).
func MainnetUpdates(tb testing.TB) (synccommittee.Config, []*synccommittee.SignedUpdate) {
	tb.Helper()
	dir, err := mainnet.Dir()
	if err != nil {
		tb.Fatal(err)
	}
	read := func(name string, v any) {
		data, err := os.ReadFile(filepath.Join(dir, "lightclient", name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
	}
	var b synccommittee.Versioned[synccommittee.Bootstrap]
	var us []synccommittee.Versioned[synccommittee.Update]
	read("bootstrap.json", &b)
	read("updates.json", &us)
	cfg := synccommittee.Mainnet()
	root, err := cfg.VerifyHeader(&b.Data.Header)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := synccommittee.NewStore(cfg, &b.Data, root)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*synccommittee.SignedUpdate
	for i := range us {
		u := &us[i].Data
		period := cfg.Period(uint64(u.SignatureSlot))
		com := s.Current
		if period != cfg.Period(s.Finalized.Slot) {
			com = s.Next
		}
		out = append(out, &synccommittee.SignedUpdate{Update: u, Period: period, Committee: com})
		if _, err := s.Apply(u, uint64(u.SignatureSlot)); err != nil {
			tb.Fatal(err)
		}
	}
	return cfg, out
}

// MainnetRotation is the first of MainnetUpdates (period 862's committee signing a Capella
// update) with the next committee it carries: the hand-over to period 863.
func MainnetRotation(tb testing.TB) (synccommittee.Config, *synccommittee.SignedUpdate) {
	tb.Helper()
	cfg, updates := MainnetUpdates(tb)
	su := *updates[0]
	next, err := cfg.NewCommittee(su.Update.NextSyncCommittee)
	if err != nil {
		tb.Fatal(err)
	}
	su.Next = next
	return cfg, &su
}
