package ceremony

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
)

// chain is a circuit of about N constraints (N squarings) with a commitment, to size a
// ceremony's steps.
type chain struct {
	N     int `gnark:"-"`
	X     frontend.Variable
	Y     frontend.Variable `gnark:",public"`
	Small frontend.Variable
}

func (c *chain) Define(api frontend.API) error {
	x := c.X
	for i := 0; i < c.N; i++ {
		x = api.Add(api.Mul(x, x), i)
	}
	api.AssertIsEqual(x, c.Y)
	rangecheck.New(api).Check(c.Small, 16)
	return nil
}

// BenchmarkCeremony measures each step of a ceremony for a circuit filling a 2^power domain
// on each curve: seconds of a phase-1 contribution and of its verification, of phase 2's
// initialisation (every verifier repeats it), of a phase-2 contribution and of finalising
// (both phases verified, the keys sealed), and each phase's file size.
func BenchmarkCeremony(b *testing.B) {
	power := 13
	for _, curve := range []ecc.ID{ecc.BN254, ecc.BLS12_377, ecc.BW6_761} {
		b.Run(fmt.Sprintf("curve=%s/power=%d", curve, power), func(b *testing.B) {
			ccs, err := frontend.Compile(curve.ScalarField(), r1cs.NewBuilder, &chain{N: 1<<power - 64})
			if err != nil {
				b.Fatal(err)
			}
			if got := ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints())); got != 1<<power {
				b.Fatalf("the circuit's domain is %d, want 2^%d", got, power)
			}
			dir1, dir2 := b.TempDir(), b.TempDir()
			timed := func(f func() error) float64 {
				start := time.Now()
				if err := f(); err != nil {
					b.Fatal(err)
				}
				return time.Since(start).Seconds()
			}
			size := func(path string) float64 {
				fi, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				return float64(fi.Size()) / (1 << 20)
			}
			for i := 0; i < b.N; i++ {
				os.RemoveAll(dir1)
				os.RemoveAll(dir2)
				os.MkdirAll(dir1, 0o755)
				os.MkdirAll(dir2, 0o755)
				p1 := func(i int) string { return filepath.Join(dir1, FileName(i)) }
				p2 := func(i int) string { return filepath.Join(dir2, FileName(i)) }
				if _, err := InitPhase1(p1(0), curve, power); err != nil {
					b.Fatal(err)
				}
				c1 := timed(func() error { _, err := Contribute(p1(0), p1(1), "", nil); return err })
				var s *SRS
				v1 := timed(func() error {
					var err error
					s, _, err = VerifyPhase1([]string{p1(0), p1(1)}, []byte{1})
					return err
				})
				i2 := timed(func() error { _, err := InitPhase2(p2(0), "chain", ccs, s); return err })
				c2 := timed(func() error { _, err := Contribute(p2(0), p2(1), "", nil); return err })
				f := timed(func() error {
					_, err := Finalize("chain", ccs, []string{p1(0), p1(1)}, []byte{1}, []string{p2(0), p2(1)}, []byte{2})
					return err
				})
				b.ReportMetric(c1, "phase1-contribute-s")
				b.ReportMetric(v1, "phase1-verify-s")
				b.ReportMetric(i2, "phase2-init-s")
				b.ReportMetric(c2, "phase2-contribute-s")
				b.ReportMetric(f, "finalize-s")
				b.ReportMetric(size(p1(1)), "phase1-MiB")
				b.ReportMetric(size(p2(1)), "phase2-MiB")
			}
		})
	}
}
