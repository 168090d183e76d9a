package leaf

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The kinds of an Ethereum light-client update under the sync committee: the five pieces of
// synccommittee.Step, each checking the rules of the fork its own slot falls in (the
// signing domain of the fork before the signature slot, the finality branch's index of the
// attested slot's fork, the payload header's shape of the finalized slot's fork), linked by
// facts:
//
//	sync-signed(commitment, period, root)      the committee of commitment, serving period, signed root
//	sync-attested(commitment, period, slot, state)
//	                                           it signed, in its period, the header at slot whose state root is state
//	sync-finalized(commitment, period, attested, state, root)
//	                                           that header's state finalizes the beacon header of root
//	sync-update(commitment, period, attested, state, finalized, payload)
//	                                           whose slot is finalized, not after attested, and payload its execution payload root
//
// and the payload kind produces the header fact of the payload's block under the commitment,
// for the source domain its kind fixes: a lane or a receipt over it is the same leaves as
// under an attester committee. A fork's kinds are a fork's rules compiled in; an update
// across a fork boundary takes each piece's kind of its own fork.
var (
	tagSyncSigned    = facts.Tag("isthmus.fact.sync-signed.v1")
	tagSyncAttested  = facts.Tag("isthmus.fact.sync-attested.v1")
	tagSyncFinalized = facts.Tag("isthmus.fact.sync-finalized.v1")
	tagSyncUpdate    = facts.Tag("isthmus.fact.sync-update.v1")
)

// SyncSignedFact is the sync-signed fact natively.
func SyncSignedFact(commitment fr.Element, period uint64, root [32]byte) fr.Element {
	r := frHalves(root)
	return facts.DigestOf(tagSyncSigned, commitment, frUint(period), r[0], r[1])
}

// SyncAttestedFact is the sync-attested fact natively.
func SyncAttestedFact(commitment fr.Element, period, slot uint64, state common.Hash) fr.Element {
	s := frHalves(state)
	return facts.DigestOf(tagSyncAttested, commitment, frUint(period), frUint(slot), s[0], s[1])
}

// SyncFinalizedFact is the sync-finalized fact natively.
func SyncFinalizedFact(commitment fr.Element, period, attested uint64, state common.Hash, root [32]byte) fr.Element {
	s, r := frHalves(state), frHalves(root)
	return facts.DigestOf(tagSyncFinalized, commitment, frUint(period), frUint(attested), s[0], s[1], r[0], r[1])
}

// SyncUpdateFact is the sync-update fact natively.
func SyncUpdateFact(commitment fr.Element, period, attested uint64, state common.Hash, finalized uint64, payload [32]byte) fr.Element {
	s, p := frHalves(state), frHalves(payload)
	return facts.DigestOf(tagSyncUpdate, commitment, frUint(period), frUint(attested), s[0], s[1], frUint(finalized), p[0], p[1])
}

// inFork asserts that slot lies in the rules' fork: from its first slot, before the next
// fork's (if one follows). The slot's difference with each bound is below 2^64.
func inFork(api frontend.API, rc frontend.Rangechecker, slot frontend.Variable, r *synccommittee.ForkRules) {
	rc.Check(api.Sub(slot, r.Fork.Epoch*r.SlotsPerEpoch), 64)
	if r.Until > 0 {
		rc.Check(api.Sub(r.Until*r.SlotsPerEpoch-1, slot), 64)
	}
}

// SyncSignatureLeaf is a sync committee's signature as a leaf kind: SignatureCircuit's rules
// (more than two thirds of the committee of Commitment, serving Period, signed Root), which
// consume nothing and produce the sync-signed fact.
type SyncSignatureLeaf struct {
	IO        facts.IO
	Signature synccommittee.SignatureRules
}

// NewSyncSignatureLeaf is the placeholder of the signature kind of a committee of size.
func NewSyncSignatureLeaf(size int) *SyncSignatureLeaf {
	return &SyncSignatureLeaf{Signature: synccommittee.NewSignatureCircuit(size).Rules()}
}

// Define implements frontend.Circuit.
func (c *SyncSignatureLeaf) Define(api frontend.API) error {
	if err := c.Signature.Define(api); err != nil {
		return err
	}
	assertConsumesNothing(api, &c.IO, 0)
	s := &c.Signature
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncSigned, s.Commitment, s.Period, s.RootHi, s.RootLo))
	return nil
}

