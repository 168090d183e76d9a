// Package attest is the committee side of header finality: an attester watches a source
// chain's finalized headers over JSON-RPC, signs each with its EdDSA key (the digest the
// header leaf checks), and serves its signatures over HTTP; Collect gathers a quorum of them
// for a prover.
package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
)

// Attestation is one attester's signature of a finalized header.
type Attestation struct {
	Domain    uint32        `json:"domain"`
	Number    uint64        `json:"number"`
	Hash      common.Hash   `json:"hash"`
	Signer    int           `json:"signer"` // the attester's index in the committee
	Signature hexutil.Bytes `json:"signature"`
}

// Attester signs the finalized headers of one source domain.
type Attester struct {
	Domain uint32
	Index  int
	Key    *eddsa.PrivateKey
	Client *chain.Client
	Poll   time.Duration
	Keep   int // attestations kept (the newest); 0 keeps 1,024
	Log    *slog.Logger

	mu     sync.RWMutex
	signed map[uint64]Attestation
	latest uint64
}

// Run signs every new finalized header until ctx ends.
func (a *Attester) Run(ctx context.Context) error {
	poll := a.Poll
	if poll == 0 {
		poll = time.Second
	}
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := a.signFinalized(ctx); err != nil && ctx.Err() == nil {
			log.Warn("attest: finalized header", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (a *Attester) signFinalized(ctx context.Context) error {
	h, err := a.Client.Eth.HeaderByNumber(ctx, big.NewInt(int64(rpc.FinalizedBlockNumber)))
	if err != nil {
		return err
	}
	n := h.Number.Uint64()
	a.mu.RLock()
	_, done := a.signed[n]
	a.mu.RUnlock()
	if done {
		return nil
	}
	sig, err := committee.Sign(a.Key, committee.DigestNative(a.Domain, n, h.Hash()))
	if err != nil {
		return err
	}
	at := Attestation{Domain: a.Domain, Number: n, Hash: h.Hash(), Signer: a.Index, Signature: sig.Bytes()}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.signed == nil {
		a.signed = map[uint64]Attestation{}
	}
	a.signed[n] = at
	a.latest = max(a.latest, n)
	keep := a.Keep
	if keep == 0 {
		keep = 1024
	}
	for k := range a.signed {
		if len(a.signed) <= keep {
			break
		}
		if k+uint64(keep) <= a.latest {
			delete(a.signed, k)
		}
	}
	if a.Log != nil {
		a.Log.Info("attested", "domain", a.Domain, "block", n, "hash", h.Hash())
	}
	return nil
}

// Handler serves GET /attestations/{number} and /attestations/latest as JSON.
func (a *Attester) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /attestations/{number}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.RLock()
		defer a.mu.RUnlock()
		var n uint64
		if s := r.PathValue("number"); s == "latest" {
			n = a.latest
		} else {
			var err error
			if n, err = strconv.ParseUint(s, 10, 64); err != nil {
				http.Error(w, "block number: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		at, ok := a.signed[n]
		if !ok {
			http.Error(w, fmt.Sprintf("block %d not attested", n), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(at)
	})
	return mux
}

// ErrNoQuorum is returned when the attestations collected hold two thirds of the weight or
// less.
var ErrNoQuorum = errors.New("too few attestations for a quorum")

// Collect asks every attester URL for its attestation of block number of domain, keeps the
// ones whose signature verifies under the committee member they claim to be, and returns
// them by member index once they hold a quorum. Attesters that are down, unaware of the
// block or wrong are logged and skipped.
func Collect(ctx context.Context, urls []string, c committee.Committee, domain uint32, number uint64, hash common.Hash, log *slog.Logger) (map[int]*eddsa.Signature, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	digest := committee.DigestNative(domain, number, hash)
	sigs := map[int]*eddsa.Signature{}
	signed := make([]bool, len(c))
	var problems []string
	for _, u := range urls {
		at, err := fetch(ctx, u, number)
		if err == nil && (at.Domain != domain || at.Number != number || at.Hash != hash) {
			err = fmt.Errorf("it attests block %d (%s) of domain %d", at.Number, at.Hash, at.Domain)
		}
		if err == nil && (at.Signer < 0 || at.Signer >= len(c)) {
			err = fmt.Errorf("signer %d is not a member", at.Signer)
		}
		var sig eddsa.Signature
		if err == nil {
			if _, err = sig.SetBytes(at.Signature); err == nil && !committee.Verify(&c[at.Signer].PublicKey, digest, &sig) {
				err = fmt.Errorf("member %d's signature does not verify", at.Signer)
			}
		}
		if err != nil {
			log.Warn("attester skipped", "url", u, "err", err)
			problems = append(problems, fmt.Sprintf("%s: %v", u, err))
			continue
		}
		sigs[at.Signer], signed[at.Signer] = &sig, true
	}
	if !c.HasQuorum(signed) {
		return nil, fmt.Errorf("%w: block %d of domain %d signed by %d of %d members %v", ErrNoQuorum, number, domain, len(sigs), len(c), problems)
	}
	return sigs, nil
}

func fetch(ctx context.Context, base string, number uint64) (*Attestation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/attestations/%d", base, number), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	var at Attestation
	if err := json.NewDecoder(resp.Body).Decode(&at); err != nil {
		return nil, fmt.Errorf("decode attestation: %w", err)
	}
	return &at, nil
}

// MemberFile is a committee member as a committee file lists it.
type MemberFile struct {
	PublicKey hexutil.Bytes `json:"publicKey"` // compressed, 32 bytes
	Weight    uint64        `json:"weight"`
}

// EncodeCommittee is the committee file of c.
func EncodeCommittee(c committee.Committee) ([]byte, error) {
	out := make([]MemberFile, len(c))
	for i, m := range c {
		out[i] = MemberFile{PublicKey: m.PublicKey.Bytes(), Weight: m.Weight}
	}
	return json.MarshalIndent(out, "", "  ")
}

// DecodeCommittee reads a committee file.
func DecodeCommittee(data []byte) (committee.Committee, error) {
	var ms []MemberFile
	if err := json.Unmarshal(data, &ms); err != nil {
		return nil, fmt.Errorf("committee file: %w", err)
	}
	if len(ms) == 0 {
		return nil, errors.New("committee file: no members")
	}
	c := make(committee.Committee, len(ms))
	for i, m := range ms {
		if _, err := c[i].PublicKey.SetBytes(m.PublicKey); err != nil {
			return nil, fmt.Errorf("committee file: member %d: public key: %w", i, err)
		}
		if committee.LowOrder(&c[i].PublicKey) {
			return nil, fmt.Errorf("committee file: member %d: public key of small order (anyone can sign for it)", i)
		}
		c[i].Weight = m.Weight
	}
	return c, nil
}
