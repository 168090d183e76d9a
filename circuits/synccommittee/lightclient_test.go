package synccommittee

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
)

// readJSON reads a file of testdata/mainnet/lightclient: the bootstrap of period 862, six
// consecutive updates (periods 862–867), a finality and an optimistic update (Capella).
func readJSON[T any](t testing.TB, name string) T {
	t.Helper()
	dir, err := mainnet.Dir()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "lightclient", name))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// mainnetStore is a store from the shared bootstrap, trusting its header.
func mainnetStore(t testing.TB) (*Store, *Bootstrap) {
	t.Helper()
	b := readJSON[Versioned[Bootstrap]](t, "bootstrap.json").Data
	cfg := Mainnet()
	root, err := cfg.VerifyHeader(&b.Header)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(cfg, &b, root)
	if err != nil {
		t.Fatal(err)
	}
	return s, &b
}

func mainnetUpdates(t testing.TB) []Update {
	t.Helper()
	var out []Update
	for _, u := range readJSON[[]Versioned[Update]](t, "updates.json") {
		if u.Version != "capella" {
			t.Fatalf("an update of fork %s", u.Version)
		}
		out = append(out, u.Data)
	}
	return out
}

// Every update of the shared data passes, in order: the store follows the committee from
// period 862 to 868 by the next-committee branches alone, and the finality and optimistic
// updates that follow verify under the committee it reached.
func TestSyncCommitteeNativeFollowsMainnet(t *testing.T) {
	s, b := mainnetStore(t)
	if p := s.Config.Period(s.Finalized.Slot); p != 862 {
		t.Fatalf("bootstrap in period %d, want 862", p)
	}
	if len(b.CurrentSyncCommittee.Pubkeys) != 512 {
		t.Fatalf("%d keys", len(b.CurrentSyncCommittee.Pubkeys))
	}
	for i, u := range mainnetUpdates(t) {
		v, err := s.Apply(&u, uint64(u.SignatureSlot))
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		t.Logf("update %d: signature slot %d, %d of 512 signed; finalized slot %d, execution block %d; store in period %d",
			i, v.SignatureSlot, v.Participants, v.Finalized.Slot, v.Execution.BlockNumber, s.Config.Period(s.Finalized.Slot))
	}
	if p := s.Config.Period(s.Finalized.Slot); p != 867 || s.Next == nil {
		t.Fatalf("after the updates: period %d, next known %v; want 867 and the next", p, s.Next != nil)
	}
	fin := readJSON[Versioned[Update]](t, "finality.json").Data
	v, err := s.Apply(&fin, uint64(fin.SignatureSlot))
	if err != nil {
		t.Fatalf("finality update: %v", err)
	}
	if s.Finalized.Slot != v.Finalized.Slot || s.Execution.BlockHash != v.Execution.BlockHash {
		t.Fatal("the finality update's header was not taken")
	}
	opt := readJSON[Versioned[Update]](t, "optimistic.json").Data
	if _, err := s.Validate(&opt, uint64(opt.SignatureSlot)); err != nil {
		t.Fatalf("optimistic update: %v", err)
	}
	if _, err := s.Apply(&opt, uint64(opt.SignatureSlot)); !errors.Is(err, ErrUpdate) {
		t.Fatalf("an optimistic update applied as final: %v", err)
	}
}

