package synccommittee

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"

	"github.com/isthmus-xyz/isthmus/circuits/internal/assigned"
)

// FinalizedHeaderCircuit proves a beacon header's root with its slot, and its execution
// payload header's root by the body's branch (ExecutionPayloadGindex), all public: the
// slot decides the payload header's shape (Deneb's blob fields) and the finality rules; the
// root links it to the finality branch, the payload root to PayloadCircuit.
//
// R1CS constraints: 818,407 (ten SHA-256 of 64 bytes: four for the body's branch, six for
// the header).
type FinalizedHeaderCircuit struct {
	RootHi, RootLo       frontend.Variable `gnark:",public"`
	Slot                 frontend.Variable `gnark:",public"`
	PayloadHi, PayloadLo frontend.Variable `gnark:",public"`
	ProposerIndex        frontend.Variable
	ParentRoot           [32]uints.U8
	StateRoot            [32]uints.U8
	ExecutionBranch      [4][32]uints.U8
}

// Define is gnark's.
func (c *FinalizedHeaderCircuit) Define(api frontend.API) error {
	body, err := walkBranch(api, halvesToBytes(api, c.PayloadHi, c.PayloadLo), c.ExecutionBranch[:], ExecutionPayloadGindex)
	if err != nil {
		return err
	}
	root, err := beaconHeaderRoot(api, uint64LE(api, c.Slot), uint64LE(api, c.ProposerIndex), c.ParentRoot[:], c.StateRoot[:], body)
	if err != nil {
		return err
	}
	return assertRoot(api, root, c.RootHi, c.RootLo)
}

// beaconHeaderRoot is a BeaconBlockHeader's hash_tree_root from its five leaves (eight with
// the zero padding; the pair of zero leaves hashes to a constant).
func beaconHeaderRoot(api frontend.API, slot, proposer, parent, state, body []uints.U8) ([]uints.U8, error) {
	l1a, err := sha256Pair(api, slot, proposer)
	if err != nil {
		return nil, err
	}
	l1b, err := sha256Pair(api, parent, state)
	if err != nil {
		return nil, err
	}
	l1c, err := sha256Pair(api, body, constBytes(zeroHashes[0][:]))
	if err != nil {
		return nil, err
	}
	l2a, err := sha256Pair(api, l1a, l1b)
	if err != nil {
		return nil, err
	}
	l2b, err := sha256Pair(api, l1c, constBytes(zeroHashes[1][:]))
	if err != nil {
		return nil, err
	}
	return sha256Pair(api, l2a, l2b)
}

// AssignFinalizedHeader is the circuit's assignment for a light-client header.
func AssignFinalizedHeader(h *LightClientHeader) (*FinalizedHeaderCircuit, error) {
	if len(h.ExecutionBranch) != 4 {
		return nil, fmt.Errorf("%w: an execution branch of %d nodes", ErrBranch, len(h.ExecutionBranch))
	}
	exec, err := h.Execution.Header()
	if err != nil {
		return nil, err
	}
	payload, err := exec.Root()
	if err != nil {
		return nil, err
	}
	b := h.Beacon.Header()
	c := &FinalizedHeaderCircuit{Slot: b.Slot, ProposerIndex: b.ProposerIndex}
	c.RootHi, c.RootLo = halves(b.Root())
	c.PayloadHi, c.PayloadLo = halves(payload)
	copy(c.ParentRoot[:], constBytes(b.ParentRoot[:]))
	copy(c.StateRoot[:], constBytes(b.StateRoot[:]))
	for i := range c.ExecutionBranch {
		copy(c.ExecutionBranch[i][:], constBytes(h.ExecutionBranch[i][:]))
	}
	return c, nil
}

// Step is the assignment of every piece that proves an update's finalized execution payload
// under the committee's signature, and what the aggregation checks between them (Links).
type Step struct {
	Signature     *SignatureCircuit       // the committee signed the signing root
	Header        *HeaderCircuit          // the attested header's signing root, slot and state root
	Finality      *BranchCircuit          // the finalized header's root under the attested state
	Finalized     *FinalizedHeaderCircuit // its slot and payload header root
	Payload       *PayloadCircuit         // the payload's number, hash, state and receipts roots
	SignatureSlot uint64
}

// StepProof assigns the pieces for update u signed by committee com: an update with a
// finalized header, which the light client's rules accept (Store.Validate).
func StepProof(cfg Config, com *Committee, u *Update) (*Step, error) {
	if u.FinalizedHeader == nil {
		return nil, fmt.Errorf("%w: no finalized header", ErrUpdate)
	}
	attested := u.AttestedHeader.Beacon.Header()
	sigSlot := uint64(u.SignatureSlot)
	version := cfg.ForkAt(cfg.Epoch(max(sigSlot, 1) - 1)).Version
	domain := Domain(DomainSyncCommittee, version, cfg.GenesisValidatorsRoot)
	s := &Step{SignatureSlot: sigSlot}
	var err error
	if s.Signature, err = AssignSignature(com, cfg.Period(sigSlot), &u.SyncAggregate, SigningRoot(attested.Root(), DomainSyncCommittee, version, cfg.GenesisValidatorsRoot)); err != nil {
		return nil, err
	}
	if s.Header, err = AssignHeader(&attested, domain); err != nil {
		return nil, err
	}
	finalized := u.FinalizedHeader.Beacon.Header()
	gindex, _, _ := cfg.gindices(attested.Slot)
	if s.Finality, err = AssignBranch(gindex, finalized.Root(), attested.StateRoot, u.FinalityBranch); err != nil {
		return nil, err
	}
	if s.Finalized, err = AssignFinalizedHeader(u.FinalizedHeader); err != nil {
		return nil, err
	}
	exec, err := u.FinalizedHeader.Execution.Header()
	if err != nil {
		return nil, err
	}
	if s.Payload, err = AssignPayload(&exec); err != nil {
		return nil, err
	}
	return s, nil
}

