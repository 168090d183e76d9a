package beacon

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// lightClientFile is a file of the shared mainnet light-client data, as the node served it.
func lightClientFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mainnet", "lightclient", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// testNode is a test double of a beacon node: it serves the shared mainnet light-client JSON
// at the standard paths, unchanged (updates selected by period), and can be taken down, put
// on another network, or made to leave out a period.
type testNode struct {
	t         *testing.T
	bootstrap []byte
	root      common.Hash // the bootstrap's header root
	updates   []json.RawMessage
	periods   []uint64 // of each update's attested header
	down      atomic.Bool
	genesis   common.Hash
	skip      atomic.Uint64 // a period whose update the node leaves out (0: none)
}

func newTestNode(t *testing.T) *testNode {
	n := &testNode{t: t, bootstrap: lightClientFile(t, "bootstrap.json"), genesis: synccommittee.Mainnet().GenesisValidatorsRoot}
	var b synccommittee.Versioned[synccommittee.Bootstrap]
	if err := json.Unmarshal(n.bootstrap, &b); err != nil {
		t.Fatal(err)
	}
	cfg := synccommittee.Mainnet()
	root, err := cfg.VerifyHeader(&b.Data.Header)
	if err != nil {
		t.Fatal(err)
	}
	n.root = common.Hash(root)
	if err := json.Unmarshal(lightClientFile(t, "updates.json"), &n.updates); err != nil {
		t.Fatal(err)
	}
	for _, raw := range n.updates {
		var u synccommittee.Versioned[synccommittee.Update]
		if err := json.Unmarshal(raw, &u); err != nil {
			t.Fatal(err)
		}
		n.periods = append(n.periods, cfg.Period(uint64(u.Data.AttestedHeader.Beacon.Slot)))
	}
	return n
}

func (n *testNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n.down.Load() { // as a node that is gone: the connection closes with no answer
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	const lc = "/eth/v1/beacon/light_client/"
	write := func(b []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
	switch path := r.URL.Path; {
	case path == "/eth/v1/beacon/genesis":
		write([]byte(`{"data":{"genesis_time":"1606824023","genesis_validators_root":"` + n.genesis.Hex() + `","genesis_fork_version":"0x00000000"}}`))
	case strings.HasPrefix(path, lc+"bootstrap/"):
		if common.HexToHash(strings.TrimPrefix(path, lc+"bootstrap/")) != n.root {
			http.Error(w, `{"code":404,"message":"LC bootstrap unavailable"}`, http.StatusNotFound)
			return
		}
		write(n.bootstrap)
	case path == lc+"updates":
		start, err1 := strconv.ParseUint(r.URL.Query().Get("start_period"), 10, 64)
		count, err2 := strconv.ParseUint(r.URL.Query().Get("count"), 10, 64)
		if err1 != nil || err2 != nil {
			http.Error(w, `{"code":400,"message":"bad period"}`, http.StatusBadRequest)
			return
		}
		var out []json.RawMessage
		for i, p := range n.periods {
			if p >= start && p < start+count && p != n.skip.Load() {
				out = append(out, n.updates[i])
			}
		}
		data, _ := json.Marshal(out)
		write(data)
	case path == lc+"finality_update":
		write(lightClientFile(n.t, "finality.json"))
	case path == lc+"optimistic_update":
		write(lightClientFile(n.t, "optimistic.json"))
	default:
		http.NotFound(w, r)
	}
}

// The client reads the shared mainnet light-client data from a node's standard paths, with
// nothing changed, and the follower walks the store from the bootstrap's period 862 through
// every period's update to the finality update's header; the optimistic update verifies.
func TestEthereumSourceBeaconClientFollowsMainnet(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := Follow(ctx, NewClient(srv.URL), synccommittee.Mainnet(), n.root)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := f.Client.FinalityUpdate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock := uint64(fin.Data.SignatureSlot)
	vs, err := f.Step(ctx, clock)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(n.updates)+1 {
		t.Fatalf("%d updates applied, want the %d periods' and the finality update", len(vs), len(n.updates))
	}
	want := fin.Data.FinalizedHeader.Beacon.Header()
	if f.Store.Finalized != want || vs[len(vs)-1].Execution.BlockHash != f.Store.Execution.BlockHash {
		t.Fatalf("the store finalized slot %d, the finality update's is %d", f.Store.Finalized.Slot, want.Slot)
	}
	t.Logf("followed periods %d to %d: finalized slot %d, execution block %d", n.periods[0], f.Store.Config.Period(f.Store.Finalized.Slot),
		f.Store.Finalized.Slot, f.Store.Execution.BlockNumber)
	// A second step finds nothing new.
	if again, err := f.Step(ctx, clock); err != nil || len(again) != 0 {
		t.Fatalf("a second step applied %d updates (%v)", len(again), err)
	}
	opt, err := f.Client.OptimisticUpdate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.Validate(&opt.Data, uint64(opt.Data.SignatureSlot)); err != nil {
		t.Fatalf("the optimistic update: %v", err)
	}
}

// What a relay must name, and survive: the node down (a step fails, and the next succeeds when
// it is back), on another network, without a bootstrap of the trusted root, leaving out a
// period, or answering outside the API.
func TestEthereumSourceBeaconClientNamesBadNodes(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := synccommittee.Mainnet()
	c := NewClient(srv.URL)

	gone := httptest.NewServer(n)
	gone.Close()
	if _, err := Follow(ctx, NewClient(gone.URL), cfg, n.root); !errors.Is(err, ErrUnreachable) {
		t.Errorf("a node that is not there: %v", err)
	}
	if _, err := Follow(ctx, c, cfg, common.Hash{1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a bootstrap of an untrusted root: %v", err)
	}
	other := cfg
	other.GenesisValidatorsRoot = common.HexToHash("0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078") // Sepolia's
	if _, err := Follow(ctx, c, other, n.root); !errors.Is(err, ErrWrongNetwork) {
		t.Errorf("a Sepolia light client on a mainnet node: %v", err)
	}
	if _, err := c.Updates(ctx, 0, 0); err != nil {
		t.Errorf("no updates asked: %v", err)
	}
	if err := c.get(ctx, "/eth/v1/beacon/light_client/nonsense", new(any)); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown path: %v", err)
	}

	f, err := Follow(ctx, c, cfg, n.root)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := c.FinalityUpdate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock := uint64(fin.Data.SignatureSlot)
	n.skip.Store(n.periods[2])
	if _, err := f.Step(ctx, clock); !errors.Is(err, ErrPeriodGap) {
		t.Fatalf("a node leaving out period %d: %v", n.periods[2], err)
	}
	n.skip.Store(0)
	n.down.Store(true)
	if _, err := f.Step(ctx, clock); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("the node down: %v", err)
	}
	n.down.Store(false)
	if _, err := f.Step(ctx, clock); err != nil {
		t.Fatalf("the node back: %v", err)
	}
	if f.Store.Finalized.Slot != uint64(fin.Data.FinalizedHeader.Beacon.Slot) {
		t.Fatal("the follower did not reach the finality update's header after the node recovered")
	}
}

// The clock of a node with a genesis time (mainnet's) is the slot of the local time, twelve
// seconds a slot.
func TestEthereumSourceBeaconClock(t *testing.T) {
	srv := httptest.NewServer(newTestNode(t))
	defer srv.Close()
	before := (uint64(time.Now().Unix()) - 1606824023) / 12
	slot, err := NewClient(srv.URL).Clock(12)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := (uint64(time.Now().Unix()) - 1606824023) / 12
	if slot < before || slot > after {
		t.Fatalf("slot %d, want %d to %d", slot, before, after)
	}
}