// Each change an attacker could make to a valid update is refused, and so is a bootstrap
// under another trusted root.
func TestSyncCommitteeNativeRefusesForgeries(t *testing.T) {
	s0, b := mainnetStore(t)
	if _, err := NewStore(s0.Config, b, common.Hash{1}); !errors.Is(err, ErrUpdate) {
		t.Fatalf("a bootstrap under another trusted root: %v", err)
	}
	bad := *b
	bad.CurrentSyncCommitteeBranch = append([]common.Hash(nil), b.CurrentSyncCommitteeBranch...)
	bad.CurrentSyncCommitteeBranch[1][0] ^= 1
	root, _ := s0.Config.VerifyHeader(&b.Header)
	if _, err := NewStore(s0.Config, &bad, root); !errors.Is(err, ErrBranch) {
		t.Fatalf("a bootstrap with a changed committee branch: %v", err)
	}

	fresh := func(t *testing.T) (*Store, Update) {
		s, _ := mainnetStore(t)
		return s, mainnetUpdates(t)[0] // decoded anew: mutations do not leak
	}
	first := -1
	{
		_, u := fresh(t)
		for i := 0; i < 512; i++ {
			if u.SyncAggregate.Participant(i) {
				first = i
				break
			}
		}
	}
	cases := []struct {
		name   string
		want   error
		cfg    func(c *Config)
		mutate func(u *Update)
	}{
		{"a participation bit cleared, the signature unchanged", ErrSignature, nil, func(u *Update) {
			u.SyncAggregate.Bits = append([]byte(nil), u.SyncAggregate.Bits...)
			u.SyncAggregate.Bits[first/8] ^= 1 << (first % 8)
		}},
		{"a participation bit set, the signature unchanged", ErrSignature, nil, func(u *Update) {
			u.SyncAggregate.Bits = append([]byte(nil), u.SyncAggregate.Bits...)
			for i := 0; i < 512; i++ {
				if !u.SyncAggregate.Participant(i) {
					u.SyncAggregate.Bits[i/8] |= 1 << (i % 8)
					return
				}
			}
		}},
		{"the signature over another attested header", ErrSignature, nil, func(u *Update) { u.AttestedHeader.Beacon.ProposerIndex++ }},
		{"another fork version", ErrSignature, func(c *Config) { c.Forks[2].Version[3] = 1 }, nil},
		{"another genesis validators root", ErrSignature, func(c *Config) { c.GenesisValidatorsRoot[0] ^= 1 }, nil},
		{"a changed finality branch node", ErrBranch, nil, func(u *Update) { u.FinalityBranch[3][5] ^= 1 }},
		{"a finalized header other than the branch's", ErrBranch, nil, func(u *Update) { u.FinalizedHeader.Beacon.Slot-- }},
		{"a changed execution payload field", ErrBranch, nil, func(u *Update) { u.FinalizedHeader.Execution.BlockNumber++ }},
		{"a changed receipts root", ErrBranch, nil, func(u *Update) { u.FinalizedHeader.Execution.ReceiptsRoot[0] ^= 1 }},
		{"a changed execution branch node", ErrBranch, nil, func(u *Update) { u.AttestedHeader.ExecutionBranch[0][0] ^= 1 }},
		{"a changed next-committee branch node", ErrBranch, nil, func(u *Update) { u.NextSyncCommitteeBranch[4][31] ^= 1 }},
		{"the next committee with two keys swapped", ErrBranch, nil, func(u *Update) {
			k := u.NextSyncCommittee.Pubkeys
			k[0], k[1] = k[1], k[0]
		}},
		{"the next committee with one key replaced", ErrField, nil, func(u *Update) {
			u.NextSyncCommittee.Pubkeys[7] = u.NextSyncCommittee.Pubkeys[8]
		}},
		{"a signature slot before the attested slot", ErrUpdate, nil, func(u *Update) { u.SignatureSlot = Uint64(u.AttestedHeader.Beacon.Slot) }},
		{"a signature in a period whose committee the store lacks", ErrUpdate, nil, func(u *Update) { u.SignatureSlot += 8192 }},
		{"a Deneb payload header at a Capella slot", ErrFork, nil, func(u *Update) {
			z := Uint64(0)
			u.AttestedHeader.Execution.BlobGasUsed, u.AttestedHeader.Execution.ExcessBlobGas = &z, &z
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, u := fresh(t)
			if c.cfg != nil {
				c.cfg(&s.Config)
			}
			if c.mutate != nil {
				c.mutate(&u)
			}
			if _, err := s.Apply(&u, uint64(u.SignatureSlot)+10_000); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// The untouched update passes under the same conditions.
	s, u := fresh(t)
	if _, err := s.Apply(&u, uint64(u.SignatureSlot)+10_000); err != nil {
		t.Fatal(err)
	}
}

// The threshold: more than two thirds of the committee. 342 of 512 apply, 341 do not.
func TestSyncCommitteeSupermajority(t *testing.T) {
	for n, want := range map[int]bool{512: true, 342: true, 341: false, 0: false} {
		if got := Supermajority(n, 512); got != want {
			t.Errorf("%d of 512: %v", n, got)
		}
	}
	if !Supermajority(6, 8) || Supermajority(5, 8) {
		t.Error("a committee of 8 needs 6")
	}
}
