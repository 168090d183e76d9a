package devnet

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// beaconFinalityLag is how far the devnet beacon chain's finalized checkpoint trails its head
// (two epochs, as Ethereum's does).
const beaconFinalityLag = 2

// Beacon simulates a beacon chain over the devnet's source execution chain: one beacon block a
// slot, the slot being the execution block's number, whose body holds that block's execution
// payload header; states that hold the finalized checkpoint two epochs back and the sync
// committees (the committee of period p has keys from the seed and p); updates signed by the
// committee of their period. It serves them through the standard light-client REST API
// (Handler), so a relay's beacon client is the one a real node answers.
type Beacon struct {
	Config synccommittee.Config
	seed   []byte

	mu         sync.Mutex
	slots      []beaconSlot
	committees map[uint64]*synccommittee.Signer
	// Signers, if set, picks the members who sign at a signature slot (all by default).
	Signers func(slot uint64, size int) []int
}

type beaconSlot struct {
	header    synccommittee.BeaconBlockHeader
	root      [32]byte
	lc        synccommittee.LightClientHeader
	state     synccommittee.StateBranches
	finalized uint64 // the slot of the finalized checkpoint in its state
}

// NewBeacon is an empty beacon chain of cfg, its committees' keys from seed.
func NewBeacon(cfg synccommittee.Config, seed string) *Beacon {
	return &Beacon{Config: cfg, seed: []byte(seed), committees: map[uint64]*synccommittee.Signer{}}
}

// Committee is the sync committee of a period.
func (b *Beacon) Committee(period uint64) *synccommittee.Signer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.committee(period)
}

func (b *Beacon) committee(period uint64) *synccommittee.Signer {
	c, ok := b.committees[period]
	if !ok {
		seed := binary.BigEndian.AppendUint64(append([]byte(nil), b.seed...), period)
		c = synccommittee.NewSigner(seed, b.Config.CommitteeSize)
		b.committees[period] = c
	}
	return c
}

// Head is the newest slot, or -1 for none.
func (b *Beacon) Head() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.slots) - 1
}

// Add appends the beacon block of the execution block after the newest (slot = number).
func (b *Beacon) Add(block *types.Block) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg := &b.Config
	slot := block.NumberU64()
	if slot != uint64(len(b.slots)) {
		return fmt.Errorf("beacon: execution block %d after slot %d", slot, len(b.slots)-1)
	}
	payload, err := synccommittee.ExecutionHeaderOf(block.Header(), block.Transactions(), block.Withdrawals(), true)
	if err != nil {
		return fmt.Errorf("beacon: block %d: %w", slot, err)
	}
	proot, err := payload.Root()
	if err != nil {
		return err
	}
	body, branch := synccommittee.BodyOf(proot)
	var fin uint64
	if lag := beaconFinalityLag * cfg.SlotsPerEpoch; slot > lag {
		fin = cfg.Epoch(slot-lag) * cfg.SlotsPerEpoch
	}
	var finRoot, parent [32]byte
	if slot > 0 {
		finRoot, parent = b.slots[fin].root, b.slots[slot-1].root
	}
	period := cfg.Period(slot)
	cur, err := b.committee(period).Root()
	if err != nil {
		return err
	}
	next, err := b.committee(period + 1).Root()
	if err != nil {
		return err
	}
	st := synccommittee.StateOf(cfg.Epoch(fin), finRoot, cur, next)
	h := synccommittee.BeaconBlockHeader{Slot: slot, ProposerIndex: slot % 64, ParentRoot: parent, StateRoot: st.Root, BodyRoot: body}
	b.slots = append(b.slots, beaconSlot{
		header: h, root: h.Root(), state: st, finalized: fin,
		lc: synccommittee.LightClientHeader{Beacon: h.JSON(), Execution: payload.JSON(), ExecutionBranch: branch},
	})
	return nil
}

// Sync adds the beacon blocks of the execution chain's blocks past the newest slot, up to
// its head.
func (b *Beacon) Sync(ctx context.Context, c *ethclient.Client) error {
	head, err := c.BlockNumber(ctx)
	if err != nil {
		return fmt.Errorf("beacon: %w", err)
	}
	for n := uint64(b.Head() + 1); n <= head; n++ {
		block, err := c.BlockByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			return fmt.Errorf("beacon: block %d: %w", n, err)
		}
		if err := b.Add(block); err != nil {
			return err
		}
	}
	return nil
}

// Root is the beacon block root of a slot.
func (b *Beacon) Root(slot uint64) (common.Hash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if slot >= uint64(len(b.slots)) {
		return common.Hash{}, fmt.Errorf("%w: slot %d", errNoBeaconObject, slot)
	}
	return b.slots[slot].root, nil
}

var errNoBeaconObject = errors.New("no such beacon object")

// Bootstrap is the light-client bootstrap of a block root.
func (b *Beacon) Bootstrap(root common.Hash) (*synccommittee.Versioned[synccommittee.Bootstrap], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.slots {
		if s.root == root {
			return &synccommittee.Versioned[synccommittee.Bootstrap]{Version: "deneb", Data: synccommittee.Bootstrap{
				Header: s.lc, CurrentSyncCommittee: b.committee(b.Config.Period(s.header.Slot)).JSON, CurrentSyncCommitteeBranch: s.state.CurrentCommittee,
			}}, nil
		}
	}
	return nil, fmt.Errorf("%w: no bootstrap of %s", errNoBeaconObject, root)
}

