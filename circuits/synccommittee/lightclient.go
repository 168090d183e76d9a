package synccommittee

import (
	"errors"
	"fmt"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/ethereum/go-ethereum/common"
)

// Fork is a fork of the beacon chain from the epoch it activates.
type Fork struct {
	Name    string
	Epoch   uint64
	Version [4]byte
}

// Config is a beacon chain's light-client parameters.
type Config struct {
	GenesisValidatorsRoot common.Hash
	Forks                 []Fork // in activation order; the light client starts at Capella
	CommitteeSize         int    // SYNC_COMMITTEE_SIZE: 512 on mainnet
	SlotsPerEpoch         uint64 // 32
	EpochsPerPeriod       uint64 // EPOCHS_PER_SYNC_COMMITTEE_PERIOD: 256
}

// Mainnet is Ethereum mainnet's configuration (consensus-specs configs/mainnet.yaml).
func Mainnet() Config {
	return Config{
		GenesisValidatorsRoot: common.HexToHash("0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"),
		Forks: []Fork{
			{"altair", 74240, [4]byte{1, 0, 0, 0}},
			{"bellatrix", 144896, [4]byte{2, 0, 0, 0}},
			{"capella", 194048, [4]byte{3, 0, 0, 0}},
			{"deneb", 269568, [4]byte{4, 0, 0, 0}},
			{"electra", 364032, [4]byte{5, 0, 0, 0}},
			{"fulu", 411392, [4]byte{6, 0, 0, 0}},
		},
		CommitteeSize: 512, SlotsPerEpoch: 32, EpochsPerPeriod: 256,
	}
}

// DomainSyncCommittee is DOMAIN_SYNC_COMMITTEE.
var DomainSyncCommittee = [4]byte{7, 0, 0, 0}

// SignatureDST is the domain separation tag of Ethereum's BLS signatures (proof of
// possession scheme, hash to G2 with SSWU).
const SignatureDST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"

// Generalized indices of the light client's branches (consensus-specs altair and electra
// light-client/sync-protocol.md; Capella adds the execution payload's). Electra's
// BeaconState has more than 32 fields, so its branches are one level deeper.
const (
	ExecutionPayloadGindex     = 25
	FinalizedRootGindex        = 105
	CurrentSyncCommitteeGindex = 54
	NextSyncCommitteeGindex    = 55
	FinalizedRootGindexElectra = 169
	CurrentCommitteeGindexEl   = 86
	NextSyncCommitteeGindexEl  = 87
)

var (
	// ErrFork is returned for a header of a fork the light client does not take.
	ErrFork = errors.New("unsupported fork")
	// ErrSignature is returned for a sync aggregate whose signature does not verify.
	ErrSignature = errors.New("sync committee signature does not verify")
	// ErrUpdate is returned for an update the light client's rules refuse.
	ErrUpdate = errors.New("light-client update refused")
)

// Epoch is the epoch of a slot.
func (c *Config) Epoch(slot uint64) uint64 { return slot / c.SlotsPerEpoch }

// Period is the sync-committee period of a slot.
func (c *Config) Period(slot uint64) uint64 { return c.Epoch(slot) / c.EpochsPerPeriod }

// ForkAt is the fork active at an epoch.
func (c *Config) ForkAt(epoch uint64) Fork {
	f := Fork{Name: "phase0"}
	for _, x := range c.Forks {
		if epoch >= x.Epoch {
			f = x
		}
	}
	return f
}

func (c *Config) atLeast(slot uint64, name string) bool {
	for _, x := range c.Forks {
		if x.Name == name {
			return c.Epoch(slot) >= x.Epoch
		}
	}
	return false
}

// gindices are the branches' generalized indices in the state of a slot's fork.
func (c *Config) gindices(slot uint64) (finalized, current, next uint64) {
	if c.atLeast(slot, "electra") {
		return FinalizedRootGindexElectra, CurrentCommitteeGindexEl, NextSyncCommitteeGindexEl
	}
	return FinalizedRootGindex, CurrentSyncCommitteeGindex, NextSyncCommitteeGindex
}

