package synccommittee

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
)

// Beacon light-client JSON comes from a node the relay does not trust: any bytes are refused,
// or decode to an update that the store validates or refuses, without a panic; and a
// bootstrap likewise. The seeds are the shared mainnet files and cut or altered copies.
func FuzzHardeningBeaconJSON(f *testing.F) {
	dir, err := mainnet.Dir()
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"finality.json", "optimistic.json", "bootstrap.json"} {
		data, err := os.ReadFile(filepath.Join(dir, "lightclient", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	var updates []json.RawMessage
	data, err := os.ReadFile(filepath.Join(dir, "lightclient", "updates.json"))
	if err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(data, &updates); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(updates[0]))
	f.Add([]byte(`{"version":"capella","data":{"attested_header":{"beacon":{"slot":"1"}},"signature_slot":"2","sync_aggregate":{"sync_committee_bits":"0xff"}}}`))
	f.Add([]byte(`{"version":"deneb","data":{"finality_branch":["0x00"],"next_sync_committee_branch":[]}}`))
	store, _ := mainnetStore(f)
	cfg := store.Config
	f.Fuzz(func(t *testing.T, data []byte) {
		var u Versioned[Update]
		if err := json.Unmarshal(data, &u); err == nil {
			s := *store
			_, _ = s.Validate(&u.Data, uint64(u.Data.SignatureSlot))
			_, _ = s.Apply(&u.Data, uint64(u.Data.SignatureSlot))
		}
		var b Versioned[Bootstrap]
		if err := json.Unmarshal(data, &b); err == nil {
			if root, err := cfg.VerifyHeader(&b.Data.Header); err == nil {
				_, _ = NewStore(cfg, &b.Data, root)
			}
		}
	})
}
