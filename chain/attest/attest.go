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
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
)

// Attestation is one attester's signature of a finalized header.
type Attestation struct {
	Domain    uint32        `json:"domain"`
	Number    uint64        `json:"number"`
	Hash      common.Hash   `json:"hash"`
	Signer    int           `json:"signer"` // the attester's index in the committee
	Signature hexutil.Bytes `json:"signature"`
}

// HeaderReader is what an attester reads of its source chain (ethclient.Client has it).
type HeaderReader interface {
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	HeaderByHash(ctx context.Context, hash common.Hash) (*types.Header, error)
}

// Refusals: the attester signs only a finalized header above the one it signed last whose
// ancestors lead to it, so it never signs two hashes at one height nor a re-orged chain.
var (
	ErrNotForward = errors.New("attest: not above the last signed block")
	ErrReorged    = errors.New("attest: does not descend from the last signed block")
	ErrGap        = errors.New("attest: too far above the last signed block to link")
)

// DefaultMaxGap is how many blocks an attester walks back by parent hash, at most, to link a
// new finalized header to the last one it signed (about 27 hours of Ethereum blocks).
const DefaultMaxGap = 8192

// Signed is the last block an attester signed, as its state file keeps it (no block yet when
// Hash is zero), and the last hand-over it signed.
type Signed struct {
	Domain   uint32          `json:"domain"`
	Signer   int             `json:"signer"`
	Number   uint64          `json:"number"`
	Hash     common.Hash     `json:"hash"`
	Rotation *SignedRotation `json:"rotation,omitempty"`
}

// Attester signs the finalized headers of one source domain.
type Attester struct {
	Domain uint32
	Index  int
	Key    *eddsa.PrivateKey
	Chain  HeaderReader
	Poll   time.Duration
	Keep   int // attestations kept (the newest); 0 keeps 1,024
	Log    *slog.Logger
	// StateFile keeps the last signed block across restarts (written before its signature is
	// served); empty keeps it in memory only.
	StateFile string
	// MaxGap bounds the walk back to the last signed block; 0 is DefaultMaxGap.
	MaxGap uint64

	mu       sync.RWMutex
	signed   map[uint64]Attestation
	latest   uint64
	last     *Signed
	loaded   bool
	rotation *RotationAttestation
}

