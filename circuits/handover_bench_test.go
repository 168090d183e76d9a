package circuits_test

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/lightclient"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/prover"
)

// BenchmarkSyncHandOver proves, with real Groth16 proofs, the leaves of mainnet's hand-over
// from period 862 over several batches that are new to it: one run's batch (16 chunks of 4
// keys, 5 key-tree nodes, its key-run claim) and the hand-over's own (the root over 8 runs,
// the claim), under the pipeline's kinds of that config; each reports its proofs, their
// constraints, the proving seconds summed and the peak. setup/<kind> reports each kind's
// setup seconds as the key store recorded them. Keys come from the store, each kind's made
// when a sub-benchmark first needs it (all five: ~25 minutes on 2 cores; the run's three
// alone: ~10). A hand-over is 8 runs' batches and the hand-over's, with the update's four pieces
// (BenchmarkSyncCommittee) and each batch's aggregation and wrap.
//
//	go test ./circuits -run '^$' -bench 'BenchmarkSyncHandOver' -benchtime 1x -timeout 90m
func BenchmarkSyncHandOver(b *testing.B) {
	bcfg, rot := lightclient.MainnetRotation(b)
	su := *rot
	const src, runs = 1, 8
	cfg := aggregator.Config{Sizes: aggregator.DefaultConfig().Sizes,
		Sync: &aggregator.SyncConfig{Beacon: bcfg, SrcDomain: src, Forks: []string{"capella"}, ChunkKeys: 4, Runs: runs}}
	_, placeholders, err := cfg.Kinds()
	if err != nil {
		b.Fatal(err)
	}
	l, err := leaf.AssignSyncHandOver(bcfg, src, &su, 4, runs)
	if err != nil {
		b.Fatal(err)
	}
	dir, err := prover.DefaultDir()
	if err != nil {
		b.Fatal(err)
	}
	store := &prover.Store{Dir: dir}
	type kind struct {
		ccs  constraint.ConstraintSystem
		keys *prover.Keys
	}
	kinds := map[string]*kind{}
	// keysOf compiles a kind and loads its keys (set up if the store lacks them), once.
	keysOf := func(b *testing.B, name string) *kind {
		if k := kinds[name]; k != nil {
			return k
		}
		ccs, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, placeholders[name])
		if err != nil {
			b.Fatal(err)
		}
		keys, err := store.Keys(name, ccs, false)
		if err != nil {
			b.Fatal(err)
		}
		kinds[name] = &kind{ccs, keys}
		return kinds[name]
	}
	names := []string{aggregator.SyncChunkKind(4), aggregator.KindSyncTree, aggregator.KindSyncKeyRun,
		aggregator.SyncNextRunsKind(l.NextRules.Fork.Name, 512, runs), aggregator.SyncHandOverKind(src, runs)}
	for _, name := range names {
		b.Run("setup/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				k := keysOf(b, name)
				b.ReportMetric(k.keys.Manifest.SetupSeconds, "setup-s")
			}
		})
	}
	run := l.Runs[0]
	leaves := func(b *testing.B, kind string, as ...frontend.Circuit) []circuittest.Leaf {
		k := keysOf(b, kind)
		var out []circuittest.Leaf
		for _, a := range as {
			out = append(out, circuittest.Leaf{Name: kind, CCS: k.ccs, PK: k.keys.PK, Assignment: a})
		}
		return out
	}
	b.Run("run", func(b *testing.B) {
		var chunks, nodes []frontend.Circuit
		for _, c := range run.Chunks {
			chunks = append(chunks, c)
		}
		for _, n := range run.Tree {
			nodes = append(nodes, n)
		}
		all := append(append(leaves(b, names[0], chunks...), leaves(b, names[1], nodes...)...), leaves(b, names[2], run.Claim)...)
		for i := 0; i < b.N; i++ {
			circuittest.ReportLeafProofs(b, all)
		}
	})
	b.Run("hand-over", func(b *testing.B) {
		all := append(leaves(b, names[3], l.Next), leaves(b, names[4], l.HandOver)...)
		for i := 0; i < b.N; i++ {
			circuittest.ReportLeafProofs(b, all)
		}
	})
}
