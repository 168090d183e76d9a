package leaf

import (
	"fmt"
	"math/big"

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

// A hand-over too large for one batch (Ethereum's 512 members: 128 chunks of 4 keys and 43
// key-tree nodes) is proven over several. The next committee is cut into runs of equal size;
// a batch proves one run (its chunks and key-tree nodes, as in one batch) and a key-run claim
// (protocol.KindKeyRun) naming the run's sync-keys fact, which the Inbox records. The last
// batch proves the update, the committee's root over the runs' roots, and the hand-over claim
// (protocol.KindHandOver), which names the runs the Inbox must have recorded:
//
//	sync-next-runs(state, attested, period, commitment, run_1, …, run_R)
//	                                       under the state root state of the header at slot attested, the next
//	                                       committee (at the fork's index) is the one of commitment, serving
//	                                       period, if the runs of those sync-keys facts hold
//
// A sync-keys fact is about keys alone, true whoever proves it, so a recorded run serves any
// hand-over whose committee holds it.
var tagSyncNextRuns = facts.Tag("isthmus.fact.sync-next-runs.v1")

// SyncNextRunsFact is the sync-next-runs fact natively.
func SyncNextRunsFact(state common.Hash, attested, period uint64, commitment fr.Element, runs []fr.Element) fr.Element {
	s := frHalves(state)
	return facts.DigestOf(tagSyncNextRuns, append([]fr.Element{s[0], s[1], frUint(attested), frUint(period), commitment}, runs...)...)
}

// SyncKeyRunLeaf is the key-run claim of a run of a committee's members as a leaf kind: it
// consumes the run's sync-keys fact and produces the claim naming it.
type SyncKeyRunLeaf struct {
	IO                              facts.IO
	ClaimHash                       [2]frontend.Variable
	Encoded                         [protocol.KeyRunClaimSize]uints.U8
	First, Count, StateIn, StateOut frontend.Variable
	RootHi, RootLo                  frontend.Variable
}

// Define implements frontend.Circuit.
func (c *SyncKeyRunLeaf) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("sync key run leaf: %w", err)
	}
	if err := assertClaimOf(api, bf, protocol.KindKeyRun, c.Encoded[:], c.ClaimHash); err != nil {
		return fmt.Errorf("sync key run leaf: %w", err)
	}
	run := digest(api, tagSyncKeys, c.First, c.Count, c.StateIn, c.StateOut, c.RootHi, c.RootLo)
	api.AssertIsEqual(fieldElement(api, byteValues(bf, c.Encoded[1:])), run)
	api.AssertIsEqual(c.IO.Consumed[0], run)
	assertConsumesNothing(api, &c.IO, 1)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagClaim, c.ClaimHash[0], c.ClaimHash[1]))
	return nil
}

// SyncNextRunsLeaf is a next committee's root over runs as a leaf kind of a fork, a
// committee size and a number of runs: CommitteeRootCircuit's rules over the runs' roots, at
// the fork's next-committee index under the attested state, for an attested slot in the
// fork; the runs' chain starts at the start of NextPeriod and ends at Commitment, each run
// continuing the one before. It consumes nothing: the runs' sync-keys facts are values of the
// sync-next-runs fact it produces, for the hand-over claim to name.
type SyncNextRunsLeaf struct {
	IO                               facts.IO
	Root                             synccommittee.CommitteeRootRules
	NextPeriod, Attested, Commitment frontend.Variable
	States                           []frontend.Variable // the chain at each run's start, then at the last one's end
	rules                            synccommittee.ForkRules
	size, runs                       int
}

// NewSyncNextRunsLeaf is the placeholder of the next committee's root kind of a fork, for a
// committee of size members in runs runs (a power of two dividing size).
func NewSyncNextRunsLeaf(rules synccommittee.ForkRules, size, runs int) *SyncNextRunsLeaf {
	return &SyncNextRunsLeaf{Root: synccommittee.NewCommitteeRootCircuit(runs, rules.NextCommitteeGindex).Rules(),
		States: make([]frontend.Variable, runs+1), rules: rules, size: size, runs: runs}
}