// Links checks what the aggregation checks between a step's pieces, with the commitment of
// the committee the verifier trusts for the signature slot's period: the signature by that
// committee over the attested header's signing root, under the domain of the fork before
// the signature slot, signed after the attested slot and in the committee's period; the
// finality branch at the attested slot's fork's index from the attested state to the
// finalized header, not after the attested one; that header's payload root is the payload
// circuit's, of the shape of the finalized slot's fork.
func (s *Step) Links(cfg Config, commitment fr.Element, period uint64) error {
	eq := assigned.Equal
	pair := func(ah, al, bh, bl frontend.Variable) bool { return eq(ah, bh) && eq(al, bl) }
	attested := toBig(s.Header.Slot).Uint64()
	finalized := toBig(s.Finalized.Slot).Uint64()
	version := cfg.ForkAt(cfg.Epoch(max(s.SignatureSlot, 1) - 1)).Version
	dhi, dlo := halves(Domain(DomainSyncCommittee, version, cfg.GenesisValidatorsRoot))
	gindex, _, _ := cfg.gindices(attested)
	switch {
	case !eq(s.Signature.Commitment, commitment.BigInt(new(big.Int))) || !eq(s.Signature.Period, period):
		return fmt.Errorf("%w: the signature is not by the committee of period %d", ErrUpdate, period)
	case cfg.Period(s.SignatureSlot) != period:
		return fmt.Errorf("%w: signature slot %d is not in period %d", ErrUpdate, s.SignatureSlot, period)
	case !pair(s.Signature.RootHi, s.Signature.RootLo, s.Header.RootHi, s.Header.RootLo):
		return fmt.Errorf("%w: the signature is over another signing root than the attested header's", ErrUpdate)
	case !pair(s.Header.DomainHi, s.Header.DomainLo, dhi, dlo):
		return fmt.Errorf("%w: the signing root's domain is not the fork's at signature slot %d", ErrUpdate, s.SignatureSlot)
	case s.SignatureSlot <= attested:
		return fmt.Errorf("%w: signature slot %d not after attested slot %d", ErrUpdate, s.SignatureSlot, attested)
	case s.Finality.gindex != gindex:
		return fmt.Errorf("%w: a finality branch at generalized index %d, the fork at slot %d has %d", ErrUpdate, s.Finality.gindex, attested, gindex)
	case !pair(s.Finality.RootHi, s.Finality.RootLo, s.Header.StateHi, s.Header.StateLo):
		return fmt.Errorf("%w: the finality branch is not under the attested state", ErrUpdate)
	case !pair(s.Finality.LeafHi, s.Finality.LeafLo, s.Finalized.RootHi, s.Finalized.RootLo):
		return fmt.Errorf("%w: the finalized header is not the finality branch's", ErrUpdate)
	case finalized > attested:
		return fmt.Errorf("%w: finalized slot %d after attested slot %d", ErrUpdate, finalized, attested)
	case s.Payload.blobs != cfg.atLeast(finalized, "deneb"):
		return fmt.Errorf("%w: a payload header with blob fields %v at slot %d", ErrUpdate, s.Payload.blobs, finalized)
	case !pair(s.Payload.RootHi, s.Payload.RootLo, s.Finalized.PayloadHi, s.Finalized.PayloadLo):
		return fmt.Errorf("%w: the payload is not the finalized header's", ErrUpdate)
	}
	return nil
}

// RotationLinks checks what the aggregation checks between a step and the rotation it
// carries, as the light client takes a next committee (apply_light_client_update, the next
// committee not yet known): the update signed in period, its attested and finalized headers
// in period too, and the rotation's committee at the next-committee index of the attested
// slot's fork under the attested state.
func (s *Step) RotationLinks(cfg Config, r *Rotation, period uint64) error {
	attested := toBig(s.Header.Slot).Uint64()
	finalized := toBig(s.Finalized.Slot).Uint64()
	_, _, gindex := cfg.gindices(attested)
	switch {
	case cfg.Period(attested) != period || cfg.Period(finalized) != period:
		return fmt.Errorf("%w: attested slot %d and finalized slot %d are not both in period %d", ErrUpdate, attested, finalized, period)
	case r.Root.gindex != gindex:
		return fmt.Errorf("%w: a next committee at generalized index %d, the fork at slot %d has %d", ErrUpdate, r.Root.gindex, attested, gindex)
	case toBig(r.Root.StateHi).Cmp(toBig(s.Header.StateHi)) != 0 || toBig(r.Root.StateLo).Cmp(toBig(s.Header.StateLo)) != 0:
		return fmt.Errorf("%w: the next committee is not under the attested state", ErrUpdate)
	}
	return nil
}

// SignedUpdate is what proves a block final under Ethereum's sync committee: an update
// signed by Committee, the committee of Period, finalizing it; an update that hands over to
// the next period also carries Next, the committee of Period+1, under its attested state.
type SignedUpdate struct {
	Update    *Update
	Period    uint64
	Committee *Committee
	Next      *Committee
}
