package attest

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// handOver is the devnet hand-over of domain 1 from epoch 0's committee to nextEpoch's.
func handOver(nextEpoch uint64) Rotation {
	current, _ := devnet.CommitteeOfEpoch(nextEpoch - 1)
	next, _ := devnet.CommitteeOfEpoch(nextEpoch)
	return Rotation{
		Claim: protocol.RotationClaim{SrcDomain: 1, Committee: current.CommitmentHash(), NextEpoch: nextEpoch, NextCommittee: next.CommitmentHash()},
		Next:  next,
	}
}

// The committee's members sign a hand-over and serve it; CollectRotation gathers a quorum
// of one successor, with its members, and refuses a split vote.
func TestRotationSignedServedAndCollected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	current, keys := devnet.Committee()
	rot := handOver(1)
	other := handOver(2) // another successor, named as epoch 1 below
	other.Claim.NextEpoch, other.Claim.Committee = 1, current.CommitmentHash()
	var urls []string
	for i, k := range keys {
		a := &Attester{Domain: 1, Index: i, Key: k}
		r := rot
		if i >= 2 {
			r = other // a split committee: two and two
		}
		if err := a.SignRotation(current, r); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	if _, _, err := CollectRotation(ctx, urls, current, 1, 1, nil); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("a split vote: %v, want ErrNoQuorum", err)
	}
	// The third member signs the first successor instead (a fresh attester, no state).
	a := &Attester{Domain: 1, Index: 2, Key: keys[2]}
	if err := a.SignRotation(current, rot); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	urls[2] = srv.URL
	got, sigs, err := CollectRotation(ctx, urls, current, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Claim.Hash() != rot.Claim.Hash() || got.Next.CommitmentHash() != rot.Claim.NextCommittee || len(sigs) != 3 {
		t.Fatalf("collected %+v with %d signatures", got.Claim, len(sigs))
	}
	digest := committee.RotationDigestNative(1, 1, rot.Claim.NextCommittee)
	for i, s := range sigs {
		if !committee.Verify(&current[i].PublicKey, digest, s) {
			t.Fatalf("member %d's signature does not verify", i)
		}
	}
	// Asked under another committee, or for another epoch, nothing checks.
	if _, _, err := CollectRotation(ctx, urls, rot.Next, 1, 1, nil); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("under another committee: %v", err)
	}
	if _, _, err := CollectRotation(ctx, urls, current, 1, 2, nil); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("for another epoch: %v", err)
	}
}

// A member never signs two successors for one epoch, nor one for an earlier epoch, across
// restarts; nor a hand-over that is not its committee's.
func TestHardeningRotationSignedOncePerEpoch(t *testing.T) {
	current, keys := devnet.Committee()
	state := filepath.Join(t.TempDir(), "state.json")
	a := &Attester{Domain: 1, Index: 0, Key: keys[0], StateFile: state}
	rot := handOver(1)
	if err := a.SignRotation(current, rot); err != nil {
		t.Fatal(err)
	}
	if err := a.SignRotation(current, rot); err != nil {
		t.Fatalf("the same hand-over again: %v", err)
	}
	other := rot
	other.Next, _ = devnet.CommitteeOfEpoch(5)
	other.Claim.NextCommittee = other.Next.CommitmentHash()
	restarted := &Attester{Domain: 1, Index: 0, Key: keys[0], StateFile: state}
	if err := restarted.SignRotation(current, other); !errors.Is(err, ErrRotationConflict) {
		t.Fatalf("another successor for epoch 1 after a restart: %v, want ErrRotationConflict", err)
	}
	bad := map[string]func(r *Rotation){
		"another domain":          func(r *Rotation) { r.Claim.SrcDomain = 2 },
		"epoch 0":                 func(r *Rotation) { r.Claim.NextEpoch = 0 },
		"another current":         func(r *Rotation) { r.Claim.Committee = rot.Claim.NextCommittee },
		"members not the claim's": func(r *Rotation) { r.Next = current },
	}
	for name, mutate := range bad {
		r := handOver(2)
		r.Claim.Committee = current.CommitmentHash()
		mutate(&r)
		if err := restarted.SignRotation(current, r); !errors.Is(err, ErrRotation) {
			t.Errorf("%s: %v, want ErrRotation", name, err)
		}
	}
	if err := (&Attester{Domain: 1, Index: 1, Key: keys[0]}).SignRotation(current, rot); !errors.Is(err, ErrRotation) {
		t.Fatalf("a key that is not the member at its index: %v", err)
	}
	// A later epoch is signed, and an earlier one is then refused.
	later := handOver(2)
	later.Claim.Committee = current.CommitmentHash()
	if err := restarted.SignRotation(current, later); err != nil {
		t.Fatal(err)
	}
	if err := restarted.SignRotation(current, rot); !errors.Is(err, ErrRotationConflict) {
		t.Fatalf("an earlier epoch after a later: %v", err)
	}
}