// SyncHeaderLeaf is an update's attested header as a leaf kind of a fork: HeaderCircuit's
// rules under the fork's signing domain, for a signature slot in the fork (its slot before
// it, whose fork names the domain), in the signing committee's period and after the attested
// slot. It consumes the sync-signed fact of the signing root and produces the sync-attested
// fact.
type SyncHeaderLeaf struct {
	IO                                facts.IO
	Header                            synccommittee.HeaderRules
	Commitment, Period, SignatureSlot frontend.Variable
	rules                             synccommittee.ForkRules
}

// NewSyncHeaderLeaf is the placeholder of the attested header kind of a fork.
func NewSyncHeaderLeaf(rules synccommittee.ForkRules) *SyncHeaderLeaf {
	return &SyncHeaderLeaf{rules: rules}
}

// Define implements frontend.Circuit.
func (c *SyncHeaderLeaf) Define(api frontend.API) error {
	r := &c.rules
	if r.SlotsPerPeriod == 0 || r.SlotsPerPeriod&(r.SlotsPerPeriod-1) != 0 {
		return fmt.Errorf("sync header leaf: %d slots a period, want a power of two", r.SlotsPerPeriod)
	}
	h := &c.Header
	if err := h.Define(api); err != nil {
		return err
	}
	d := frHalves(r.Domain)
	api.AssertIsEqual(h.DomainHi, d[0].BigInt(new(big.Int)))
	api.AssertIsEqual(h.DomainLo, d[1].BigInt(new(big.Int)))
	sig := api.ToBinary(c.SignatureSlot, 64)
	api.AssertIsEqual(c.Period, api.FromBinary(sig[bits.TrailingZeros64(r.SlotsPerPeriod):]...))
	rc := rangecheck.New(api)
	rc.Check(api.Sub(api.Sub(c.SignatureSlot, h.Slot), 1), 64) // attested < signature
	inFork(api, rc, api.Sub(c.SignatureSlot, 1), r)
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagSyncSigned, c.Commitment, c.Period, h.RootHi, h.RootLo))
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncAttested, c.Commitment, c.Period, h.Slot, h.StateHi, h.StateLo))
	return nil
}

// SyncFinalityLeaf is an update's finality branch as a leaf kind of a fork: BranchCircuit at
// the fork's finalized-root index, for an attested slot in the fork. It consumes the
// sync-attested fact of the branch's root (the attested state) and produces the
// sync-finalized fact of its leaf.
type SyncFinalityLeaf struct {
	IO                           facts.IO
	Branch                       synccommittee.BranchRules
	Commitment, Period, Attested frontend.Variable
	rules                        synccommittee.ForkRules
}

// NewSyncFinalityLeaf is the placeholder of the finality branch kind of a fork.
func NewSyncFinalityLeaf(rules synccommittee.ForkRules) *SyncFinalityLeaf {
	return &SyncFinalityLeaf{Branch: synccommittee.NewBranchCircuit(rules.FinalityGindex).Rules(), rules: rules}
}

// Define implements frontend.Circuit.
func (c *SyncFinalityLeaf) Define(api frontend.API) error {
	b := &c.Branch
	if b.Gindex() != c.rules.FinalityGindex {
		return fmt.Errorf("sync finality leaf: a branch at index %d, the fork's is %d", b.Gindex(), c.rules.FinalityGindex)
	}
	if err := b.Define(api); err != nil {
		return err
	}
	inFork(api, rangecheck.New(api), c.Attested, &c.rules)
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagSyncAttested, c.Commitment, c.Period, c.Attested, b.RootHi, b.RootLo))
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncFinalized, c.Commitment, c.Period, c.Attested, b.RootHi, b.RootLo, b.LeafHi, b.LeafLo))
	return nil
}

// SyncFinalizedLeaf is an update's finalized header as a leaf kind (of every fork):
// FinalizedHeaderCircuit's rules, for a finalized slot not after the attested one. It
// consumes the sync-finalized fact of the header's root and produces the sync-update fact of
// its slot and payload root.
type SyncFinalizedLeaf struct {
	IO                           facts.IO
	Header                       synccommittee.FinalizedHeaderRules
	Commitment, Period, Attested frontend.Variable
	State                        [2]frontend.Variable
}

// Define implements frontend.Circuit.
func (c *SyncFinalizedLeaf) Define(api frontend.API) error {
	h := &c.Header
	if err := h.Define(api); err != nil {
		return err
	}
	rangecheck.New(api).Check(api.Sub(c.Attested, h.Slot), 64) // finalized ≤ attested
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagSyncFinalized, c.Commitment, c.Period, c.Attested, c.State[0], c.State[1], h.RootHi, h.RootLo))
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncUpdate, c.Commitment, c.Period, c.Attested, c.State[0], c.State[1], h.Slot, h.PayloadHi, h.PayloadLo))
	return nil
}

