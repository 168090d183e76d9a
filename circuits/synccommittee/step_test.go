package synccommittee

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"
)

// Every update of the shared data makes a step whose pieces link under the commitment of
// the committee the store holds for its signature period; the finalized-header piece of the
// first solves (the other pieces are solved by their own tests with the same assignments).
// Refused by the links: another committee or period, the signature of another update, a
// domain of another fork version or genesis root, a finality branch of another fork's
// index, a finalized header other than the branch's, another header's payload, a payload of
// the other shape, a signature slot not after the attested one.
func TestSyncCommitteeStepLinks(t *testing.T) {
	s, _ := mainnetStore(t)
	cfg := s.Config
	updates := mainnetUpdates(t)
	var steps []*Step
	var periods []uint64
	for i := range updates {
		u := &updates[i]
		period := cfg.Period(uint64(u.SignatureSlot))
		com := s.Current
		if period != cfg.Period(s.Finalized.Slot) {
			com = s.Next
		}
		st, err := StepProof(cfg, com, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Links(cfg, CommitmentOf(com, period), period); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		steps = append(steps, st)
		periods = append(periods, period)
		if _, err := s.Apply(u, uint64(u.SignatureSlot)); err != nil {
			t.Fatal(err)
		}
	}
	if err := test.IsSolved(&FinalizedHeaderCircuit{}, steps[0].Finalized, ecc.BLS12_377.ScalarField()); err != nil {
		t.Fatalf("finalized header: %v", err)
	}

	fresh, _ := mainnetStore(t)
	com := fresh.Current
	commitment := CommitmentOf(com, periods[0])
	period := periods[0]
	step := func() *Step {
		st, err := StepProof(cfg, com, &updates[0])
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	other := steps[1]
	otherCfg := cfg
	otherCfg.GenesisValidatorsRoot[0] ^= 1
	for name, c := range map[string]struct {
		mutate func(st *Step)
		cfg    Config
		period uint64
	}{
		"another committee's commitment": {func(st *Step) { st.Signature.Commitment = other.Signature.Commitment }, cfg, period},
		"another period":                 {func(*Step) {}, cfg, period + 1},
		"the signature of another update": {func(st *Step) {
			st.Signature.RootHi, st.Signature.RootLo = other.Signature.RootHi, other.Signature.RootLo
		}, cfg, period},
		"another fork version": {func(st *Step) {
			h := updates[0].AttestedHeader.Beacon.Header()
			st.Header, _ = AssignHeader(&h, Domain(DomainSyncCommittee, cfg.Forks[0].Version, cfg.GenesisValidatorsRoot))
			st.Signature.RootHi, st.Signature.RootLo = st.Header.RootHi, st.Header.RootLo // as if signed so
		}, cfg, period},
		"another genesis root":                       {func(*Step) {}, otherCfg, period},
		"a finality branch of Electra's index":       {func(st *Step) { st.Finality.gindex = FinalizedRootGindexElectra }, cfg, period},
		"a finalized header other than the branch's": {func(st *Step) { st.Finalized = other.Finalized }, cfg, period},
		"another header's payload":                   {func(st *Step) { st.Payload = other.Payload }, cfg, period},
		"a payload header with blob fields": {func(st *Step) {
			exec, _ := updates[0].FinalizedHeader.Execution.Header()
			exec.Blobs = true
			st.Payload, _ = AssignPayload(&exec)
		}, cfg, period},
		"a signature slot not after the attested one": {func(st *Step) { st.SignatureSlot = updates[0].AttestedHeader.Beacon.Header().Slot }, cfg, period},
	} {
		st := step()
		c.mutate(st)
		err := st.Links(c.cfg, commitment, c.period)
		if err == nil {
			t.Errorf("%s: linked", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if err := step().Links(cfg, commitment, period); err != nil {
		t.Fatalf("the unchanged step: %v", err)
	}
}

// The rotation an update carries links to its step: the first update's next committee under
// its attested state, in its period. Refused: the next committee of another update (under
// another state), another period, a next committee at Electra's index.
func TestSyncCommitteeRotationLinksToStep(t *testing.T) {
	s, _ := mainnetStore(t)
	cfg := s.Config
	updates := mainnetUpdates(t)
	rotation := func(u *Update) *Rotation {
		next, err := cfg.NewCommittee(u.NextSyncCommittee)
		if err != nil {
			t.Fatal(err)
		}
		r, err := RotationProof(next, cfg.Period(uint64(u.AttestedHeader.Beacon.Slot))+1, ChunkKeys, MerkleWidth, NextSyncCommitteeGindex, u.AttestedHeader.Beacon.StateRoot, u.NextSyncCommitteeBranch)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	u := &updates[0]
	period := cfg.Period(uint64(u.SignatureSlot))
	st, err := StepProof(cfg, s.Current, u)
	if err != nil {
		t.Fatal(err)
	}
	r := rotation(u)
	if err := st.Links(cfg, CommitmentOf(s.Current, period), period); err != nil {
		t.Fatal(err)
	}
	if err := st.RotationLinks(cfg, r, period); err != nil {
		t.Fatal(err)
	}
	if st.RotationLinks(cfg, rotation(&updates[1]), period) == nil {
		t.Error("another update's next committee: linked")
	}
	if st.RotationLinks(cfg, r, period+1) == nil {
		t.Error("another period: linked")
	}
	r.Root.gindex = NextSyncCommitteeGindexEl
	if st.RotationLinks(cfg, r, period) == nil {
		t.Error("a next committee at Electra's index: linked")
	}
}
