package attest

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
)

// Four devnet attesters watch the source chain; a quorum of their signatures is collected,
// and too few, a wrong signer or a forged signature are refused.
func TestAttestersSignFinalizedHeaders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := devnet.Start(ctx, devnet.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	members, keys := devnet.Committee()
	var urls []string
	attesters := make([]*Attester, len(keys))
	for i, k := range keys {
		c, err := chain.Dial(ctx, d.Source.URL)
		if err != nil {
			t.Fatal(err)
		}
		attesters[i] = &Attester{Domain: d.Config.SourceDomain, Index: i, Key: k, Client: c, Poll: 20 * time.Millisecond}
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
	if got, err := collect(urls); err != nil || got != 4 {
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