// Run signs every new finalized header until ctx ends. A header it refuses is logged with
// the reason, and not signed.
func (a *Attester) Run(ctx context.Context) error {
	poll := a.Poll
	if poll == 0 {
		poll = time.Second
	}
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := a.load(); err != nil {
		return err
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := a.SignFinalized(ctx); err != nil && ctx.Err() == nil {
			log.Warn("attest: finalized header not signed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// load reads the state file once.
func (a *Attester) load() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.loaded {
		return nil
	}
	if a.StateFile == "" {
		a.loaded = true
		return nil
	}
	data, err := os.ReadFile(a.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		a.loaded = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("attest: state: %w", err)
	}
	var st Signed
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("attest: state %s: %w", a.StateFile, err)
	}
	if st.Domain != a.Domain || st.Signer != a.Index {
		return fmt.Errorf("attest: state %s is member %d's of domain %d, not member %d's of domain %d", a.StateFile, st.Signer, st.Domain, a.Index, a.Domain)
	}
	a.last, a.loaded = &st, true
	return nil
}

// LastSigned is the last block the attester signed, if any.
func (a *Attester) LastSigned() *Signed {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.last == nil {
		return nil
	}
	s := *a.last
	if s.Rotation != nil {
		r := *s.Rotation
		s.Rotation = &r
	}
	return &s
}

// SignFinalized signs the source chain's finalized header if it is new and links to the last
// signed one.
func (a *Attester) SignFinalized(ctx context.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	h, err := a.Chain.HeaderByNumber(ctx, big.NewInt(int64(rpc.FinalizedBlockNumber)))
	if err != nil {
		return err
	}
	n, hash := h.Number.Uint64(), h.Hash()
	last := a.LastSigned()
	if last != nil && last.Hash != (common.Hash{}) {
		if n == last.Number && hash == last.Hash {
			return nil
		}
		if err := a.link(ctx, h, last); err != nil {
			return err
		}
	}
	sig, err := committee.Sign(a.Key, committee.DigestNative(a.Domain, n, hash))
	if err != nil {
		return err
	}
	st := Signed{Domain: a.Domain, Signer: a.Index, Number: n, Hash: hash}
	if last != nil {
		st.Rotation = last.Rotation
	}
	if a.StateFile != "" {
		if err := fileio.WriteJSON(a.StateFile, st); err != nil {
			return fmt.Errorf("attest: state: %w", err)
		}
	}
	at := Attestation{Domain: a.Domain, Number: n, Hash: hash, Signer: a.Index, Signature: sig.Bytes()}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = &st
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
		a.Log.Info("attested", "domain", a.Domain, "block", n, "hash", hash)
	}
	return nil
}

// link checks that h is above last and descends from it, walking back by parent hash.
func (a *Attester) link(ctx context.Context, h *types.Header, last *Signed) error {
	n := h.Number.Uint64()
	if n <= last.Number {
		return fmt.Errorf("%w: the finalized block %d (%s) is not above block %d (%s), signed before", ErrNotForward, n, h.Hash(), last.Number, last.Hash)
	}
	maxGap := a.MaxGap
	if maxGap == 0 {
		maxGap = DefaultMaxGap
	}
	if n-last.Number > maxGap {
		return fmt.Errorf("%w: the finalized block %d is %d blocks above block %d, signed before (at most %d)", ErrGap, n, n-last.Number, last.Number, maxGap)
	}
	p := h
	for p.Number.Uint64() > last.Number+1 {
		parent, err := a.Chain.HeaderByHash(ctx, p.ParentHash)
		if err != nil {
			return fmt.Errorf("attest: parent of block %d: %w", p.Number, err)
		}
		if parent.Hash() != p.ParentHash || parent.Number.Uint64()+1 != p.Number.Uint64() {
			return fmt.Errorf("%w: the chain served as the parent of block %d is block %d (%s)", ErrReorged, p.Number, parent.Number, parent.Hash())
		}
		p = parent
	}
	if p.ParentHash != last.Hash {
		return fmt.Errorf("%w: the finalized block %d (%s) descends from %s at height %d, but block %d signed before is %s: the source chain re-orged a finalized block, or its RPC is wrong",
			ErrReorged, n, h.Hash(), p.ParentHash, last.Number, last.Number, last.Hash)
	}
	return nil
}

// Handler serves GET /attestations/{number} and /attestations/latest as JSON, and the signed
// hand-over at GET /rotations/{nextEpoch}.
func (a *Attester) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rotations/{epoch}", a.serveRotation)
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

const (
	// CollectDeadline bounds Collect when its context has no earlier deadline: an attester
	// that hangs holds no one past it.
	CollectDeadline = 30 * time.Second
	// maxAttestationBytes bounds what Collect reads of one answer (an attestation is ~300).
	maxAttestationBytes = 16 << 10
)

// httpClient is Collect's: every request also ends with Collect's context.
var httpClient = &http.Client{Timeout: CollectDeadline}

// Collect asks every attester URL at once for its attestation of block number of domain,
// keeps the ones whose signature verifies under the committee member they claim to be, and
// returns them by member index as soon as they hold a quorum. Attesters that are down, slow
// past the deadline (the context's, at most CollectDeadline), unaware of the block, wrong, or
// that answer more than a few KiB are logged and skipped.
func Collect(ctx context.Context, urls []string, c committee.Committee, domain uint32, number uint64, hash common.Hash, log *slog.Logger) (map[int]*eddsa.Signature, error) {
	digest := committee.DigestNative(domain, number, hash)
	_, sigs, problems, ok := gather(ctx, urls, c, log, func(ctx context.Context, u string) (vote[struct{}, struct{}], error) {
		at, err := fetch(ctx, u, number)
		if err == nil && (at.Domain != domain || at.Number != number || at.Hash != hash) {
			err = fmt.Errorf("it attests block %d (%s) of domain %d", at.Number, at.Hash, at.Domain)
		}
		if err != nil {
			return vote[struct{}, struct{}]{}, err
		}
		return vote[struct{}, struct{}]{signer: at.Signer, digest: digest, sig: at.Signature}, nil
	})
	if !ok {
		return nil, fmt.Errorf("%w: block %d of domain %d signed by %d of %d members %v", ErrNoQuorum, number, domain, len(sigs), len(c), problems)
	}
	return sigs, nil
}

// vote is one attester's answer: member signer's signature of digest, for the group it backs
// (what it signed), with what the answer carries besides.
type vote[G comparable, P any] struct {
	group   G
	payload P
	signer  int
	digest  fr.Element
	sig     hexutil.Bytes
}

// gather asks every URL at once (ask fetches and checks one answer), checks each signature
// under the member it claims to be, and returns as soon as the signers backing one group hold
// a quorum of c: that group's payload and signatures by member index. Answers that fail are
// logged and listed in problems; ok is false when no group gathers a quorum (sigs are then
// the largest group's).
func gather[G comparable, P any](ctx context.Context, urls []string, c committee.Committee, log *slog.Logger,
	ask func(ctx context.Context, url string) (vote[G, P], error)) (payload P, sigs map[int]*eddsa.Signature, problems []string, ok bool) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, CollectDeadline)
	defer cancel()
	type answer struct {
		url string
		v   vote[G, P]
		sig *eddsa.Signature
		err error
	}
	answers := make(chan answer, len(urls))
	for _, u := range urls {
		go func() {
			v, err := ask(ctx, u)
			if err == nil && (v.signer < 0 || v.signer >= len(c)) {
				err = fmt.Errorf("signer %d is not a member", v.signer)
			}
			var sig eddsa.Signature
			if err == nil {
				if _, err = sig.SetBytes(v.sig); err == nil && !committee.Verify(&c[v.signer].PublicKey, v.digest, &sig) {
					err = fmt.Errorf("member %d's signature does not verify", v.signer)
				}
			}
			answers <- answer{url: u, v: v, sig: &sig, err: err}
		}()
	}
	type group struct {
		payload P
		sigs    map[int]*eddsa.Signature
		signed  []bool
	}
	groups := map[G]*group{}
	for range urls {
		a := <-answers
		if a.err != nil {
			log.Warn("attester skipped", "url", a.url, "err", a.err)
			problems = append(problems, fmt.Sprintf("%s: %v", a.url, a.err))
			continue
		}
		g := groups[a.v.group]
		if g == nil {
			g = &group{payload: a.v.payload, sigs: map[int]*eddsa.Signature{}, signed: make([]bool, len(c))}
			groups[a.v.group] = g
		}
		g.sigs[a.v.signer], g.signed[a.v.signer] = a.sig, true
		if c.HasQuorum(g.signed) {
			return g.payload, g.sigs, problems, true
		}
	}
	for _, g := range groups {
		if len(g.sigs) > len(sigs) {
			sigs = g.sigs
		}
	}
	return payload, sigs, problems, false
}