// SyncPayloadLeaf is an update's execution payload header as a leaf kind of a fork and a
// source domain: PayloadCircuit's rules for the fork's header shape, for a finalized slot in
// the fork. It consumes the sync-update fact of the payload root and produces the header
// fact of the payload's block under the commitment, for its source domain.
type SyncPayloadLeaf struct {
	IO                                      facts.IO
	Payload                                 synccommittee.PayloadRules
	Commitment, Period, Attested, Finalized frontend.Variable
	State                                   [2]frontend.Variable
	rules                                   synccommittee.ForkRules
	srcDomain                               uint32
}

// NewSyncPayloadLeaf is the placeholder of the payload kind of a fork and a source domain.
func NewSyncPayloadLeaf(rules synccommittee.ForkRules, srcDomain uint32) *SyncPayloadLeaf {
	return &SyncPayloadLeaf{Payload: synccommittee.NewPayloadCircuit(rules.Blobs).Rules(), rules: rules, srcDomain: srcDomain}
}

// Define implements frontend.Circuit.
func (c *SyncPayloadLeaf) Define(api frontend.API) error {
	p := &c.Payload
	if p.Blobs() != c.rules.Blobs {
		return fmt.Errorf("sync payload leaf: a payload header with blob fields %v, the fork's has %v", p.Blobs(), c.rules.Blobs)
	}
	if err := p.Define(api); err != nil {
		return err
	}
	inFork(api, rangecheck.New(api), c.Finalized, &c.rules)
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagSyncUpdate, c.Commitment, c.Period, c.Attested, c.State[0], c.State[1], c.Finalized, p.RootHi, p.RootLo))
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagHeader, c.srcDomain, c.Commitment, p.Number, p.BlockHashHi, p.BlockHashLo,
		p.StateHi, p.StateLo, p.ReceiptsHi, p.ReceiptsLo))
	return nil
}

// SyncUpdateLeaves are the leaves of an update: each piece's assignment and facts, the
// rules each piece's kind is compiled with (the forks of the signature slot's predecessor,
// of the attested slot and of the finalized slot), and the header the payload leaf attests.
type SyncUpdateLeaves struct {
	Signature *SyncSignatureLeaf
	Header    *SyncHeaderLeaf
	Finality  *SyncFinalityLeaf
	Finalized *SyncFinalizedLeaf
	Payload   *SyncPayloadLeaf
	// Values are the five leaves' facts, in the order above.
	Values [5]facts.Values
	// HeaderRules, FinalityRules and PayloadRules are the forks' rules the kinds of the
	// header, finality and payload leaves take.
	HeaderRules, FinalityRules, PayloadRules synccommittee.ForkRules
	Public                                   *HeaderPublic
}

