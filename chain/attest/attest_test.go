package attest

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
)

// Four devnet attesters watch the source chain; a quorum of their signatures is collected,
// and too few, a wrong signer or a forged signature are refused.
func TestAttestersSignFinalizedHeaders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	members, keys := devnet.Committee()
	var urls []string
	attesters := make([]*Attester, len(keys))
	for i, k := range keys {
		c, err := chain.Dial(ctx, d.Source.URL)
		if err != nil {
			t.Fatal(err)
		}
		attesters[i] = &Attester{Domain: d.Config.SourceDomain, Index: i, Key: k, Chain: c.Eth, Poll: 20 * time.Millisecond}
		go attesters[i].Run(ctx)
		srv := httptest.NewServer(attesters[i].Handler())
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := h.Number.Uint64()
	// The attesters poll: wait until each has signed the block.
	for _, a := range attesters {
		for {
			a.mu.RLock()
			_, ok := a.signed[n]
			a.mu.RUnlock()
			if ok {
				break
			}
			if ctx.Err() != nil {
				t.Fatal("the attesters did not sign the finalized block")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	collect := func(urls []string) (int, error) {
		sigs, err := Collect(ctx, urls, members, d.Config.SourceDomain, n, h.Hash(), nil)
		return len(sigs), err
	}
	// Collect returns at the quorum: 3 of the 4 (30 of 40 weight).
	if got, err := collect(urls); err != nil || got != 3 {
		t.Fatalf("4 attesters: %d signatures, %v", got, err)
	}
	if got, err := collect(urls[:3]); err != nil || got != 3 {
		t.Fatalf("3 of 4 (30 of 40 weight, above two thirds): %d, %v", got, err)
	}
	if _, err := collect(urls[:2]); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("2 of 4: %v, want ErrNoQuorum", err)
	}
	// The same attester twice counts once; an attester down is skipped.
	if _, err := collect([]string{urls[0], urls[0], urls[1], "http://127.0.0.1:1"}); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("one attester twice and one down: %v, want ErrNoQuorum", err)
	}
	// Another committee (the signatures do not verify under its keys).
	other := append(committee.Committee(nil), members...)
	other[0], other[1] = members[1], members[0]
	other[2], other[3] = members[3], members[2]
	if _, err := Collect(ctx, urls, other, d.Config.SourceDomain, n, h.Hash(), nil); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("signatures under another committee's keys: %v", err)
	}
	// Another block hash for the same number.
	if _, err := Collect(ctx, urls, members, d.Config.SourceDomain, n, common.Hash{1}, nil); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("another hash: %v", err)
	}
}

