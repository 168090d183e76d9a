package synccommittee

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
)

// moreDir is the shared lightclient-more data, read in place; the test skips where it is absent.
func moreDir(t *testing.T) string {
	t.Helper()
	dir, ok := mainnet.MoreLightClientDir()
	if !ok {
		t.Skipf("skipped: the shared light-client data is not at %s (it is read in place, never copied into the repository)", dir)
	}
	return dir
}

func readMore[T any](t *testing.T, dir, name string) (T, bool) {
	t.Helper()
	var v T
	data, err := os.ReadFile(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		return v, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v, true
}

// The light client follows real Capella and Deneb data it has never seen: each folder's
// bootstrap (under the trusted root the source gave, else its own header's), the updates from
// the bootstrap's period on, then the finality update. Two of those finality updates
// (Capella, period 820; Deneb, period 1167) finalize the very slot the store has: valid, and
// nothing to apply; Apply returned ErrUpdate for them before, which a relay read as an
// invalid update.
func TestHardeningLightClientMoreMainnetData(t *testing.T) {
	dir := moreDir(t)
	type dataset struct {
		Dir  string `json:"dir"`
		Root string `json:"trusted_block_root"`
	}
	sets, ok := readMore[[]dataset](t, dir, "datasets.json")
	if !ok {
		t.Fatal("datasets.json is missing")
	}
	noop := map[string]bool{"capella_p816_820": true, "deneb_p1167": true}
	ran := 0
	for _, ds := range sets {
		t.Run(ds.Dir, func(t *testing.T) {
			d := filepath.Join(dir, ds.Dir)
			b, ok := readMore[Versioned[Bootstrap]](t, d, "bootstrap.json")
			if !ok {
				t.Skip("no bootstrap in this folder")
			}
			ran++
			cfg := Mainnet()
			root, err := cfg.VerifyHeader(&b.Data.Header)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Root != "" && common.HexToHash(ds.Root) != common.Hash(root) {
				t.Fatalf("the bootstrap's header root %x is not the trusted %s", root, ds.Root)
			}
			s, err := NewStore(cfg, &b.Data, root)
			if err != nil {
				t.Fatal(err)
			}
			start := cfg.Period(s.Finalized.Slot)
			updates, _ := readMore[[]Versioned[Update]](t, d, "updates.json")
			for i := range updates {
				u := &updates[i].Data
				if cfg.Period(uint64(u.AttestedHeader.Beacon.Slot)) < start {
					continue // signed by a committee before the bootstrap's
				}
				v, err := s.Apply(u, uint64(u.SignatureSlot))
				if err != nil {
					t.Fatalf("update %d (%s): %v", i, updates[i].Version, err)
				}
				t.Logf("update %d: applied %v, store at period %d, next known %v", i, v.Applied, cfg.Period(s.Finalized.Slot), s.Next != nil)
			}
			fin, ok := readMore[Versioned[Update]](t, d, "finality.json")
			if !ok {
				return
			}
			before := *s
			v, err := s.Apply(&fin.Data, uint64(fin.Data.SignatureSlot))
			if err != nil {
				t.Fatalf("finality update: %v", err)
			}
			if noop[ds.Dir] {
				if v.Applied || s.Finalized != before.Finalized || s.Next != before.Next || s.Current != before.Current {
					t.Fatal("a finality update that finalizes nothing new changed the store")
				}
			} else if !v.Applied || s.Finalized.Slot != v.Finalized.Slot {
				t.Fatal("the finality update's newer header was not taken")
			}
			if opt, ok := readMore[Versioned[Update]](t, d, "optimistic.json"); ok {
				if _, err := s.Validate(&opt.Data, uint64(opt.Data.SignatureSlot)); err != nil {
					t.Fatalf("optimistic update: %v", err)
				}
			}
		})
	}
	if ran < 4 {
		t.Fatalf("%d folders with a bootstrap, want 4", ran)
	}
}