// AssignSyncUpdate builds the leaves that prove update su's finalized execution block under
// its committee for srcDomain: the pieces of synccommittee.StepProof, checked natively as
// the kinds check them (Step.Links), with their facts.
func AssignSyncUpdate(cfg synccommittee.Config, srcDomain uint32, su *synccommittee.SignedUpdate) (*SyncUpdateLeaves, error) {
	if su == nil || su.Update == nil || su.Committee == nil {
		return nil, fmt.Errorf("sync update leaves: no update or no committee")
	}
	u := su.Update
	if u.FinalizedHeader == nil {
		return nil, fmt.Errorf("sync update leaves: %w: no finalized header", synccommittee.ErrUpdate)
	}
	step, err := synccommittee.StepProof(cfg, su.Committee, u)
	if err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	commitment := synccommittee.CommitmentOf(su.Committee, su.Period)
	if err := step.Links(cfg, commitment, su.Period); err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	attested, finalized := u.AttestedHeader.Beacon.Header(), u.FinalizedHeader.Beacon.Header()
	exec, err := u.FinalizedHeader.Execution.Header()
	if err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	payload, err := exec.Root()
	if err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	sigSlot := uint64(u.SignatureSlot)
	l := &SyncUpdateLeaves{}
	rules := func(slot uint64) (synccommittee.ForkRules, error) { return cfg.Rules(cfg.Current(slot)) }
	if l.HeaderRules, err = rules(sigSlot - 1); err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	if l.FinalityRules, err = rules(attested.Slot); err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	if l.PayloadRules, err = rules(finalized.Slot); err != nil {
		return nil, fmt.Errorf("sync update leaves: %w", err)
	}
	period, c := su.Period, frontend.Variable(commitment.BigInt(new(big.Int)))
	state := halves(attested.StateRoot)
	signingRoot := cfg.SyncSigningRoot(attested.Root(), sigSlot)
	signed := SyncSignedFact(commitment, period, signingRoot)
	att := SyncAttestedFact(commitment, period, attested.Slot, attested.StateRoot)
	fin := SyncFinalizedFact(commitment, period, attested.Slot, attested.StateRoot, finalized.Root())
	upd := SyncUpdateFact(commitment, period, attested.Slot, attested.StateRoot, finalized.Slot, payload)
	l.Public = &HeaderPublic{SrcDomain: srcDomain, Committee: common.Hash(commitment.Bytes()), BlockNumber: exec.BlockNumber,
		BlockHash: exec.BlockHash, StateRoot: exec.StateRoot, ReceiptsRoot: exec.ReceiptsRoot}
	l.Values = [5]facts.Values{{Produced: signed}, {Produced: att}, {Produced: fin}, {Produced: upd}, {Produced: HeaderFact(l.Public)}}
	l.Values[1].Consumed[0], l.Values[2].Consumed[0], l.Values[3].Consumed[0], l.Values[4].Consumed[0] = signed, att, fin, upd

	l.Signature = &SyncSignatureLeaf{Signature: step.Signature.Rules()}
	l.Header = &SyncHeaderLeaf{Header: step.Header.Rules(), Commitment: c, Period: period, SignatureSlot: sigSlot}
	l.Finality = &SyncFinalityLeaf{Branch: step.Finality.Rules(), Commitment: c, Period: period, Attested: attested.Slot}
	l.Finalized = &SyncFinalizedLeaf{Header: step.Finalized.Rules(), Commitment: c, Period: period, Attested: attested.Slot, State: state}
	l.Payload = &SyncPayloadLeaf{Payload: step.Payload.Rules(), Commitment: c, Period: period, Attested: attested.Slot, Finalized: finalized.Slot, State: state}
	l.Values[0].Assign(&l.Signature.IO)
	l.Values[1].Assign(&l.Header.IO)
	l.Values[2].Assign(&l.Finality.IO)
	l.Values[3].Assign(&l.Finalized.IO)
	l.Values[4].Assign(&l.Payload.IO)
	return l, nil
}

// The kinds of a sync-committee rotation: the next committee's keys in chunks, the nodes of
// their SSZ tree, the committee's root under the attested state, and the rotation claim:
//
//	sync-keys(first, count, stateIn, stateOut, root)
//	                                       members [first, first+count) of a committee: the commitment chain over
//	                                       their keys runs from stateIn to stateOut, their keys' SSZ subtree root is root
//	sync-next(state, attested, period, commitment)
//	                                       under the state root state of the header at slot attested, the next
//	                                       committee (at the fork's index) is the one of commitment, serving period
var (
	tagSyncKeys = facts.Tag("isthmus.fact.sync-keys.v1")
	tagSyncNext = facts.Tag("isthmus.fact.sync-next.v1")
)

// SyncKeysFact is the sync-keys fact natively.
func SyncKeysFact(first, count uint64, stateIn, stateOut fr.Element, root [32]byte) fr.Element {
	r := frHalves(root)
	return facts.DigestOf(tagSyncKeys, frUint(first), frUint(count), stateIn, stateOut, r[0], r[1])
}

// SyncNextFact is the sync-next fact natively.
func SyncNextFact(state common.Hash, attested, period uint64, commitment fr.Element) fr.Element {
	s := frHalves(state)
	return facts.DigestOf(tagSyncNext, s[0], s[1], frUint(attested), frUint(period), commitment)
}

// SyncChunkLeaf is a run of a committee's members as a leaf kind: CommitteeChunkCircuit's
// rules over its keys, from member First on. It consumes nothing and produces the sync-keys
// fact of the run.
type SyncChunkLeaf struct {
	IO    facts.IO
	Chunk synccommittee.ChunkRules
	First frontend.Variable
}

// NewSyncChunkLeaf is the placeholder of the chunk kind of n keys (a power of two).
func NewSyncChunkLeaf(n int) *SyncChunkLeaf {
	return &SyncChunkLeaf{Chunk: synccommittee.NewCommitteeChunkCircuit(n).Rules()}
}

// Define implements frontend.Circuit.
func (c *SyncChunkLeaf) Define(api frontend.API) error {
	k := &c.Chunk
	if err := k.Define(api); err != nil {
		return err
	}
	rangecheck.New(api).Check(c.First, 32)
	assertConsumesNothing(api, &c.IO, 0)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncKeys, c.First, len(k.Keys), k.StateIn, k.StateOut, k.RootHi, k.RootLo))
	return nil
}