// update is the light-client update of the header attested at slot a, signed at a + 1 by the
// committee of that slot's period; with finality, its finalized header; with next, the next
// committee.
func (b *Beacon) update(a uint64, finality, next bool) (synccommittee.Update, error) {
	cfg := &b.Config
	att, sig := b.slots[a], a+1
	signers := make([]int, cfg.CommitteeSize)
	for i := range signers {
		signers[i] = i
	}
	if b.Signers != nil {
		signers = b.Signers(sig, cfg.CommitteeSize)
	}
	agg, err := b.committee(cfg.Period(sig)).Sign(cfg.SyncSigningRoot(att.root, sig), signers)
	if err != nil {
		return synccommittee.Update{}, err
	}
	u := synccommittee.Update{AttestedHeader: att.lc, SyncAggregate: agg, SignatureSlot: synccommittee.Uint64(sig)}
	if finality {
		fin := b.slots[att.finalized].lc
		u.FinalizedHeader, u.FinalityBranch = &fin, att.state.Finality
	}
	if next {
		u.NextSyncCommittee, u.NextSyncCommitteeBranch = &b.committee(cfg.Period(a)+1).JSON, att.state.NextCommittee
	}
	return u, nil
}

// Updates are the best updates of count periods from start that the chain has: for period p,
// the newest header attested and signed within p whose finalized header is in p too.
func (b *Beacon) Updates(start, count uint64) ([]synccommittee.Versioned[synccommittee.Update], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg := &b.Config
	var out []synccommittee.Versioned[synccommittee.Update]
	for p := start; p < start+count; p++ {
		first := p * cfg.EpochsPerPeriod * cfg.SlotsPerEpoch
		last := first + cfg.EpochsPerPeriod*cfg.SlotsPerEpoch - 1
		if len(b.slots) < 2 {
			break
		}
		a := min(last-1, uint64(len(b.slots))-2)
		if a < first || b.slots[a].finalized < first {
			break // the chain has no such update yet
		}
		u, err := b.update(a, true, true)
		if err != nil {
			return nil, err
		}
		out = append(out, synccommittee.Versioned[synccommittee.Update]{Version: "deneb", Data: u})
	}
	return out, nil
}

// FinalityUpdate is the update of the newest signed header, with its finalized header.
func (b *Beacon) FinalityUpdate() (*synccommittee.Versioned[synccommittee.Update], error) {
	return b.newest(true)
}

// OptimisticUpdate is the update of the newest signed header, without a finalized header.
func (b *Beacon) OptimisticUpdate() (*synccommittee.Versioned[synccommittee.Update], error) {
	return b.newest(false)
}

func (b *Beacon) newest(finality bool) (*synccommittee.Versioned[synccommittee.Update], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.slots) < 2 {
		return nil, fmt.Errorf("%w: no signed header yet", errNoBeaconObject)
	}
	u, err := b.update(uint64(len(b.slots))-2, finality, false)
	if err != nil {
		return nil, err
	}
	return &synccommittee.Versioned[synccommittee.Update]{Version: "deneb", Data: u}, nil
}

// Handler serves the beacon chain through the standard REST API: the genesis and the
// light-client bootstrap, updates, finality and optimistic updates.
func (b *Beacon) Handler() http.Handler {
	const lc = "/eth/v1/beacon/light_client/"
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		switch {
		case errors.Is(err, errNoBeaconObject):
			http.Error(w, fmt.Sprintf(`{"code":404,"message":%q}`, err.Error()), http.StatusNotFound)
		case err != nil:
			http.Error(w, fmt.Sprintf(`{"code":500,"message":%q}`, err.Error()), http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(v) //nolint:errcheck // the client sees a cut answer
		}
	}
	mux.HandleFunc("GET /eth/v1/beacon/genesis", func(w http.ResponseWriter, r *http.Request) {
		v := [4]byte{0, 0, 0, 0x1d}
		reply(w, map[string]any{"data": map[string]string{
			"genesis_time": "0", "genesis_validators_root": common.Hash(b.Config.GenesisValidatorsRoot).Hex(),
			"genesis_fork_version": "0x" + common.Bytes2Hex(v[:]),
		}}, nil)
	})
	mux.HandleFunc("GET "+lc+"bootstrap/{root}", func(w http.ResponseWriter, r *http.Request) {
		bs, err := b.Bootstrap(common.HexToHash(r.PathValue("root")))
		reply(w, bs, err)
	})
	mux.HandleFunc("GET "+lc+"updates", func(w http.ResponseWriter, r *http.Request) {
		start, err1 := strconv.ParseUint(r.URL.Query().Get("start_period"), 10, 64)
		count, err2 := strconv.ParseUint(r.URL.Query().Get("count"), 10, 64)
		if err1 != nil || err2 != nil || count > 128 {
			http.Error(w, `{"code":400,"message":"start_period and count (at most 128) required"}`, http.StatusBadRequest)
			return
		}
		us, err := b.Updates(start, count)
		if us == nil {
			us = []synccommittee.Versioned[synccommittee.Update]{}
		}
		reply(w, us, err)
	})
	mux.HandleFunc("GET "+lc+"finality_update", func(w http.ResponseWriter, r *http.Request) {
		u, err := b.FinalityUpdate()
		reply(w, u, err)
	})
	mux.HandleFunc("GET "+lc+"optimistic_update", func(w http.ResponseWriter, r *http.Request) {
		u, err := b.OptimisticUpdate()
		reply(w, u, err)
	})
	return mux
}