// Define implements frontend.Circuit.
func (c *SyncNextRunsLeaf) Define(api frontend.API) error {
	r := &c.Root
	if c.runs < 2 || c.runs&(c.runs-1) != 0 || c.size%c.runs != 0 || c.runs > protocol.MaxHandOverRuns {
		return fmt.Errorf("sync next runs leaf: %d members in %d runs", c.size, c.runs)
	}
	if r.Gindex() != c.rules.NextCommitteeGindex || len(r.ChildHi) != c.runs || len(c.States) != c.runs+1 {
		return fmt.Errorf("sync next runs leaf: a root of %d children at index %d, want %d at the fork's %d", len(r.ChildHi), r.Gindex(), c.runs, c.rules.NextCommitteeGindex)
	}
	// The slot's fork and the chain's ends first, the root's SHA-256 after them.
	rc := rangecheck.New(api)
	rc.Check(c.NextPeriod, 64)
	inFork(api, rc, c.Attested, &c.rules)
	start := synccommittee.ChainStart(0)
	api.AssertIsEqual(c.States[0], api.Add(start.BigInt(new(big.Int)), c.NextPeriod))
	api.AssertIsEqual(c.States[c.runs], c.Commitment)
	if err := r.Define(api); err != nil {
		return err
	}
	values := []frontend.Variable{r.StateHi, r.StateLo, c.Attested, c.NextPeriod, c.Commitment}
	n := c.size / c.runs
	for i := range c.runs {
		values = append(values, digest(api, tagSyncKeys, i*n, n, c.States[i], c.States[i+1], r.ChildHi[i], r.ChildLo[i]))
	}
	assertConsumesNothing(api, &c.IO, 0)
	api.AssertIsEqual(c.IO.Produced, digest(api, tagSyncNextRuns, values...))
	return nil
}

// SyncHandOverLeaf is a hand-over claim over runs as a leaf kind of a source domain, a
// chain's slots a period and a number of runs: SyncRotationLeaf's rules for the claim of kind
// protocol.KindHandOver, whose next committee's root is the sync-next-runs fact of the runs
// the claim names.
type SyncHandOverLeaf struct {
	IO                                                    facts.IO
	ClaimHash                                             [2]frontend.Variable
	Encoded                                               []uints.U8 // the rotation's fields, then 32 bytes a run
	Committee, Period, Attested, Finalized, NextCommittee frontend.Variable
	State, Payload                                        [2]frontend.Variable
	slotsPerPeriod                                        uint64
	srcDomain                                             uint32
}

// NewSyncHandOverLeaf is the placeholder of the hand-over claim kind of a source domain, for
// a chain of slotsPerPeriod slots a period and a hand-over of runs runs.
func NewSyncHandOverLeaf(srcDomain uint32, slotsPerPeriod uint64, runs int) *SyncHandOverLeaf {
	return &SyncHandOverLeaf{Encoded: make([]uints.U8, protocol.RotationClaimSize+32*runs), srcDomain: srcDomain, slotsPerPeriod: slotsPerPeriod}
}

// Define implements frontend.Circuit.
func (c *SyncHandOverLeaf) Define(api frontend.API) error {
	runs := (len(c.Encoded) - protocol.RotationClaimSize) / 32
	if runs < 1 || runs > protocol.MaxHandOverRuns || len(c.Encoded) != protocol.RotationClaimSize+32*runs {
		return fmt.Errorf("sync hand-over leaf: a claim of %d bytes", len(c.Encoded))
	}
	r := SyncRotationLeaf{IO: c.IO, ClaimHash: c.ClaimHash, Committee: c.Committee, Period: c.Period, Attested: c.Attested,
		Finalized: c.Finalized, NextCommittee: c.NextCommittee, State: c.State, Payload: c.Payload, slotsPerPeriod: c.slotsPerPeriod, srcDomain: c.srcDomain}
	return r.define(api, protocol.KindHandOver, c.Encoded, tagSyncNextRuns, c.Encoded[protocol.RotationClaimSize:])
}

// SyncKeyRunLeaves are the leaves of one run of a hand-over over several batches: the run's
// chunks, its key tree's nodes (bottom first), and its key-run claim, each with its facts;
// Fact is the run's sync-keys fact, the claim's 32 bytes.
type SyncKeyRunLeaves struct {
	Chunks      []*SyncChunkLeaf
	ChunkValues []facts.Values
	Tree        []*SyncTreeLeaf
	TreeValues  []facts.Values
	Claim       *SyncKeyRunLeaf
	ClaimValues facts.Values
	Fact        common.Hash
}