// SyncTreeLeaf is a node of a committee's key tree as a leaf kind: it joins two or four
// consecutive runs of Count members each (the chain of one running into the next's), as
// SubtreeRules, consuming their sync-keys facts and producing the run they make.
type SyncTreeLeaf struct {
	IO           facts.IO
	Tree         synccommittee.SubtreeRules
	First, Count frontend.Variable
	States       [5]frontend.Variable // the chain at each run's start, then at the last one's end
}

// Define implements frontend.Circuit.
func (c *SyncTreeLeaf) Define(api frontend.API) error {
	t := &c.Tree
	if err := t.Define(api); err != nil {
		return err
	}
	rc := rangecheck.New(api)
	rc.Check(c.First, 32)
	rc.Check(c.Count, 32)
	n := api.Add(2, api.Mul(2, t.Four)) // runs joined
	for j := range facts.Consumed {
		used := frontend.Variable(1)
		if j >= 2 {
			used = t.Four
		}
		end := c.States[j+1]
		if j == 1 {
			end = api.Select(t.Four, c.States[2], c.States[4]) // a pair's second run ends the chain
		}
		run := digest(api, tagSyncKeys, api.Add(c.First, api.Mul(j, c.Count)), c.Count, c.States[j], end, t.ChildHi[j], t.ChildLo[j])
		api.AssertIsEqual(c.IO.Consumed[j], api.Mul(used, run))
	}
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncKeys, c.First, api.Mul(n, c.Count), c.States[0], c.States[4], t.RootHi, t.RootLo))
	return nil
}

// SyncNextLeaf is a next committee's root as a leaf kind of a fork and a committee size:
// CommitteeRootCircuit's rules over the committee's keys' root (one run of all its members,
// whose chain starts at the start of NextPeriod), at the fork's next-committee index under
// the attested state, for an attested slot in the fork. It consumes the run's sync-keys fact
// and produces the sync-next fact.
type SyncNextLeaf struct {
	IO                                     facts.IO
	Root                                   synccommittee.CommitteeRootRules
	NextPeriod, Attested, Commitment, Keys frontend.Variable
	rules                                  synccommittee.ForkRules
	size                                   int
}

// NewSyncNextLeaf is the placeholder of the next committee's root kind of a fork, for a
// committee of size members.
func NewSyncNextLeaf(rules synccommittee.ForkRules, size int) *SyncNextLeaf {
	return &SyncNextLeaf{Root: synccommittee.NewCommitteeRootCircuit(1, rules.NextCommitteeGindex).Rules(), rules: rules, size: size}
}

// Define implements frontend.Circuit.
func (c *SyncNextLeaf) Define(api frontend.API) error {
	r := &c.Root
	if r.Gindex() != c.rules.NextCommitteeGindex || len(r.ChildHi) != 1 {
		return fmt.Errorf("sync next leaf: a root of %d children at index %d, want one at the fork's %d", len(r.ChildHi), r.Gindex(), c.rules.NextCommitteeGindex)
	}
	if err := r.Define(api); err != nil {
		return err
	}
	rc := rangecheck.New(api)
	rc.Check(c.NextPeriod, 64)
	inFork(api, rc, c.Attested, &c.rules)
	start := synccommittee.ChainStart(0)
	api.AssertIsEqual(c.Keys, api.Add(start.BigInt(new(big.Int)), c.NextPeriod))
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagSyncKeys, 0, c.size, c.Keys, c.Commitment, r.ChildHi[0], r.ChildLo[0]))
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncNext, r.StateHi, r.StateLo, c.Attested, c.NextPeriod, c.Commitment))
	return nil
}

// SyncRotationLeaf is a sync-committee rotation claim as a leaf kind of a source domain and
// a chain's slots a period: the claim of srcDomain from the commitment of the committee
// serving Period to the next period's committee. It consumes the sync-update fact of an
// update signed by the committee, whose attested and finalized slots are in Period, and the
// sync-next fact of the next committee under that update's attested state, and produces the
// claim fact.
type SyncRotationLeaf struct {
	IO                                                    facts.IO
	ClaimHash                                             [2]frontend.Variable
	Encoded                                               [protocol.RotationClaimSize]uints.U8
	Committee, Period, Attested, Finalized, NextCommittee frontend.Variable
	State, Payload                                        [2]frontend.Variable
	slotsPerPeriod                                        uint64
	srcDomain                                             uint32
}

