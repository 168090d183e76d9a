package circuits_test

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/aggregator"
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
	type leafProof struct {
		kind string
		a    frontend.Circuit
	}
	run := l.Runs[0]
	var runLeaves []leafProof
	for _, c := range run.Chunks {
		runLeaves = append(runLeaves, leafProof{names[0], c})
	}
	for _, n := range run.Tree {
		runLeaves = append(runLeaves, leafProof{names[1], n})
	}
	runLeaves = append(runLeaves, leafProof{names[2], run.Claim})
	opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField())
	for _, batch := range []struct {
		name   string
		leaves []leafProof
	}{{"run", runLeaves}, {"hand-over", []leafProof{{names[3], l.Next}, {names[4], l.HandOver}}}} {
		b.Run(batch.name, func(b *testing.B) {
			for _, p := range batch.leaves {
				keysOf(b, p.kind)
			}
			for i := 0; i < b.N; i++ {
				runtime.GC()
				debug.FreeOSMemory()
				prover.ResetPeak()
				var seconds float64
				constraints := 0
				for _, p := range batch.leaves {
					k := keysOf(b, p.kind)
					w, err := frontend.NewWitness(p.a, ecc.BLS12_377.ScalarField())
					if err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					if _, err := groth16.Prove(k.ccs, k.keys.PK, w, opt); err != nil {
						b.Fatalf("%s: %v", p.kind, err)
					}
					seconds += time.Since(start).Seconds()
					constraints += k.ccs.GetNbConstraints()
				}
				b.ReportMetric(float64(len(batch.leaves)), "proofs")
				b.ReportMetric(float64(constraints), "constraints")
				b.ReportMetric(seconds, "prove-s")
				b.ReportMetric(prover.PeakGiB(), "peak-GiB")
			}
		})
	}
}