func TestCommitteeFileRoundTrip(t *testing.T) {
	members, _ := devnet.Committee()
	data, err := EncodeCommittee(members)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeCommittee(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.CommitmentHash() != members.CommitmentHash() {
		t.Fatal("the committee file changes the commitment")
	}
	for name, bad := range map[string]string{
		"empty":       `[]`,
		"truncated":   string(data[:len(data)/2]),
		"a short key": `[{"publicKey": "0x0102", "weight": 1}]`,
	} {
		if _, err := DecodeCommittee([]byte(bad)); err == nil {
			t.Errorf("%s committee file decoded", name)
		}
	}
}

// A committee file holding a key of small order (anyone can sign for it) is refused.
func TestHardeningCommitteeFileRefusesLowOrderKeys(t *testing.T) {
	members, _ := devnet.Committee()
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	for name, key := range map[string]twistededwards.PointAffine{"identity": {Y: fr.One()}, "order 2": {Y: minusOne}} {
		bad := append(committee.Committee(nil), members...)
		bad[1].PublicKey.A = key
		data, err := EncodeCommittee(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeCommittee(data); err == nil {
			t.Errorf("%s key: the committee file decoded", name)
		}
	}
}

// fakeChain is a test double of a source chain's RPC: headers by hash, and a finalized
// header the test sets.
type fakeChain struct {
	mu        sync.Mutex
	byHash    map[common.Hash]*types.Header
	finalized *types.Header
}

// extend appends n headers to parent (nil: a genesis), tagged so that forks differ.
func (f *fakeChain) extend(parent *types.Header, n int, tag byte) []*types.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byHash == nil {
		f.byHash = map[common.Hash]*types.Header{}
	}
	var out []*types.Header
	for i := 0; i < n; i++ {
		h := &types.Header{Number: big.NewInt(0), Extra: []byte{tag}, Difficulty: big.NewInt(0)}
		if parent != nil {
			h.ParentHash, h.Number = parent.Hash(), new(big.Int).Add(parent.Number, big.NewInt(1))
		}
		f.byHash[h.Hash()] = h
		out = append(out, h)
		parent = h
	}
	return out
}

func (f *fakeChain) finalize(h *types.Header) { f.mu.Lock(); f.finalized = h; f.mu.Unlock() }

func (f *fakeChain) HeaderByNumber(_ context.Context, n *big.Int) (*types.Header, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.Int64() != int64(rpc.FinalizedBlockNumber) || f.finalized == nil {
		return nil, errors.New("fakeChain serves the finalized header only")
	}
	return f.finalized, nil
}

func (f *fakeChain) HeaderByHash(_ context.Context, h common.Hash) (*types.Header, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if hd, ok := f.byHash[h]; ok {
		return hd, nil
	}
	return nil, errors.New("not found")
}

// An attester signs only increasing heights that descend from what it signed, never two
// hashes at one height, and remembers across a restart. Fed a finalized header that goes
// back, sideways or onto another fork, it refuses and says why.
func TestHardeningAttesterSignsOnlyForwardAndLinked(t *testing.T) {
	ctx := context.Background()
	_, keys := devnet.Committee()
	var ch fakeChain
	a := ch.extend(nil, 11, 'a') // blocks 0..10
	b := ch.extend(a[4], 6, 'b') // a fork from block 4: blocks 5..10
	state := filepath.Join(t.TempDir(), "attester.json")
	newAttester := func() *Attester {
		return &Attester{Domain: 1, Index: 0, Key: keys[0], Chain: &ch, StateFile: state, MaxGap: 4}
	}
	at := newAttester()
	step := func(h *types.Header, want error) {
		t.Helper()
		ch.finalize(h)
		err := at.SignFinalized(ctx)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("block %d (%x…): %v, want %v", h.Number, h.Hash().Bytes()[:4], err, want)
		}
	}
	step(a[5], nil)
	step(a[5], nil) // the same header again: nothing new to sign
	step(a[3], ErrNotForward)
	step(b[0], ErrNotForward) // block 5 of the fork: a second hash at a signed height
	step(b[3], ErrReorged)    // block 8 of the fork: does not descend from block 5 signed
	step(a[10], ErrGap)       // 5 blocks above, MaxGap 4
	step(a[8], nil)
	if last := at.LastSigned(); last.Number != 8 || last.Hash != a[8].Hash() {
		t.Fatalf("last signed %+v, want block 8", last)
	}
	for _, n := range []uint64{3, 5} {
		at.mu.RLock()
		got, ok := at.signed[n]
		at.mu.RUnlock()
		if n == 3 && ok || n == 5 && (!ok || got.Hash != a[5].Hash()) {
			t.Fatalf("block %d: %+v %v", n, got, ok)
		}
	}
	// A restart remembers block 8: block 7 is refused, block 10 links.
	at = newAttester()
	step(a[7], ErrNotForward)
	step(b[5], ErrReorged)
	step(a[10], nil)
	// A state file of another domain or member is refused, every time (it signs nothing
	// until the file is right).
	for _, other := range []*Attester{{Domain: 2, Key: keys[0], Chain: &ch, StateFile: state}, {Domain: 1, Index: 1, Key: keys[1], Chain: &ch, StateFile: state}} {
		for range 2 {
			if err := other.SignFinalized(ctx); err == nil || !strings.Contains(err.Error(), "member 0's of domain 1") {
				t.Fatalf("a state file of another attester: %v", err)
			}
		}
	}
}

// Collect asks every attester at once and returns at the quorum: an attester that hangs
// holds the relay no longer than the deadline, and one that answers megabytes is cut off.
func TestHardeningCollectDoesNotWaitForAHungAttester(t *testing.T) {
	members, keys := devnet.Committee()
	var ch fakeChain
	hs := ch.extend(nil, 3, 'a')
	ch.finalize(hs[2])
	var urls []string
	for i, k := range keys[:3] {
		a := &Attester{Domain: 1, Index: i, Key: k, Chain: &ch}
		if err := a.SignFinalized(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hung.Close()
	defer close(release)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"domain": 1, "signature": "0x`))
		for i := 0; i < 1<<16; i++ {
			w.Write([]byte("00000000000000000000000000000000"))
		}
	}))
	defer huge.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	sigs, err := Collect(ctx, append([]string{hung.URL, huge.URL}, urls...), members, 1, 2, hs[2].Hash(), nil)
	if err != nil || len(sigs) != 3 {
		t.Fatalf("3 of 4 members with one attester hung: %d signatures, %v", len(sigs), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Collect took %v with a quorum ready: it waited for the hung attester", d)
	}
	// Without the quorum, Collect gives up at the deadline, naming the hung and the huge one.
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, err = Collect(short, []string{hung.URL, huge.URL, urls[0], urls[1]}, members, 1, 2, hs[2].Hash(), nil)
	if !errors.Is(err, ErrNoQuorum) || !strings.Contains(err.Error(), "larger than") || !strings.Contains(err.Error(), hung.URL) {
		t.Fatalf("no quorum: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Collect took %v past a 300 ms deadline", d)
	}
}