// NewSyncRotationLeaf is the placeholder of the rotation claim kind of a source domain, for
// a chain of slotsPerPeriod slots a period (a power of two).
func NewSyncRotationLeaf(srcDomain uint32, slotsPerPeriod uint64) *SyncRotationLeaf {
	return &SyncRotationLeaf{srcDomain: srcDomain, slotsPerPeriod: slotsPerPeriod}
}

// Define implements frontend.Circuit.
func (c *SyncRotationLeaf) Define(api frontend.API) error {
	return c.define(api, protocol.KindRotation, c.Encoded[:], tagSyncNext, nil)
}

// define checks a rotation claim of kind, encoded as enc, whose next committee's root the
// fact of nextTag states: sync-next, or for a hand-over the runs' sync-next-runs, the runs'
// facts (each 32 bytes of runs, read as a canonical field element) its last values.
func (c *SyncRotationLeaf) define(api frontend.API, kind protocol.ClaimKind, enc []uints.U8, nextTag fr.Element, runs []uints.U8) error {
	if c.slotsPerPeriod == 0 || c.slotsPerPeriod&(c.slotsPerPeriod-1) != 0 {
		return fmt.Errorf("sync rotation leaf: %d slots a period, want a power of two", c.slotsPerPeriod)
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("sync rotation leaf: %w", err)
	}
	if err := assertClaimOf(api, bf, kind, enc, c.ClaimHash); err != nil {
		return fmt.Errorf("sync rotation leaf: %w", err)
	}
	api.AssertIsEqual(bigEndian(api, bf, enc[rotSrc:rotCommittee]), c.srcDomain)
	api.AssertIsEqual(fieldElement(api, byteValues(bf, enc[rotCommittee:rotEpoch])), c.Committee)
	api.AssertIsEqual(bigEndian(api, bf, enc[rotEpoch:rotNext]), api.Add(c.Period, 1))
	api.AssertIsEqual(fieldElement(api, byteValues(bf, enc[rotNext:protocol.RotationClaimSize])), c.NextCommittee)
	shift := bits.TrailingZeros64(c.slotsPerPeriod)
	for _, slot := range []frontend.Variable{c.Attested, c.Finalized} { // both in the period
		b := api.ToBinary(slot, 64)
		api.AssertIsEqual(api.FromBinary(b[shift:]...), c.Period)
	}
	api.AssertIsEqual(c.IO.Consumed[0], digest(api, tagSyncUpdate, c.Committee, c.Period, c.Attested, c.State[0], c.State[1], c.Finalized, c.Payload[0], c.Payload[1]))
	next := []frontend.Variable{c.State[0], c.State[1], c.Attested, api.Add(c.Period, 1), c.NextCommittee}
	for i := 0; i < len(runs); i += 32 {
		next = append(next, fieldElement(api, byteValues(bf, runs[i:i+32])))
	}
	api.AssertIsEqual(c.IO.Consumed[1], digest(api, nextTag, next...))
	assertConsumesNothing(api, &c.IO, 2)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagClaim, c.ClaimHash[0], c.ClaimHash[1]))
	return nil
}

// SyncRotationLeaves are the leaves of a sync-committee rotation beside its update's: the
// next committee's chunks, its key tree's nodes (bottom first), its root, and the claim,
// each with its facts; and the rules of the root's kind (the attested slot's fork).
type SyncRotationLeaves struct {
	Update       *SyncUpdateLeaves
	Chunks       []*SyncChunkLeaf
	ChunkValues  []facts.Values
	Tree         []*SyncTreeLeaf
	TreeValues   []facts.Values
	Next         *SyncNextLeaf
	NextValues   facts.Values
	Rotation     *SyncRotationLeaf
	RotationFact facts.Values
	NextRules    synccommittee.ForkRules
	Claim        protocol.RotationClaim
}