// SyncHandOverLeaves are the leaves of a hand-over over several batches: its runs' (a batch
// each), then its update's, the next committee's root over the runs, and the claim; and the
// rules of the root's kind (the attested slot's fork).
type SyncHandOverLeaves struct {
	Runs           []SyncKeyRunLeaves
	Update         *SyncUpdateLeaves
	Next           *SyncNextRunsLeaf
	NextValues     facts.Values
	HandOver       *SyncHandOverLeaf
	HandOverValues facts.Values
	NextRules      synccommittee.ForkRules
	Claim          protocol.RotationClaim
}

// AssignSyncHandOver builds the leaves of the hand-over update su carries (su.Next, the
// committee of su.Period+1, under its attested state), for srcDomain, over several batches:
// the next committee in runs runs, each in chunks of chunkKeys keys and its key tree, with its
// key-run claim; then the root over the runs and the hand-over claim naming them. The next
// committee's root is checked natively against the update's branch first.
func AssignSyncHandOver(cfg synccommittee.Config, srcDomain uint32, su *synccommittee.SignedUpdate, chunkKeys, runs int) (*SyncHandOverLeaves, error) {
	h, err := startHandOver(cfg, srcDomain, su, chunkKeys)
	if err != nil {
		return nil, err
	}
	n := len(su.Next.Pubkeys)
	if runs < 2 || runs&(runs-1) != 0 || runs > protocol.MaxHandOverRuns || len(h.runs)%runs != 0 {
		return nil, fmt.Errorf("sync hand-over leaves: %d members in chunks of %d keys cannot make %d runs", n, chunkKeys, runs)
	}
	l := &SyncHandOverLeaves{Update: h.update, NextRules: h.rules}
	per := len(h.runs) / runs
	root := synccommittee.NewCommitteeRootCircuit(runs, h.rules.NextCommitteeGindex)
	next := su.Period + 1
	l.Next = &SyncNextRunsLeaf{NextPeriod: next, Attested: h.attested.Slot, Commitment: h.rp.Commitment.BigInt(new(big.Int)),
		States: make([]frontend.Variable, runs+1)}
	var runFacts []fr.Element
	for i := range runs {
		from := i * per
		rl := SyncKeyRunLeaves{Chunks: h.chunks[from : from+per], ChunkValues: h.chunkValues[from : from+per]}
		var top keyRun
		rl.Tree, rl.TreeValues, top = keyTree(h.runs[from : from+per])
		f := top.fact()
		rl.Fact = common.Hash(f.Bytes())
		enc := protocol.KeyRunClaim(rl.Fact)
		claimHash := crypto.Keccak256Hash(enc)
		hv := halves(top.root)
		rl.Claim = &SyncKeyRunLeaf{ClaimHash: halves(claimHash), First: top.first, Count: top.count,
			StateIn: top.in.BigInt(new(big.Int)), StateOut: top.out.BigInt(new(big.Int)), RootHi: hv[0], RootLo: hv[1]}
		copy(rl.Claim.Encoded[:], uints.NewU8Array(enc))
		rl.ClaimValues = facts.Values{Produced: ClaimFact(claimHash)}
		rl.ClaimValues.Consumed[0] = f
		rl.ClaimValues.Assign(&rl.Claim.IO)
		l.Runs = append(l.Runs, rl)

		root.ChildHi[i], root.ChildLo[i] = hv[0], hv[1]
		l.Next.States[i] = top.in.BigInt(new(big.Int))
		l.Next.States[i+1] = top.out.BigInt(new(big.Int))
		runFacts = append(runFacts, f)
		l.Claim.Runs = append(l.Claim.Runs, rl.Fact)
	}
	h.rootOf(root)
	l.Next.Root = root.Rules()
	l.NextValues = facts.Values{Produced: SyncNextRunsFact(h.attested.StateRoot, h.attested.Slot, next, h.rp.Commitment, runFacts)}
	l.NextValues.Assign(&l.Next.IO)

	l.Claim = h.claim(srcDomain, l.Claim.Runs)
	r, v, err := h.rotationLeaf(srcDomain, l.Claim, l.NextValues.Produced)
	if err != nil {
		return nil, err
	}
	l.HandOver = &SyncHandOverLeaf{IO: r.IO, ClaimHash: r.ClaimHash, Encoded: uints.NewU8Array(l.Claim.Encode()), Committee: r.Committee, Period: r.Period,
		Attested: r.Attested, Finalized: r.Finalized, NextCommittee: r.NextCommittee, State: r.State, Payload: r.Payload}
	l.HandOverValues = v
	return l, nil
}
