package leaf

import (
	"math/big"
	"runtime"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/test"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/lightclient"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// TestUniversalSyncKinds: the five kinds of an Ethereum update (the signature at mainnet's
// 512 members, the attested header, the finality branch, the finalized header, the payload)
// take a real Capella update's pieces: each kind is of the one leaf layout, each solves with
// the facts its native twin computes, the facts chain from the signature to the header fact
// of the finalized block, and that header is the update's execution payload's. Each kind
// refuses the case its rules exist for: another fork's domain, a signature slot not after the
// attested one or out of the committee's period, an attested slot before the fork whose
// finality index the kind takes, a finalized slot after the attested one, a finalized slot
// before the payload kind's fork, another source domain, another update's fact.
func TestUniversalSyncKinds(t *testing.T) {
	const src = 1
	cfg, updates := lightclient.MainnetUpdates(t)
	l, err := AssignSyncUpdate(cfg, src, updates[0])
	if err != nil {
		t.Fatal(err)
	}
	other, err := AssignSyncUpdate(cfg, src, updates[1])
	if err != nil {
		t.Fatal(err)
	}
	exec, err := updates[0].Update.FinalizedHeader.Execution.Header()
	if err != nil {
		t.Fatal(err)
	}
	commitment := synccommittee.CommitmentOf(updates[0].Committee, updates[0].Period)
	if p := l.Public; p.BlockNumber != exec.BlockNumber || p.BlockHash != exec.BlockHash || p.StateRoot != exec.StateRoot || p.ReceiptsRoot != exec.ReceiptsRoot ||
		p.Committee != commitment.Bytes() || p.SrcDomain != src {
		t.Fatalf("the payload leaf attests %+v, the update's block is %d (%s)", p, exec.BlockNumber, exec.BlockHash)
	}
	for i := 1; i < len(l.Values); i++ {
		if l.Values[i].Consumed[0] != l.Values[i-1].Produced {
			t.Fatalf("piece %d does not consume piece %d's fact", i, i-1)
		}
	}
	if l.Values[4].Produced != HeaderFact(l.Public) {
		t.Fatal("the payload leaf does not produce the header fact")
	}

	// The signature's placeholder is made for each use: its emulated arithmetic keeps state
	// from one compile or solve. The other kinds compile once, for their layout and every
	// solve.
	type kind struct {
		name   string
		solver kindSolver
		a      frontend.Circuit
	}
	signature := engineKind(func() frontend.Circuit { return NewSyncSignatureLeaf(512) })
	header := compiledKind("sync header leaf", func() frontend.Circuit { return NewSyncHeaderLeaf(l.HeaderRules) })
	finalizedKind := compiledKind("sync finalized leaf", func() frontend.Circuit { return &SyncFinalizedLeaf{} })
	payload := compiledKind("sync payload leaf", func() frontend.Circuit { return NewSyncPayloadLeaf(l.PayloadRules, src) })
	kinds := []kind{
		{"signature", signature, l.Signature},
		{"header", header, l.Header},
		{"finality", compiledKind("sync finality leaf", func() frontend.Circuit { return NewSyncFinalityLeaf(l.FinalityRules) }), l.Finality},
		{"finalized", finalizedKind, l.Finalized},
		{"payload", payload, l.Payload},
	}
	for _, k := range kinds {
		var ccs constraint.ConstraintSystem
		if k.solver.key != "" {
			ccs = circuittest.Compiled(t, k.solver.key, field, k.solver.placeholder())
		} else {
			// The layout at a smaller committee: 3.4 GiB less to compile.
			var err error
			if ccs, err = frontend.Compile(field, r1cs.NewBuilder, NewSyncSignatureLeaf(8)); err != nil {
				t.Fatalf("%s: %v", k.name, err)
			}
		}
		if n := ccs.GetNbPublicVariables() - 1; n != facts.Inputs {
			t.Fatalf("%s: %d public inputs, the layout has %d", k.name, n, facts.Inputs)
		}
		if n := len(ccs.GetCommitments().CommitmentIndexes()); n != 1 {
			t.Fatalf("%s: %d commitments, the layout has one", k.name, n)
		}
		t.Logf("%s kind: %d constraints", k.name, ccs.GetNbConstraints())
		ccs = nil
		runtime.GC()
		if err := k.solver.solve(t, k.a); err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
	}

	// Refusals: each changes one piece (and the facts it must then carry), or solves it under
	// another kind.
	c := commitment
	attested, finalized := updates[0].Update.AttestedHeader.Beacon.Header(), updates[0].Update.FinalizedHeader.Beacon.Header()
	deneb, err := cfg.Rules("deneb")
	if err != nil {
		t.Fatal(err)
	}
	late := l.PayloadRules
	late.Fork.Epoch = finalized.Slot/cfg.SlotsPerEpoch + 1
	lateFinality := l.FinalityRules
	lateFinality.Fork.Epoch = attested.Slot/cfg.SlotsPerEpoch + 1
	cases := []forgery{
		{"header: under Deneb's domain", engineKind(func() frontend.Circuit { return NewSyncHeaderLeaf(deneb) }), l.Header},
		{"header: a signature slot not after the attested one", header, func() frontend.Circuit {
			h := *l.Header
			h.SignatureSlot = attested.Slot
			return &h
		}()},
		{"header: a period other than the signature slot's", header, func() frontend.Circuit {
			h := *l.Header
			h.Period = updates[0].Period + 1
			v := l.Values[1]
			v.Consumed[0] = SyncSignedFact(c, updates[0].Period+1, cfg.SyncSigningRoot(attested.Root(), uint64(updates[0].Update.SignatureSlot)))
			v.Produced = SyncAttestedFact(c, updates[0].Period+1, attested.Slot, attested.StateRoot)
			v.Assign(&h.IO)
			return &h
		}()},
		{"header: another update's signature", header, func() frontend.Circuit {
			h := *l.Header
			v := l.Values[1]
			v.Consumed[0] = other.Values[0].Produced
			v.Assign(&h.IO)
			return &h
		}()},
		{"finality: an attested slot before the kind's fork", engineKind(func() frontend.Circuit { return NewSyncFinalityLeaf(lateFinality) }), l.Finality},
		{"finalized: a finalized slot after the attested one", finalizedKind, func() frontend.Circuit {
			f := *l.Finalized
			f.Attested = finalized.Slot - 1
			v := l.Values[3]
			v.Consumed[0] = SyncFinalizedFact(c, updates[0].Period, finalized.Slot-1, attested.StateRoot, finalized.Root())
			pr, _ := updates[0].Update.FinalizedHeader.Execution.Header()
			root, _ := pr.Root()
			v.Produced = SyncUpdateFact(c, updates[0].Period, finalized.Slot-1, attested.StateRoot, finalized.Slot, root)
			v.Assign(&f.IO)
			return &f
		}()},
		{"payload: a finalized slot before the kind's fork", engineKind(func() frontend.Circuit { return NewSyncPayloadLeaf(late, src) }), l.Payload},
		{"payload: another source domain", engineKind(func() frontend.Circuit { return NewSyncPayloadLeaf(l.PayloadRules, src+1) }), l.Payload},
		{"payload: another update's finalized header", payload, func() frontend.Circuit {
			p := *l.Payload
			v := l.Values[4]
			v.Consumed[0] = other.Values[3].Produced
			v.Assign(&p.IO)
			return &p
		}()},
		{"signature: one signer fewer", signature, func() frontend.Circuit {
			s := *l.Signature
			s.Signature.Bits = append([]frontend.Variable(nil), s.Signature.Bits...)
			for i, b := range s.Signature.Bits {
				if toBig(b).Sign() != 0 {
					s.Signature.Bits[i] = 0
					break
				}
			}
			s.Signature.Participants = new(big.Int).Sub(toBig(s.Signature.Participants), big.NewInt(1))
			return &s
		}()},
	}
	refuseForgeries(t, cases)
}

// TestUniversalSyncRotationKinds: the hand-over a real Capella update carries (mainnet's
// 512 members) as universal leaves: 128 chunks of 4 keys, a key tree of 43 nodes (layers of
// four, then a pair), the next committee's root under the attested state and the rotation
// claim. The claim names the two periods' commitments; every leaf's facts link, with the
// update's signature, attested header, finality branch and finalized header and a fold, into
// the statement chain of the claim; a sample of leaves (the first and last chunk, a bottom
// node, the top pair, the root, the claim) solves its kind. Refused: a claim of another
// source domain, a finalized slot outside the committee's period, a root whose chain starts
// at another period, a root under an attested slot before its kind's fork, a node that
// produces another count or a root that is not its children's, a chunk that claims more keys
// than it holds.
func TestUniversalSyncRotationKinds(t *testing.T) {
	const src = 1
	cfg, rot := lightclient.MainnetRotation(t)
	su, next := *rot, rot.Next
	l, err := AssignSyncRotation(cfg, src, &su, 4)
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := synccommittee.CommitmentOf(su.Committee, su.Period), synccommittee.CommitmentOf(next, su.Period+1)
	if want := (protocol.RotationClaim{SrcDomain: src, Committee: c0.Bytes(), NextEpoch: su.Period + 1, NextCommittee: c1.Bytes()}); l.Claim.Hash() != want.Hash() {
		t.Fatalf("claim %+v: want the hand-over from period %d's commitment to period %d's", l.Claim, su.Period, su.Period+1)
	}
	if len(l.Chunks) != 128 || len(l.Tree) != 32+8+2+1 {
		t.Fatalf("%d chunks, %d tree nodes", len(l.Chunks), len(l.Tree))
	}
	// The leaves link into the statement chain of the claim.
	_, fv, chainOf, err := AssignFoldLeaf(protocol.ChainGenesis, []common.Hash{l.Claim.Hash()}, true)
	if err != nil {
		t.Fatal(err)
	}
	values := append([]facts.Values{fv}, l.Update.Values[:4]...)
	values = append(values, l.ChunkValues...)
	values = append(values, l.TreeValues...)
	values = append(values, l.NextValues, l.RotationFact)
	kinds := make([]int, len(values))
	for i := 1; i < len(kinds); i++ {
		kinds[i] = 1
	}
	plan, err := universal.Link(values, kinds)
	if err != nil {
		t.Fatal(err)
	}
	if got := values[plan.Order[plan.Exporter]].Produced.BigInt(new(big.Int)); got.Cmp(facts.StatementOf(chainOf)) != 0 {
		t.Fatal("the fold does not export the claim's chain")
	}

	spp := cfg.SlotsPerEpoch * cfg.EpochsPerPeriod
	chunk := compiledKind("sync chunk leaf of 4 keys", func() frontend.Circuit { return NewSyncChunkLeaf(4) })
	tree := compiledKind("sync key-tree leaf", func() frontend.Circuit { return &SyncTreeLeaf{} })
	nextKind := compiledKind("sync next-committee root leaf", func() frontend.Circuit { return NewSyncNextLeaf(l.NextRules, 512) })
	rotation := compiledKind("sync rotation claim leaf", func() frontend.Circuit { return NewSyncRotationLeaf(src, spp) })
	for name, c := range map[string]struct {
		kind kindSolver
		a    frontend.Circuit
	}{
		"chunk 0": {chunk, l.Chunks[0]}, "chunk 127": {chunk, l.Chunks[127]}, "a bottom node": {tree, l.Tree[0]},
		"the top pair": {tree, l.Tree[len(l.Tree)-1]}, "the next committee's root": {nextKind, l.Next}, "the claim": {rotation, l.Rotation},
	} {
		if err := c.kind.solve(t, c.a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	attested := su.Update.AttestedHeader.Beacon.Header()
	lateNext := l.NextRules
	lateNext.Fork.Epoch = attested.Slot/cfg.SlotsPerEpoch + 1
	cases := []forgery{
		{"claim: another source domain", engineKind(func() frontend.Circuit { return NewSyncRotationLeaf(src+1, spp) }), l.Rotation},
		{"claim: a finalized slot outside the period", rotation, func() frontend.Circuit {
			r := *l.Rotation
			r.Finalized = (su.Period + 1) * spp
			v := l.RotationFact
			pr, _ := su.Update.FinalizedHeader.Execution.Header()
			payload, _ := pr.Root()
			v.Consumed[0] = SyncUpdateFact(c0, su.Period, attested.Slot, attested.StateRoot, (su.Period+1)*spp, payload)
			v.Assign(&r.IO)
			return &r
		}()},
		{"root: a chain from another period's start", nextKind, func() frontend.Circuit {
			n := *l.Next
			n.NextPeriod = su.Period + 2
			v := l.NextValues
			v.Produced = SyncNextFact(attested.StateRoot, attested.Slot, su.Period+2, c1)
			v.Assign(&n.IO)
			return &n
		}()},
		{"root: an attested slot before the kind's fork", engineKind(func() frontend.Circuit { return NewSyncNextLeaf(lateNext, 512) }), l.Next},
		{"node: another count produced", tree, func() frontend.Circuit {
			n := *l.Tree[0]
			v := l.TreeValues[0]
			in, out := toBig(n.States[0]), toBig(n.States[4])
			var a, b fr.Element
			a.SetBigInt(in)
			b.SetBigInt(out)
			v.Produced = SyncKeysFact(0, 32, a, b, [32]byte(hashOf([2]frontend.Variable{n.Tree.RootHi, n.Tree.RootLo})))
			v.Assign(&n.IO)
			return &n
		}()},
		{"node: a root that is not its children's", tree, func() frontend.Circuit {
			n := *l.Tree[0]
			n.Tree.RootLo = new(big.Int).Add(toBig(n.Tree.RootLo), big.NewInt(1))
			v := l.TreeValues[0]
			var a, b fr.Element
			a.SetBigInt(toBig(n.States[0]))
			b.SetBigInt(toBig(n.States[4]))
			v.Produced = SyncKeysFact(0, 16, a, b, [32]byte(hashOf([2]frontend.Variable{n.Tree.RootHi, n.Tree.RootLo})))
			v.Assign(&n.IO)
			return &n
		}()},
		// The security review's finding: a hand-over claimed with a commitment's bytes shifted
		// by r (the same field element, so every fact still matches).
		{"claim: the next committee + r", rotation, shiftedRotation(l, func(r *protocol.RotationClaim) { r.NextCommittee = shifted(r.NextCommittee, 1) })},
		{"claim: the committee + 13·r", rotation, shiftedRotation(l, func(r *protocol.RotationClaim) { r.Committee = shifted(r.Committee, 13) })},
		{"chunk: more keys claimed than held", chunk, func() frontend.Circuit {
			c := *l.Chunks[0]
			var a, b fr.Element
			a.SetBigInt(toBig(c.Chunk.StateIn))
			b.SetBigInt(toBig(c.Chunk.StateOut))
			v := facts.Values{Produced: SyncKeysFact(0, 8, a, b, [32]byte(hashOf([2]frontend.Variable{c.Chunk.RootHi, c.Chunk.RootLo})))}
			v.Assign(&c.IO)
			return &c
		}()},
	}
	refuseForgeries(t, cases)
}

// shiftedRotation is the rotation claim leaf of l with its claim's encoding changed by shift
// and the claim fact of the changed claim, its field elements as they were.
func shiftedRotation(l *SyncRotationLeaves, shift func(r *protocol.RotationClaim)) frontend.Circuit {
	r := *l.Rotation
	claim := l.Claim
	shift(&claim)
	copy(r.Encoded[:], uints.NewU8Array(claim.Encode()))
	r.ClaimHash = halves(claim.Hash())
	v := l.RotationFact
	v.Produced = ClaimFact(claim.Hash())
	v.Assign(&r.IO)
	return &r
}

// kindSolver solves assignments by a kind: against the kind compiled once in a test where
// key names it (a kind solved more than once), else by gnark's test engine on a fresh
// placeholder (the signature's emulated arithmetic keeps state from one solve).
type kindSolver struct {
	key         string
	placeholder func() frontend.Circuit
}

// compiledKind is the kind placeholder makes, compiled once in a test under key.
func compiledKind(key string, placeholder func() frontend.Circuit) kindSolver {
	return kindSolver{key, placeholder}
}

// engineKind is the kind placeholder makes, solved by gnark's test engine.
func engineKind(placeholder func() frontend.Circuit) kindSolver {
	return kindSolver{placeholder: placeholder}
}

func (k kindSolver) solve(t *testing.T, a frontend.Circuit) error {
	t.Helper()
	if k.key == "" {
		return test.IsSolved(k.placeholder(), a, field)
	}
	return circuittest.IsSolved(t, k.key, field, k.placeholder(), a)
}

// forgery is an assignment its kind must refuse.
type forgery struct {
	name string
	kind kindSolver
	a    frontend.Circuit
}

// refuseForgeries checks that each forgery's kind refuses it, and logs why.
func refuseForgeries(t *testing.T, cases []forgery) {
	t.Helper()
	for _, tc := range cases {
		err := tc.kind.solve(t, tc.a)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
}