// VerifyHeader checks a light-client header: its execution payload header is the one its
// beacon body holds (is_valid_light_client_header, Capella and later), with the blob fields
// from Deneb on. It returns the beacon header's root.
func (c *Config) VerifyHeader(h *LightClientHeader) ([32]byte, error) {
	beacon := h.Beacon.Header()
	if !c.atLeast(beacon.Slot, "capella") {
		return [32]byte{}, fmt.Errorf("%w: slot %d is before Capella (no execution payload header)", ErrFork, beacon.Slot)
	}
	exec, err := h.Execution.Header()
	if err != nil {
		return [32]byte{}, err
	}
	if deneb := c.atLeast(beacon.Slot, "deneb"); exec.Blobs != deneb {
		return [32]byte{}, fmt.Errorf("%w: execution payload header of slot %d with blob fields %v (Deneb: %v)", ErrFork, beacon.Slot, exec.Blobs, deneb)
	}
	root, err := exec.Root()
	if err != nil {
		return [32]byte{}, err
	}
	if err := VerifyBranch(root, h.ExecutionBranch, ExecutionPayloadGindex, beacon.BodyRoot); err != nil {
		return [32]byte{}, fmt.Errorf("execution payload of slot %d: %w", beacon.Slot, err)
	}
	return beacon.Root(), nil
}

// Committee is a sync committee: its members' public keys in order, their aggregate, and
// its SSZ root.
type Committee struct {
	Pubkeys   [][48]byte
	Aggregate [48]byte
	Root      [32]byte
	points    []bls12381.G1Affine
}

// NewCommittee decodes a committee's keys (each on the curve, in the group, not the
// identity) and checks that their aggregate is the sum of the keys.
func (c *Config) NewCommittee(j *SyncCommitteeJSON) (*Committee, error) {
	pubkeys, aggregate, err := j.Keys()
	if err != nil {
		return nil, err
	}
	if len(pubkeys) != c.CommitteeSize {
		return nil, fmt.Errorf("%w: a committee of %d keys, want %d", ErrField, len(pubkeys), c.CommitteeSize)
	}
	com := &Committee{Pubkeys: pubkeys, Aggregate: aggregate, Root: CommitteeRoot(pubkeys, aggregate), points: make([]bls12381.G1Affine, len(pubkeys))}
	var sum bls12381.G1Jac
	for i := range pubkeys {
		if com.points[i], err = decodeKey(pubkeys[i]); err != nil {
			return nil, fmt.Errorf("public key %d: %w", i, err)
		}
		sum.AddMixed(&com.points[i])
	}
	agg, err := decodeKey(aggregate)
	if err != nil {
		return nil, fmt.Errorf("aggregate public key: %w", err)
	}
	var got bls12381.G1Affine
	got.FromJacobian(&sum)
	if !got.Equal(&agg) {
		return nil, fmt.Errorf("%w: the aggregate public key is not the sum of the keys", ErrField)
	}
	return com, nil
}

func decodeKey(b [48]byte) (bls12381.G1Affine, error) {
	var p bls12381.G1Affine
	if _, err := p.SetBytes(b[:]); err != nil { // checks the curve and the subgroup
		return p, fmt.Errorf("%w: %v", ErrField, err)
	}
	if p.IsInfinity() {
		return p, fmt.Errorf("%w: the identity is not a public key", ErrField)
	}
	return p, nil
}

// VerifySignature checks a sync aggregate over a beacon header root signed at signatureSlot
// by committee: the participants' keys aggregated, the signing root under the fork of the
// slot before the signature's, FastAggregateVerify.
func (c *Config) VerifySignature(com *Committee, agg *SyncAggregate, attestedRoot [32]byte, signatureSlot uint64) error {
	if len(agg.Bits) != (c.CommitteeSize+7)/8 {
		return fmt.Errorf("%w: %d bytes of participation bits for a committee of %d", ErrField, len(agg.Bits), c.CommitteeSize)
	}
	if err := com.verifyAggregate(agg, c.SyncSigningRoot(attestedRoot, signatureSlot)); err != nil {
		return fmt.Errorf("%w (attested root %x, fork %s)", err, attestedRoot, c.signatureFork(signatureSlot).Name)
	}
	return nil
}

// signatureFork is the fork whose version a sync aggregate signed at signatureSlot uses: the
// fork of the slot before.
func (c *Config) signatureFork(signatureSlot uint64) Fork {
	return c.ForkAt(c.Epoch(max(signatureSlot, 1) - 1))
}