// AssignSyncRotation builds the leaves of the rotation update su carries (su.Next, the
// committee of su.Period+1, under its attested state), for srcDomain: its update's, the next
// committee in chunks of chunkKeys keys, its key tree of nodes of four (or two) subtrees, its
// root, and the claim; the next committee's root is checked natively against the update's
// branch first.
func AssignSyncRotation(cfg synccommittee.Config, srcDomain uint32, su *synccommittee.SignedUpdate, chunkKeys int) (*SyncRotationLeaves, error) {
	h, err := startHandOver(cfg, srcDomain, su, chunkKeys)
	if err != nil {
		return nil, err
	}
	l := &SyncRotationLeaves{Update: h.update, Chunks: h.chunks, ChunkValues: h.chunkValues, NextRules: h.rules}
	var top keyRun
	l.Tree, l.TreeValues, top = keyTree(h.runs)
	root := synccommittee.NewCommitteeRootCircuit(1, h.rules.NextCommitteeGindex)
	hv := halves(top.root)
	root.ChildHi[0], root.ChildLo[0] = hv[0], hv[1]
	h.rootOf(root)
	next := su.Period + 1
	start := synccommittee.ChainStart(next)
	l.Next = &SyncNextLeaf{Root: root.Rules(), NextPeriod: next, Attested: h.attested.Slot, Commitment: h.rp.Commitment.BigInt(new(big.Int)),
		Keys: start.BigInt(new(big.Int))}
	l.NextValues = facts.Values{Produced: SyncNextFact(h.attested.StateRoot, h.attested.Slot, next, h.rp.Commitment)}
	l.NextValues.Consumed[0] = top.fact()
	l.NextValues.Assign(&l.Next.IO)

	l.Claim = h.claim(srcDomain, nil)
	if l.Rotation, l.RotationFact, err = h.rotationLeaf(srcDomain, l.Claim, l.NextValues.Produced); err != nil {
		return nil, err
	}
	copy(l.Rotation.Encoded[:], uints.NewU8Array(l.Claim.Encode()))
	return l, nil
}

// handOver is what a rotation's leaves share, whether proven in one batch or over several:
// the update's leaves, its attested and finalized headers, the rules of the attested slot's
// fork, the next committee's rotation proof, its chunks' leaves and their runs.
type handOver struct {
	su                  *synccommittee.SignedUpdate
	update              *SyncUpdateLeaves
	attested, finalized synccommittee.BeaconBlockHeader
	rules               synccommittee.ForkRules
	rp                  *synccommittee.Rotation
	chunks              []*SyncChunkLeaf
	chunkValues         []facts.Values
	runs                []keyRun
}

// startHandOver checks the update su natively (both slots in its period, the next
// committee's root under its attested state) and assigns its update's leaves and the next
// committee's chunks of chunkKeys keys.
func startHandOver(cfg synccommittee.Config, srcDomain uint32, su *synccommittee.SignedUpdate, chunkKeys int) (*handOver, error) {
	if su == nil || su.Next == nil || su.Update == nil {
		return nil, fmt.Errorf("sync rotation leaves: an update that carries no next committee")
	}
	upd, err := AssignSyncUpdate(cfg, srcDomain, su)
	if err != nil {
		return nil, err
	}
	u := su.Update
	h := &handOver{su: su, update: upd, attested: u.AttestedHeader.Beacon.Header(), finalized: u.FinalizedHeader.Beacon.Header()}
	for _, slot := range []uint64{h.attested.Slot, h.finalized.Slot} {
		if cfg.Period(slot) != su.Period {
			return nil, fmt.Errorf("sync rotation leaves: %w: attested slot %d and finalized slot %d are not both in period %d", synccommittee.ErrUpdate,
				h.attested.Slot, h.finalized.Slot, su.Period)
		}
	}
	if h.rules, err = cfg.Rules(cfg.Current(h.attested.Slot)); err != nil {
		return nil, fmt.Errorf("sync rotation leaves: %w", err)
	}
	next := su.Next
	if err := synccommittee.VerifyBranch(synccommittee.CommitteeRoot(next.Pubkeys, next.Aggregate), u.NextSyncCommitteeBranch,
		h.rules.NextCommitteeGindex, h.attested.StateRoot); err != nil {
		return nil, fmt.Errorf("sync rotation leaves: the next committee: %w", err)
	}
	n := len(next.Pubkeys)
	width := 2
	for width < n/max(chunkKeys, 1) {
		width *= 2
	}
	if h.rp, err = synccommittee.RotationProof(next, su.Period+1, chunkKeys, width, h.rules.NextCommitteeGindex, h.attested.StateRoot, u.NextSyncCommitteeBranch); err != nil {
		return nil, fmt.Errorf("sync rotation leaves: %w", err)
	}
	for j, ch := range h.rp.Chunks {
		r := keyRun{first: uint64(j * chunkKeys), count: uint64(chunkKeys), in: elementOf(ch.StateIn), out: elementOf(ch.StateOut)}
		toBig(ch.RootHi).FillBytes(r.root[:16])
		toBig(ch.RootLo).FillBytes(r.root[16:])
		a := &SyncChunkLeaf{Chunk: ch.Rules(), First: r.first}
		v := facts.Values{Produced: r.fact()}
		v.Assign(&a.IO)
		h.chunks, h.chunkValues = append(h.chunks, a), append(h.chunkValues, v)
		h.runs = append(h.runs, r)
	}
	return h, nil
}

