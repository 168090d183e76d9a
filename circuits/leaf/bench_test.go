package leaf

import (
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// Setup and prove of the header leaf, committee capacity 4 (capacities 16 and 64 add ~8k
// constraints a slot to its 0.81M). Run each alone for a meaningful peak-GiB:
//
//	go test ./circuits/leaf -run '^$' -bench 'BenchmarkProve' -benchtime 1x -timeout 30m

func BenchmarkSetup(b *testing.B) {
	b.Run("header-leaf-4", func(b *testing.B) {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, NewHeaderCircuit(4))
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if _, _, err := groth16.Setup(ccs); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "setup-s")
		}
	})
}

func BenchmarkProve(b *testing.B) {
	b.Run("header-leaf-4", func(b *testing.B) {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, NewHeaderCircuit(4))
		if err != nil {
			b.Fatal(err)
		}
		pk, _, err := groth16.Setup(ccs)
		if err != nil {
			b.Fatal(err)
		}
		w, err := frontend.NewWitness(signedLeaf(b, 4, 4, 3, srcDomain), field)
		if err != nil {
			b.Fatal(err)
		}
		opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if _, err := groth16.Prove(ccs, pk, w, opt); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "prove-s")
			b.ReportMetric(circuittest.PeakGiB(), "peak-GiB")
		}
	})
}