// SyncSigningRoot is the root a sync committee signs, at signatureSlot, for an attested header
// root: under DOMAIN_SYNC_COMMITTEE, the fork of the slot before the signature's, and the
// genesis validators root.
func (c *Config) SyncSigningRoot(attestedRoot [32]byte, signatureSlot uint64) [32]byte {
	return SigningRoot(attestedRoot, DomainSyncCommittee, c.signatureFork(signatureSlot).Version, c.GenesisValidatorsRoot)
}

// verifyAggregate is FastAggregateVerify of the participants' keys over a signing root.
func (com *Committee) verifyAggregate(agg *SyncAggregate, msg [32]byte) error {
	var sum bls12381.G1Jac
	n := 0
	for i := range com.points {
		if agg.Participant(i) {
			sum.AddMixed(&com.points[i])
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: no participant", ErrUpdate)
	}
	var pk bls12381.G1Affine
	pk.FromJacobian(&sum)
	if len(agg.Signature) != 96 {
		return fmt.Errorf("%w: a signature of %d bytes", ErrField, len(agg.Signature))
	}
	var sig bls12381.G2Affine
	if _, err := sig.SetBytes(agg.Signature); err != nil {
		return fmt.Errorf("%w: signature: %v", ErrSignature, err)
	}
	h, err := bls12381.HashToG2(msg[:], []byte(SignatureDST))
	if err != nil {
		return err
	}
	_, _, g1, _ := bls12381.Generators()
	var negG1 bls12381.G1Affine
	negG1.Neg(&g1)
	ok, err := bls12381.PairingCheck([]bls12381.G1Affine{pk, negG1}, []bls12381.G2Affine{h, sig})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %d participants", ErrSignature, n)
	}
	return nil
}

// Store is a light client's store (the spec's LightClientStore, without the best-update and
// optimistic bookkeeping): the newest finalized header and the committees of its period and
// of the next one, once known.
type Store struct {
	Config    Config
	Finalized BeaconBlockHeader
	Execution ExecutionPayloadHeader // of the finalized header
	Current   *Committee
	Next      *Committee // nil until an update gives it
}

// NewStore starts a light client from a bootstrap whose header root is trustedRoot (a
// checkpoint the operator trusts): the header and its execution payload, the current
// committee by branch from its state.
func NewStore(cfg Config, b *Bootstrap, trustedRoot common.Hash) (*Store, error) {
	root, err := cfg.VerifyHeader(&b.Header)
	if err != nil {
		return nil, err
	}
	if root != trustedRoot {
		return nil, fmt.Errorf("%w: the bootstrap's header root is %x, the trusted one %s", ErrUpdate, root, trustedRoot)
	}
	com, err := cfg.NewCommittee(&b.CurrentSyncCommittee)
	if err != nil {
		return nil, err
	}
	beacon := b.Header.Beacon.Header()
	_, current, _ := cfg.gindices(beacon.Slot)
	if err := VerifyBranch(com.Root, b.CurrentSyncCommitteeBranch, current, beacon.StateRoot); err != nil {
		return nil, fmt.Errorf("current sync committee: %w", err)
	}
	exec, _ := b.Header.Execution.Header()
	return &Store{Config: cfg, Finalized: beacon, Execution: exec, Current: com}, nil
}

// Verified is what an update proves once validated: its attested header, its finalized
// header with its execution payload (nil for an optimistic update), the next committee
// (nil if the update carries none), and how many members signed.
type Verified struct {
	Attested      BeaconBlockHeader
	Finalized     *BeaconBlockHeader
	Execution     *ExecutionPayloadHeader
	Next          *Committee
	Participants  int
	SignatureSlot uint64
	// Applied is whether Apply changed the store: a valid update that finalizes nothing newer
	// and brings no committee the store lacks changes nothing (process_light_client_update).
	Applied bool
}

