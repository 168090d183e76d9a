package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Rotation is a committee hand-over: the claim the current committee signs, and the members
// of the next committee (whose commitment is Claim.NextCommittee), for provers to check the
// next epoch's header signatures against.
type Rotation struct {
	Claim protocol.RotationClaim
	Next  committee.Committee
}

// RotationAttestation is one attester's signature of a hand-over, as it serves it.
type RotationAttestation struct {
	Claim     protocol.RotationClaim `json:"claim"`
	Next      []MemberFile           `json:"next"`
	Signer    int                    `json:"signer"`
	Signature hexutil.Bytes          `json:"signature"`
}

// SignedRotation is the last hand-over an attester signed, as its state file keeps it: it
// signs no other for that epoch, nor one for an earlier epoch.
type SignedRotation struct {
	NextEpoch     uint64      `json:"nextEpoch"`
	NextCommittee common.Hash `json:"nextCommittee"`
}

// Refusals of a hand-over.
var (
	ErrRotation         = errors.New("attest: not a hand-over this member can sign")
	ErrRotationConflict = errors.New("attest: another hand-over signed for this epoch or a later one")
)

// SignRotation signs the hand-over r, whose current committee is current (this member at its
// index among them), and serves it at GET /rotations/{nextEpoch}. It refuses a hand-over of
// another domain, one whose members are not its commitment, and one that conflicts with the
// hand-over signed before (the state file keeps it): a member never signs two successors for
// one epoch.
func (a *Attester) SignRotation(current committee.Committee, r Rotation) error {
	if err := a.load(); err != nil {
		return err
	}
	c := r.Claim
	switch {
	case c.SrcDomain != a.Domain:
		return fmt.Errorf("%w: a hand-over of domain %d, this attester's is %d", ErrRotation, c.SrcDomain, a.Domain)
	case c.NextEpoch == 0:
		return fmt.Errorf("%w: epoch 0 is no hand-over", ErrRotation)
	case current.CommitmentHash() != c.Committee:
		return fmt.Errorf("%w: the claim names committee %s, the current one is %s", ErrRotation, c.Committee, current.CommitmentHash())
	case a.Index < 0 || a.Index >= len(current) || !current[a.Index].PublicKey.Equal(&a.Key.PublicKey):
		return fmt.Errorf("%w: this key is not member %d of the current committee", ErrRotation, a.Index)
	case r.Next.CommitmentHash() != c.NextCommittee:
		return fmt.Errorf("%w: the next members' commitment is %s, the claim's %s", ErrRotation, r.Next.CommitmentHash(), c.NextCommittee)
	}
	next := EncodeMembers(r.Next)
	st := Signed{Domain: a.Domain, Signer: a.Index}
	if last := a.LastSigned(); last != nil {
		st = *last
		if p := last.Rotation; p != nil && (p.NextEpoch > c.NextEpoch || (p.NextEpoch == c.NextEpoch && p.NextCommittee != c.NextCommittee)) {
			return fmt.Errorf("%w: signed before: %s as epoch %d", ErrRotationConflict, p.NextCommittee, p.NextEpoch)
		}
	}
	sig, err := committee.Sign(a.Key, committee.RotationDigestNative(c.SrcDomain, c.NextEpoch, c.NextCommittee))
	if err != nil {
		return err
	}
	st.Rotation = &SignedRotation{NextEpoch: c.NextEpoch, NextCommittee: c.NextCommittee}
	if a.StateFile != "" {
		if err := fileio.WriteJSON(a.StateFile, st); err != nil {
			return fmt.Errorf("attest: state: %w", err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = &st
	a.rotation = &RotationAttestation{Claim: c, Next: next, Signer: a.Index, Signature: sig.Bytes()}
	if a.Log != nil {
		a.Log.Info("hand-over signed", "domain", c.SrcDomain, "epoch", c.NextEpoch, "next", c.NextCommittee)
	}
	return nil
}

func (a *Attester) serveRotation(w http.ResponseWriter, r *http.Request) {
	epoch, err := strconv.ParseUint(r.PathValue("epoch"), 10, 64)
	if err != nil {
		http.Error(w, "epoch: "+err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.rotation == nil || a.rotation.Claim.NextEpoch != epoch {
		http.Error(w, fmt.Sprintf("no hand-over to epoch %d signed", epoch), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a.rotation)
}

// CollectRotation asks every attester URL at once for its signature of the hand-over of
// domain to epoch nextEpoch, keeps the ones that verify under the current committee c, and
// returns, as soon as members holding a quorum signed one same successor, that hand-over
// with their signatures by member index. Answers that do not check are logged and skipped,
// as Collect does; ErrNoQuorum when no successor gathers a quorum.
func CollectRotation(ctx context.Context, urls []string, c committee.Committee, domain uint32, nextEpoch uint64, log *slog.Logger) (*Rotation, map[int]*eddsa.Signature, error) {
	type v = vote[common.Hash, *Rotation]
	rot, sigs, problems, ok := gather(ctx, urls, c, log, func(ctx context.Context, u string) (v, error) {
		var at RotationAttestation
		if err := fetchJSON(ctx, fmt.Sprintf("%s/rotations/%d", u, nextEpoch), &at); err != nil {
			return v{}, err
		}
		cl := at.Claim
		if cl.SrcDomain != domain || cl.NextEpoch != nextEpoch || cl.Committee != c.CommitmentHash() {
			return v{}, fmt.Errorf("it signed the hand-over of domain %d to epoch %d from committee %s", cl.SrcDomain, cl.NextEpoch, cl.Committee)
		}
		next, err := decodeMembers(at.Next)
		if err == nil && next.CommitmentHash() != cl.NextCommittee {
			err = fmt.Errorf("the members it serves are committee %s, not the claim's %s", next.CommitmentHash(), cl.NextCommittee)
		}
		if err != nil {
			return v{}, err
		}
		return v{group: cl.NextCommittee, payload: &Rotation{Claim: cl, Next: next}, signer: at.Signer,
			digest: committee.RotationDigestNative(domain, nextEpoch, cl.NextCommittee), sig: at.Signature}, nil
	})
	if !ok {
		return nil, nil, fmt.Errorf("%w: no successor of domain %d's committee for epoch %d signed by a quorum (the most: %d of %d members) %v",
			ErrNoQuorum, domain, nextEpoch, len(sigs), len(c), problems)
	}
	return rot, sigs, nil
}

// EncodeMembers lists a committee's members as a committee file does.
func EncodeMembers(c committee.Committee) []MemberFile {
	out := make([]MemberFile, len(c))
	for i, m := range c {
		out[i] = MemberFile{PublicKey: m.PublicKey.Bytes(), Weight: m.Weight}
	}
	return out
}