// rootOf fills the next committee's root circuit's state root, aggregate key and branch.
func (h *handOver) rootOf(root *synccommittee.CommitteeRootCircuit) {
	root.StateHi, root.StateLo = h.rp.Root.StateHi, h.rp.Root.StateLo
	root.Aggregate, root.Branch = h.rp.Root.Aggregate, h.rp.Root.Branch
}

// claim is the rotation claim of srcDomain to the next committee; with runs, a hand-over
// naming them.
func (h *handOver) claim(srcDomain uint32, runs []common.Hash) protocol.RotationClaim {
	commitment := synccommittee.CommitmentOf(h.su.Committee, h.su.Period)
	return protocol.RotationClaim{SrcDomain: srcDomain, Committee: common.Hash(commitment.Bytes()), NextEpoch: h.su.Period + 1,
		NextCommittee: common.Hash(h.rp.Commitment.Bytes()), Runs: runs}
}

// rotationLeaf assigns the claim leaf of claim c (its encoding left to the caller) over the
// update's sync-update fact and the next committee's fact next.
func (h *handOver) rotationLeaf(srcDomain uint32, c protocol.RotationClaim, next fr.Element) (*SyncRotationLeaf, facts.Values, error) {
	exec, err := h.su.Update.FinalizedHeader.Execution.Header()
	if err != nil {
		return nil, facts.Values{}, fmt.Errorf("sync rotation leaves: %w", err)
	}
	payload, err := exec.Root()
	if err != nil {
		return nil, facts.Values{}, fmt.Errorf("sync rotation leaves: %w", err)
	}
	claimHash := crypto.Keccak256Hash(c.Encode())
	a := &SyncRotationLeaf{ClaimHash: halves(claimHash), Committee: new(big.Int).SetBytes(c.Committee[:]), Period: h.su.Period,
		Attested: h.attested.Slot, Finalized: h.finalized.Slot, NextCommittee: h.rp.Commitment.BigInt(new(big.Int)),
		State: halves(h.attested.StateRoot), Payload: halves(payload), srcDomain: srcDomain}
	v := facts.Values{Produced: ClaimFact(claimHash)}
	v.Consumed[0] = h.update.Values[3].Produced
	v.Consumed[1] = next
	v.Assign(&a.IO)
	return a, v, nil
}

// keyRun is a run of a committee's members, as its sync-keys fact states it.
type keyRun struct {
	first, count uint64
	in, out      fr.Element
	root         [32]byte
}

func (r keyRun) fact() fr.Element { return SyncKeysFact(r.first, r.count, r.in, r.out, r.root) }

func elementOf(v frontend.Variable) fr.Element {
	var e fr.Element
	e.SetBigInt(toBig(v))
	return e
}

// keyTree assigns the nodes of the key tree over runs (consecutive, of one size, a power of
// two of them), bottom first, in nodes of four subtrees (of two where four do not divide a
// layer), and returns the run they make.
func keyTree(runs []keyRun) ([]*SyncTreeLeaf, []facts.Values, keyRun) {
	var tree []*SyncTreeLeaf
	var values []facts.Values
	for len(runs) > 1 {
		w := 4
		if len(runs)%4 != 0 {
			w = 2
		}
		var up []keyRun
		for i := 0; i < len(runs); i += w {
			group := runs[i : i+w]
			roots := make([][32]byte, w)
			a := &SyncTreeLeaf{First: group[0].first, Count: group[0].count}
			a.Tree.Four = boolVar(w == 4)
			var v facts.Values
			for j := range 4 {
				a.Tree.ChildHi[j], a.Tree.ChildLo[j], a.States[j] = 0, 0, 0
				if j < w {
					h := halves(group[j].root)
					a.Tree.ChildHi[j], a.Tree.ChildLo[j] = h[0], h[1]
					a.States[j] = group[j].in.BigInt(new(big.Int))
					roots[j] = group[j].root
					v.Consumed[j] = group[j].fact()
				}
			}
			a.States[4] = group[w-1].out.BigInt(new(big.Int))
			r := keyRun{first: group[0].first, count: uint64(w) * group[0].count, in: group[0].in, out: group[w-1].out, root: synccommittee.MerkleRoot(roots)}
			h := halves(r.root)
			a.Tree.RootHi, a.Tree.RootLo = h[0], h[1]
			v.Produced = r.fact()
			v.Assign(&a.IO)
			tree, values = append(tree, a), append(values, v)
			up = append(up, r)
		}
		runs = up
	}
	return tree, values, runs[0]
}