// Validate applies validate_light_client_update: the slots in order, the signature period
// the store's or (with its next committee known) the one after, every branch, and the
// signature of the period's committee. currentSlot is the clock's slot.
func (s *Store) Validate(u *Update, currentSlot uint64) (*Verified, error) {
	cfg := &s.Config
	attested := u.AttestedHeader.Beacon.Header()
	sigSlot := uint64(u.SignatureSlot)
	v := &Verified{Attested: attested, SignatureSlot: sigSlot, Participants: u.SyncAggregate.Participants()}
	if v.Participants < 1 {
		return nil, fmt.Errorf("%w: no participant", ErrUpdate)
	}
	finalizedSlot := uint64(0)
	if u.FinalizedHeader != nil {
		finalizedSlot = uint64(u.FinalizedHeader.Beacon.Slot)
	}
	if !(currentSlot >= sigSlot && sigSlot > attested.Slot && attested.Slot >= finalizedSlot) {
		return nil, fmt.Errorf("%w: slots out of order: current %d, signature %d, attested %d, finalized %d", ErrUpdate, currentSlot, sigSlot, attested.Slot, finalizedSlot)
	}
	storePeriod, sigPeriod := cfg.Period(s.Finalized.Slot), cfg.Period(sigSlot)
	if s.Next == nil && sigPeriod != storePeriod {
		return nil, fmt.Errorf("%w: signed in period %d; the store knows period %d's committee only", ErrUpdate, sigPeriod, storePeriod)
	}
	if s.Next != nil && sigPeriod != storePeriod && sigPeriod != storePeriod+1 {
		return nil, fmt.Errorf("%w: signed in period %d; the store knows periods %d and %d", ErrUpdate, sigPeriod, storePeriod, storePeriod+1)
	}
	hasNext := s.Next == nil && u.NextSyncCommittee != nil && u.FinalizedHeader != nil &&
		cfg.Period(finalizedSlot) == cfg.Period(attested.Slot)
	if !(attested.Slot > s.Finalized.Slot || hasNext) {
		return nil, fmt.Errorf("%w: attested slot %d is not past the finalized %d and brings no committee", ErrUpdate, attested.Slot, s.Finalized.Slot)
	}
	attestedRoot, err := cfg.VerifyHeader(&u.AttestedHeader)
	if err != nil {
		return nil, fmt.Errorf("attested header: %w", err)
	}
	finalizedGindex, _, nextGindex := cfg.gindices(attested.Slot)
	if u.FinalizedHeader != nil {
		fin := u.FinalizedHeader.Beacon.Header()
		var root [32]byte
		if fin.Slot != 0 || u.FinalizedHeader.Beacon.BodyRoot != (common.Hash{}) {
			if root, err = cfg.VerifyHeader(u.FinalizedHeader); err != nil {
				return nil, fmt.Errorf("finalized header: %w", err)
			}
		}
		if err := VerifyBranch(root, u.FinalityBranch, finalizedGindex, attested.StateRoot); err != nil {
			return nil, fmt.Errorf("finalized header: %w", err)
		}
		exec, _ := u.FinalizedHeader.Execution.Header()
		v.Finalized, v.Execution = &fin, &exec
	}
	if u.NextSyncCommittee != nil {
		next, err := cfg.NewCommittee(u.NextSyncCommittee)
		if err != nil {
			return nil, fmt.Errorf("next sync committee: %w", err)
		}
		if s.Next != nil && cfg.Period(attested.Slot) == storePeriod && next.Root != s.Next.Root {
			return nil, fmt.Errorf("%w: a next committee other than the one known for period %d", ErrUpdate, storePeriod+1)
		}
		if err := VerifyBranch(next.Root, u.NextSyncCommitteeBranch, nextGindex, attested.StateRoot); err != nil {
			return nil, fmt.Errorf("next sync committee: %w", err)
		}
		v.Next = next
	}
	com := s.Current
	if sigPeriod != storePeriod {
		com = s.Next
	}
	if err := cfg.VerifySignature(com, &u.SyncAggregate, attestedRoot, sigSlot); err != nil {
		return nil, err
	}
	return v, nil
}

// Supermajority reports whether participants of a committee of size are enough for the
// light client to apply an update: at least two thirds (process_light_client_update).
func Supermajority(participants, size int) bool { return 3*participants >= 2*size }

