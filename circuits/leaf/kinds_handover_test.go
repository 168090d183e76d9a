package leaf

import (
	"math/big"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/internal/lightclient"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// TestUniversalSyncHandOverOverBatches: the hand-over a real Capella update carries
// (mainnet's 512 members) over nine batches: eight runs of 64 members, each 16 chunks of 4
// keys, 5 key-tree nodes and its key-run claim (23 leaves with its fold), then the update's
// four leaves, the root over the runs and the hand-over claim (7 with its fold). Each batch's
// leaves link into the statement chain of its claims; the runs' facts are the whole-committee
// rotation's (AssignSyncRotation's nodes of 64 members), the root's keys root is the
// committee's. The new kinds solve (a run's claim, the root over the runs, the claim) and
// refuse: a key-run claim naming another run than the one it consumes, or of the rotation
// kind; a root whose runs are swapped, whose chain starts at another period or does not end
// at the commitment, or under an attested slot before its kind's fork; a hand-over naming
// another run, its runs in another order, another source domain, or encoded as a rotation.
func TestUniversalSyncHandOverOverBatches(t *testing.T) {
	const src, runs = 1, 8
	cfg, rot := lightclient.MainnetRotation(t)
	su, next := *rot, rot.Next
	l, err := AssignSyncHandOver(cfg, src, &su, 4, runs)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := AssignSyncRotation(cfg, src, &su, 4)
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := synccommittee.CommitmentOf(su.Committee, su.Period), synccommittee.CommitmentOf(next, su.Period+1)
	want := protocol.RotationClaim{SrcDomain: src, Committee: c0.Bytes(), NextEpoch: su.Period + 1, NextCommittee: c1.Bytes()}
	if c := l.Claim; c.SrcDomain != want.SrcDomain || c.Committee != want.Committee || c.NextEpoch != want.NextEpoch ||
		c.NextCommittee != want.NextCommittee || len(c.Runs) != runs || c.Encode()[0] != byte(protocol.KindHandOver) {
		t.Fatalf("claim %+v: want the hand-over from period %d's commitment to period %d's over %d runs", c, su.Period, su.Period+1, runs)
	}
	// The runs are the whole rotation's nodes of 64 members (the bottom layer's 32 nodes of
	// 16 make 8 of 64), in order.
	var of64 []fr.Element
	for _, v := range whole.TreeValues[32:40] {
		of64 = append(of64, v.Produced)
	}
	for i, r := range l.Runs {
		if len(r.Chunks) != 16 || len(r.Tree) != 5 {
			t.Fatalf("run %d: %d chunks, %d nodes", i, len(r.Chunks), len(r.Tree))
		}
		if r.Fact != common.Hash(of64[i].Bytes()) || l.Claim.Runs[i] != r.Fact {
			t.Fatalf("run %d: fact %x, the whole rotation's node %x", i, r.Fact, of64[i].Bytes())
		}
	}
	if sum := l.Claim.Encode(); len(sum) != protocol.RotationClaimSize+32*runs {
		t.Fatalf("a hand-over of %d bytes", len(sum))
	}

	// Each batch links into the statement chain of its claims.
	link := func(name string, claim common.Hash, values []facts.Values) {
		t.Helper()
		_, fv, chainOf, err := AssignFoldLeaf(protocol.ChainGenesis, []common.Hash{claim}, true)
		if err != nil {
			t.Fatal(err)
		}
		values = append([]facts.Values{fv}, values...)
		kinds := make([]int, len(values))
		for i := 1; i < len(kinds); i++ {
			kinds[i] = 1
		}
		plan, err := universal.Link(values, kinds)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := values[plan.Order[plan.Exporter]].Produced.BigInt(new(big.Int)); got.Cmp(facts.StatementOf(chainOf)) != 0 {
			t.Fatalf("%s: the fold does not export the claim's chain", name)
		}
		if len(values) > 32 {
			t.Fatalf("%s: %d leaves", name, len(values))
		}
	}
	for i, r := range l.Runs {
		values := append(slices.Clone(r.ChunkValues), r.TreeValues...)
		link("run", crypto.Keccak256Hash(protocol.KeyRunClaim(r.Fact)), append(values, r.ClaimValues))
		if i == 0 {
			// A run's claim without its chunks does not link.
			if _, err := universal.Link([]facts.Values{r.ClaimValues}, []int{0}); err == nil {
				t.Fatal("a key-run claim linked without its run")
			}
		}
	}
	link("hand-over", l.Claim.Hash(), append(slices.Clone(l.Update.Values[:4]), l.NextValues, l.HandOverValues))

	spp := cfg.SlotsPerEpoch * cfg.EpochsPerPeriod
	// By the test engine: most forgeries fail at the cheap checks before a compile would pay.
	keyRun := engineKind(func() frontend.Circuit { return &SyncKeyRunLeaf{} })
	nextKind := engineKind(func() frontend.Circuit { return NewSyncNextRunsLeaf(l.NextRules, 512, runs) })
	handOver := engineKind(func() frontend.Circuit { return NewSyncHandOverLeaf(src, spp, runs) })
	for name, c := range map[string]struct {
		kind kindSolver
		a    frontend.Circuit
	}{
		"run 0's claim": {keyRun, l.Runs[0].Claim}, "run 7's claim": {keyRun, l.Runs[7].Claim},
		"the root over the runs": {nextKind, l.Next}, "the hand-over": {handOver, l.HandOver},
	} {
		if err := c.kind.solve(t, c.a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	attested := su.Update.AttestedHeader.Beacon.Header()
	lateNext := l.NextRules
	lateNext.Fork.Epoch = attested.Slot/cfg.SlotsPerEpoch + 1
	runFacts := func(c protocol.RotationClaim) []fr.Element {
		var out []fr.Element
		for _, f := range c.Runs {
			var e fr.Element
			e.SetBytes(f[:])
			out = append(out, e)
		}
		return out
	}
	// nextWith is the root over the runs with its witness changed by change, producing the
	// fact of runs (the claim's, unless changed) of the chain's period.
	nextWith := func(period uint64, change func(n *SyncNextRunsLeaf, fs []fr.Element)) frontend.Circuit {
		n := *l.Next
		n.States = slices.Clone(n.States)
		n.Root.ChildHi, n.Root.ChildLo = slices.Clone(n.Root.ChildHi), slices.Clone(n.Root.ChildLo)
		fs := runFacts(l.Claim)
		change(&n, fs)
		v := l.NextValues
		v.Produced = SyncNextRunsFact(attested.StateRoot, attested.Slot, period, c1, fs)
		v.Assign(&n.IO)
		return &n
	}
	cases := []forgery{
		{"key run: naming another run than the one consumed", keyRun, func() frontend.Circuit {
			c := *l.Runs[0].Claim
			v := l.Runs[0].ClaimValues
			v.Consumed[0] = l.Runs[1].ClaimValues.Consumed[0]
			v.Assign(&c.IO)
			return &c
		}()},
		{"key run: another run's values", keyRun, func() frontend.Circuit {
			c := *l.Runs[0].Claim
			c.First = 64
			return &c
		}()},
		{"key run: encoded as a rotation", keyRun, func() frontend.Circuit {
			c := *l.Runs[0].Claim
			enc := protocol.KeyRunClaim(l.Runs[0].Fact)
			enc[0] = byte(protocol.KindRotation)
			copy(c.Encoded[:], uints.NewU8Array(enc))
			h := crypto.Keccak256Hash(enc)
			c.ClaimHash = halves(h)
			v := l.Runs[0].ClaimValues
			v.Produced = ClaimFact(h)
			v.Assign(&c.IO)
			return &c
		}()},
		{"root: two runs swapped", nextKind, nextWith(su.Period+1, func(n *SyncNextRunsLeaf, fs []fr.Element) {
			n.Root.ChildHi[2], n.Root.ChildHi[3] = n.Root.ChildHi[3], n.Root.ChildHi[2]
			n.Root.ChildLo[2], n.Root.ChildLo[3] = n.Root.ChildLo[3], n.Root.ChildLo[2]
			fs[2], fs[3] = fs[3], fs[2]
		})},
		{"root: a chain from another period's start", nextKind, nextWith(su.Period+2, func(n *SyncNextRunsLeaf, _ []fr.Element) {
			n.NextPeriod = su.Period + 2
		})},
		{"root: a chain that does not end at the commitment", nextKind, nextWith(su.Period+1, func(n *SyncNextRunsLeaf, fs []fr.Element) {
			n.States[runs] = new(big.Int).Add(toBig(n.States[runs]), big.NewInt(1))
			var out fr.Element
			out.SetBigInt(toBig(n.States[runs]))
			fs[runs-1] = SyncKeysFact(64*(runs-1), 64, elementOf(n.States[runs-1]), out, [32]byte(hashOf([2]frontend.Variable{n.Root.ChildHi[runs-1], n.Root.ChildLo[runs-1]})))
		})},
		{"root: an attested slot before the kind's fork", engineKind(func() frontend.Circuit { return NewSyncNextRunsLeaf(lateNext, 512, runs) }), l.Next},
		{"hand-over: naming another run", handOver, changedHandOver(l, func(c *protocol.RotationClaim) { c.Runs[5] = l.Runs[5].Fact; c.Runs[4] = l.Runs[5].Fact })},
		{"hand-over: its runs in another order", handOver, changedHandOver(l, func(c *protocol.RotationClaim) { c.Runs[0], c.Runs[1] = c.Runs[1], c.Runs[0] })},
		{"hand-over: another source domain", engineKind(func() frontend.Circuit { return NewSyncHandOverLeaf(src+1, spp, runs) }), l.HandOver},
		{"hand-over: encoded as a rotation", handOver, func() frontend.Circuit {
			enc := l.Claim.Encode()
			enc[0] = byte(protocol.KindRotation)
			return handOverOf(l, enc)
		}()},
	}
	refuseForgeries(t, cases)
}

// changedHandOver is the hand-over claim leaf of l with its claim changed by change.
func changedHandOver(l *SyncHandOverLeaves, change func(c *protocol.RotationClaim)) frontend.Circuit {
	claim := l.Claim
	claim.Runs = slices.Clone(claim.Runs)
	change(&claim)
	return handOverOf(l, claim.Encode())
}

// handOverOf is the hand-over claim leaf of l over the encoding enc, producing the claim fact
// of its hash.
func handOverOf(l *SyncHandOverLeaves, enc []byte) frontend.Circuit {
	h := *l.HandOver
	h.Encoded = uints.NewU8Array(enc)
	sum := crypto.Keccak256Hash(enc)
	h.ClaimHash = halves(sum)
	v := l.HandOverValues
	v.Produced = ClaimFact(sum)
	v.Assign(&h.IO)
	return &h
}
