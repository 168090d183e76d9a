package leaf

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/prover"
)

// Setup and prove of the leaf circuits: the header leaf at committee capacity 4 (16 and 64
// add ~8k constraints a slot to its 0.81M), the state step and the receipt leaf (the
// pipeline's bounds, a mainnet log). Run each alone for a
// meaningful peak-GiB:
//
//	go test ./circuits/leaf -run '^$' -bench 'BenchmarkProve/state-step' -benchtime 1x -timeout 30m

// benchCircuits are the leaf circuits benchmarked, each with a valid assignment.
func benchCircuits(b *testing.B) []struct {
	name    string
	circuit frontend.Circuit
	assign  func() frontend.Circuit
} {
	return []struct {
		name    string
		circuit frontend.Circuit
		assign  func() frontend.Circuit
	}{
		{"header-leaf-4", NewHeaderCircuit(4), func() frontend.Circuit { return signedLeaf(b, 4, 4, 3, srcDomain) }},
		{"state-step", &StateStepCircuit{}, func() frontend.Circuit { return firstMainnetStep(b) }},
		{ReceiptLeafName, NewReceiptLeafCircuit(ReceiptNodeLen, ReceiptMaxData), func() frontend.Circuit {
			return receiptCases(b, mainnetReceiptBlock(b))["a two-byte key"].leaf
		}},
	}
}

// firstMainnetStep is the root step (a 532-byte branch) of the deposit contract's account proof.
func firstMainnetStep(b *testing.B) frontend.Circuit {
	ps, err := mainnet.StateProofs()
	if err != nil {
		b.Fatal(err)
	}
	value, steps, err := mpt.VerifyNative(ps[0].Root, ps[0].Key, ps[0].Nodes)
	if err != nil {
		b.Fatal(err)
	}
	a, _, err := AssignStateStep(common.BytesToHash(ps[0].Key), steps, 0, value, true)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func BenchmarkSetup(b *testing.B) {
	for _, bc := range benchCircuits(b) {
		b.Run(bc.name, func(b *testing.B) {
			ccs, err := frontend.Compile(field, r1cs.NewBuilder, bc.circuit)
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
}

func BenchmarkProve(b *testing.B) {
	for _, bc := range benchCircuits(b) {
		b.Run(bc.name, func(b *testing.B) {
			ccs, err := frontend.Compile(field, r1cs.NewBuilder, bc.circuit)
			if err != nil {
				b.Fatal(err)
			}
			// Keys from the store (the pipeline's, made once per machine).
			dir, err := prover.DefaultDir()
			if err != nil {
				b.Fatal(err)
			}
			keys, err := (&prover.Store{Dir: dir}).Keys(bc.name, ccs, false)
			if err != nil {
				b.Fatal(err)
			}
			pk := keys.PK
			w, err := frontend.NewWitness(bc.assign(), field)
			if err != nil {
				b.Fatal(err)
			}
			opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field)
			for i := 0; i < b.N; i++ {
				runtime.GC()
				debug.FreeOSMemory()
				prover.ResetPeak()
				start := time.Now()
				if _, err := groth16.Prove(ccs, pk, w, opt); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "prove-s")
				b.ReportMetric(prover.PeakGiB(), "peak-GiB")
			}
		})
	}
}