// Apply validates an update and, signed by a supermajority and finalizing a newer header or
// bringing the next committee, applies it (apply_light_client_update): learns the next
// committee, moves to the next period's committees when the finalized header crosses into
// it, and takes the newer finalized header. It returns what the update proved. A valid
// finality update that finalizes no newer header and brings no committee the store lacks
// changes nothing and is no error (Verified.Applied is false): nodes serve such updates
// early in an epoch, and a relay must not read them as invalid.
func (s *Store) Apply(u *Update, currentSlot uint64) (*Verified, error) {
	v, err := s.Validate(u, currentSlot)
	if err != nil {
		return nil, err
	}
	if !Supermajority(v.Participants, s.Config.CommitteeSize) {
		return nil, fmt.Errorf("%w: %d of %d members signed, fewer than two thirds", ErrUpdate, v.Participants, s.Config.CommitteeSize)
	}
	if v.Finalized == nil {
		return nil, fmt.Errorf("%w: no finalized header", ErrUpdate)
	}
	cfg := &s.Config
	hasNext := s.Next == nil && v.Next != nil && cfg.Period(v.Finalized.Slot) == cfg.Period(v.Attested.Slot)
	if !(v.Finalized.Slot > s.Finalized.Slot || hasNext) {
		return v, nil // valid, and nothing new: the spec applies nothing
	}
	storePeriod, finPeriod := cfg.Period(s.Finalized.Slot), cfg.Period(v.Finalized.Slot)
	switch {
	case s.Next == nil:
		if finPeriod != storePeriod {
			return nil, fmt.Errorf("%w: finalizes period %d before the store knows period %d's successor", ErrUpdate, finPeriod, storePeriod)
		}
		s.Next = v.Next
	case finPeriod == storePeriod+1:
		s.Current, s.Next = s.Next, v.Next
	}
	if v.Finalized.Slot > s.Finalized.Slot {
		s.Finalized, s.Execution = *v.Finalized, *v.Execution
	}
	v.Applied = true
	return v, nil
}

// ForkRules is what a proof of an update checks of the fork it falls in, for a verifier that
// fixes them at compile time: the fork's epochs, its signing domain, the finality branch's
// index in its state, the next committee's, whether its payload headers carry the blob
// fields, and the chain's slots per epoch and per period (powers of two, as in-circuit
// division takes them).
type ForkRules struct {
	Fork                                Fork
	Until                               uint64 // the next fork's epoch; 0 when none follows
	Domain                              [32]byte
	FinalityGindex, NextCommitteeGindex uint64
	Blobs                               bool
	SlotsPerEpoch, SlotsPerPeriod       uint64
}

// Rules are the rules of the fork named name: an update whose signature slot, attested and
// finalized slots fall in it is proven under them.
func (c *Config) Rules(name string) (ForkRules, error) {
	isPow2 := func(n uint64) bool { return n > 0 && n&(n-1) == 0 }
	if !isPow2(c.SlotsPerEpoch) || !isPow2(c.EpochsPerPeriod) {
		return ForkRules{}, fmt.Errorf("%w: %d slots an epoch and %d epochs a period, want powers of two", ErrFork, c.SlotsPerEpoch, c.EpochsPerPeriod)
	}
	for i, f := range c.Forks {
		if f.Name != name {
			continue
		}
		r := ForkRules{Fork: f, Domain: Domain(DomainSyncCommittee, f.Version, c.GenesisValidatorsRoot),
			SlotsPerEpoch: c.SlotsPerEpoch, SlotsPerPeriod: c.SlotsPerEpoch * c.EpochsPerPeriod}
		if i+1 < len(c.Forks) {
			r.Until = c.Forks[i+1].Epoch
		}
		first := f.Epoch * c.SlotsPerEpoch
		r.FinalityGindex, _, r.NextCommitteeGindex = c.gindices(first)
		r.Blobs = c.atLeast(first, "deneb")
		return r, nil
	}
	return ForkRules{}, fmt.Errorf("%w: no fork %q", ErrFork, name)
}

// Current is the name of the fork at slot.
func (c *Config) Current(slot uint64) string { return c.ForkAt(c.Epoch(slot)).Name }

// VerifyUpdate checks an update as the light client would, signed by com, the committee of
// period, whatever a store has reached since: Validate for a store that knows only com at
// the start of period, a supermajority of signers, and a finalized header. A relay proving a
// block under a verifier that trusts an earlier period than its own light client uses it.
func (c *Config) VerifyUpdate(com *Committee, period uint64, u *Update, currentSlot uint64) (*Verified, error) {
	s := &Store{Config: *c, Current: com}
	s.Finalized.Slot = period * c.SlotsPerEpoch * c.EpochsPerPeriod
	v, err := s.Validate(u, currentSlot)
	if err != nil {
		return nil, err
	}
	if !Supermajority(v.Participants, c.CommitteeSize) {
		return nil, fmt.Errorf("%w: %d of %d members signed, fewer than two thirds", ErrUpdate, v.Participants, c.CommitteeSize)
	}
	if v.Finalized == nil {
		return nil, fmt.Errorf("%w: no finalized header", ErrUpdate)
	}
	return v, nil
}
