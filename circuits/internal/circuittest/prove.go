package circuittest

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/prover"
)

// Leaf is a BLS12-377 leaf to prove: its compiled circuit, its proving key, its assignment.
type Leaf struct {
	Name       string
	CCS        constraint.ConstraintSystem
	PK         groth16.ProvingKey
	Assignment frontend.Circuit
}

// ReportLeafProofs proves leaves one after another, as the aggregation verifies them (the
// prover options of a BW6-761 recursion), from a collected heap, and reports their number,
// their constraints, the proving seconds summed and the peak memory; it returns the seconds.
func ReportLeafProofs(b *testing.B, leaves []Leaf) float64 {
	b.Helper()
	field := ecc.BLS12_377.ScalarField()
	opt := stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field)
	runtime.GC()
	debug.FreeOSMemory()
	prover.ResetPeak()
	var seconds float64
	constraints := 0
	for _, l := range leaves {
		w, err := frontend.NewWitness(l.Assignment, field)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := groth16.Prove(l.CCS, l.PK, w, opt); err != nil {
			b.Fatalf("%s: %v", l.Name, err)
		}
		seconds += time.Since(start).Seconds()
		constraints += l.CCS.GetNbConstraints()
	}
	b.ReportMetric(float64(len(leaves)), "proofs")
	b.ReportMetric(float64(constraints), "constraints")
	b.ReportMetric(seconds, "prove-s")
	b.ReportMetric(prover.PeakGiB(), "peak-GiB")
	return seconds
}