func fetch(ctx context.Context, base string, number uint64) (*Attestation, error) {
	var at Attestation
	if err := fetchJSON(ctx, fmt.Sprintf("%s/attestations/%d", base, number), &at); err != nil {
		return nil, err
	}
	return &at, nil
}

// fetchJSON reads an attester's answer of at most maxAttestationBytes into v.
func fetchJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAttestationBytes+1))
	if err != nil {
		return fmt.Errorf("read attestation: %w", err)
	}
	if len(body) > maxAttestationBytes {
		return fmt.Errorf("attestation larger than %d bytes", maxAttestationBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode attestation: %w", err)
	}
	return nil
}

// MemberFile is a committee member as a committee file lists it.
type MemberFile struct {
	PublicKey hexutil.Bytes `json:"publicKey"` // compressed, 32 bytes
	Weight    uint64        `json:"weight"`
}

// EncodeCommittee is the committee file of c.
func EncodeCommittee(c committee.Committee) ([]byte, error) {
	return json.MarshalIndent(EncodeMembers(c), "", "  ")
}

// DecodeCommittee reads a committee file.
func DecodeCommittee(data []byte) (committee.Committee, error) {
	var ms []MemberFile
	if err := json.Unmarshal(data, &ms); err != nil {
		return nil, fmt.Errorf("committee file: %w", err)
	}
	return decodeMembers(ms)
}

func decodeMembers(ms []MemberFile) (committee.Committee, error) {
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
