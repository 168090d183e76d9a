package ceremony

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	mpcbn254 "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
)

// cubic proves knowledge of x with x³ + x + 5 = Y, and range-checks a value, which gives
// the circuit a Pedersen commitment as the pipeline's leaves have.
type cubic struct {
	X     frontend.Variable
	Y     frontend.Variable `gnark:",public"`
	Small frontend.Variable
}

func (c *cubic) Define(api frontend.API) error {
	api.AssertIsEqual(api.Add(api.Mul(c.X, c.X, c.X), c.X, 5), c.Y)
	rangecheck.New(api).Check(c.Small, 16)
	return nil
}

func compileCubic(t testing.TB, curve ecc.ID) constraint.ConstraintSystem {
	t.Helper()
	ccs, err := frontend.Compile(curve.ScalarField(), r1cs.NewBuilder, &cubic{})
	if err != nil {
		t.Fatal(err)
	}
	return ccs
}

// party is one contribution to a transcript folder: the next file after the last one.
func party(t testing.TB, dir, name string) *Contribution {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Contribute(files[len(files)-1], filepath.Join(dir, FileName(len(files))), name, []byte("dice rolls of "+name))
	if err != nil {
		t.Fatal(err)
	}
	if c.Previous == c.Hash || len(c.Hash) != 64 || c.RandomBytes == 0 {
		t.Fatalf("contribution of %s: %+v", name, c)
	}
	return c
}

// ceremony runs phase 1 (one power more than the circuit needs, so that phase 2 starts
// from powers cut to its domain) and phase 2 with three parties each, and returns the
// folders.
func ceremony(t testing.TB, curve ecc.ID, ccs constraint.ConstraintSystem) (dir1, dir2 string, srs *SRS) {
	t.Helper()
	root := t.TempDir()
	dir1, dir2 = filepath.Join(root, "phase1"), filepath.Join(root, "phase2")
	for _, d := range []string{dir1, dir2} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, _, power, err := circuitOf(ccs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InitPhase1(filepath.Join(dir1, FileName(0)), curve, power+1); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"alice", "bob", "carol"} {
		party(t, dir1, p)
	}
	files, err := Files(dir1)
	if err != nil {
		t.Fatal(err)
	}
	srs, _, err = VerifyPhase1(files, beacon1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InitPhase2(filepath.Join(dir2, FileName(0)), "cubic", ccs, srs); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"dave", "erin", "frank"} {
		party(t, dir2, p)
	}
	return dir1, dir2, srs
}

var (
	beacon1 = []byte("drand round 1000: 0x5eed1")
	beacon2 = []byte("drand round 2000: 0x5eed2")
)

func files(t testing.TB, dir string) []string {
	t.Helper()
	f, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// proves checks that keys prove and verify a true statement and refuse a false one.
func proves(t *testing.T, curve ecc.ID, ccs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey) {
	t.Helper()
	good, err := frontend.NewWitness(&cubic{X: 3, Y: 35, Small: 1000}, curve.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, good)
	if err != nil {
		t.Fatal(err)
	}
	public, err := good.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, public); err != nil {
		t.Fatalf("a proof under the ceremony's keys does not verify: %v", err)
	}
	other, err := frontend.NewWitness(&cubic{Y: 36}, curve.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, other); err == nil {
		t.Fatal("the proof verifies for another public input")
	}
}

// TestCeremonyThreePartiesOnEachCurve runs a three-party ceremony of a circuit with a
// commitment on each curve of the pipeline; the keys prove and verify, the record names
// every file, and another verifier recomputes the same keys from the files.
func TestCeremonyThreePartiesOnEachCurve(t *testing.T) {
	for _, curve := range []ecc.ID{ecc.BN254, ecc.BLS12_377, ecc.BW6_761} {
		t.Run(curve.String(), func(t *testing.T) {
			ccs := compileCubic(t, curve)
			dir1, dir2, srs := ceremony(t, curve, ccs)
			k, err := Finalize("cubic", ccs, files(t, dir1), beacon1, files(t, dir2), beacon2)
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := ccs.GetCommitments().(constraint.Groth16Commitments); !ok || len(c) != 1 {
				t.Fatalf("the test circuit has commitments %v, want one", ccs.GetCommitments())
			}
			proves(t, curve, ccs, k.PK, k.VK)
			r := k.Record
			if len(r.Phase1) != 4 || len(r.Phase2) != 4 || len(r.Contributors) != 6 || r.Power != srs.Power || r.Transcript != TranscriptHash(r) {
				t.Fatalf("record %+v", r)
			}
			again, err := Import("cubic", ccs, files(t, dir1), files(t, dir2), r)
			if err != nil {
				t.Fatalf("a second verifier: %v", err)
			}
			var a, b bytes.Buffer
			k.VK.WriteTo(&a)
			again.VK.WriteTo(&b)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two verifications of one transcript give different keys")
			}
		})
	}
}

// rewrite reads a ceremony file, lets edit change its header or state, and writes it back
// (or to another path).
func rewrite(t testing.TB, from, to string, edit func(*Header, state)) {
	t.Helper()
	f, err := Read(from)
	if err != nil {
		t.Fatal(err)
	}
	edit(&f.Header, f.state)
	if _, err := writeFile(to, f.Header, f.state); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies a transcript folder, for a test to spoil.
func copyDir(t testing.TB, dir string) string {
	t.Helper()
	out := t.TempDir()
	for _, f := range files(t, dir) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCeremonyRefusesBadTranscripts spoils an honest BN254 transcript one way at a time:
// each must be refused, by the file's format or by the contribution's proofs.
func TestCeremonyRefusesBadTranscripts(t *testing.T) {
	curve := ecc.BN254
	ccs := compileCubic(t, curve)
	dir1, dir2, _ := ceremony(t, curve, ccs)
	honest, err := Finalize("cubic", ccs, files(t, dir1), beacon1, files(t, dir2), beacon2)
	if err != nil {
		t.Fatal(err)
	}
	_, _, g1, _ := bn254Generators()

	type spoil struct {
		phase int
		edit  func(t *testing.T, dir string)
		want  error
	}
	cases := map[string]spoil{
		"phase 1: a point of a contribution replaced by another on the curve": {1, func(t *testing.T, dir string) {
			// The file ends with [ατᴺ⁻¹]₁ (32 bytes compressed), then the challenge (a 1-byte
			// length and 32 bytes): put the generator in that point's place.
			path := filepath.Join(dir, FileName(2))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			gen := g1.Bytes()
			copy(data[len(data)-33-32:], gen[:])
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrTranscript},
		"phase 1: a contribution that skips the one before it": {1, func(t *testing.T, dir string) {
			skipped := filepath.Join(t.TempDir(), "skip"+Ext)
			if _, err := Contribute(filepath.Join(dir, FileName(1)), skipped, "mallory", nil); err != nil {
				t.Fatal(err)
			}
			rewrite(t, skipped, filepath.Join(dir, FileName(3)), func(h *Header, _ state) { h.Index = 3 })
		}, ErrTranscript},
		"phase 1: a contribution replayed as the next one": {1, func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, FileName(3)), filepath.Join(dir, FileName(4)), func(h *Header, _ state) { h.Index = 4 })
		}, ErrTranscript},
		"phase 1: a file left out": {1, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, FileName(2)))
		}, ErrTranscript},
		"phase 1: a file cut short": {1, func(t *testing.T, dir string) {
			path := filepath.Join(dir, FileName(3))
			data, _ := os.ReadFile(path)
			os.WriteFile(path, data[:len(data)-40], 0o644)
		}, ErrFormat},
		"phase 2: δ's G1 point doubled": {2, func(t *testing.T, dir string) {
			p := filepath.Join(dir, FileName(2))
			rewrite(t, p, p, func(_ *Header, s state) {
				d := &s.(*mpcsetupBN254Phase2).Parameters.G1.Delta
				d.Double(d)
			})
		}, ErrTranscript},
		"phase 2: a private wire's key moved by the generator": {2, func(t *testing.T, dir string) {
			p := filepath.Join(dir, FileName(3))
			rewrite(t, p, p, func(_ *Header, s state) {
				k := &s.(*mpcsetupBN254Phase2).Parameters.G1.PKK[0]
				k.Add(k, &g1)
			})
		}, ErrTranscript},
		"phase 2: a commitment's σ changed": {2, func(t *testing.T, dir string) {
			p := filepath.Join(dir, FileName(1))
			rewrite(t, p, p, func(_ *Header, s state) {
				k := &s.(*mpcsetupBN254Phase2).Parameters.G1.SigmaCKK[0][0]
				k.Double(k)
			})
		}, ErrTranscript},
		"phase 2: an initial state that is not the circuit's": {2, func(t *testing.T, dir string) {
			p := filepath.Join(dir, FileName(0))
			rewrite(t, p, p, func(_ *Header, s state) {
				k := &s.(*mpcsetupBN254Phase2).Parameters.G1.PKK[1]
				k.Add(k, &g1)
			})
		}, ErrTranscript},
		"phase 2: a file of another circuit": {2, func(t *testing.T, dir string) {
			p := filepath.Join(dir, FileName(3))
			rewrite(t, p, p, func(h *Header, _ state) { h.Circuit = "other" })
		}, ErrTranscript},
		"phase 2: not a ceremony file": {2, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, FileName(2)), []byte("{}"), 0o644)
		}, ErrFormat},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d1, d2 := dir1, dir2
			if c.phase == 1 {
				d1 = copyDir(t, dir1)
				c.edit(t, d1)
			} else {
				d2 = copyDir(t, dir2)
				c.edit(t, d2)
			}
			_, err := Finalize("cubic", ccs, files(t, d1), beacon1, files(t, d2), beacon2)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			_, err = Import("cubic", ccs, files(t, d1), files(t, d2), honest.Record)
			if err == nil {
				t.Fatal("imported")
			}
		})
	}

	t.Run("a beacon other than the record's", func(t *testing.T) {
		r := honest.Record
		r.Beacon = "00" + r.Beacon
		r.Transcript = TranscriptHash(r) // a record consistent in itself, its keys another beacon's
		if _, err := Import("cubic", ccs, files(t, dir1), files(t, dir2), r); !errors.Is(err, ErrTranscript) {
			t.Fatalf("err = %v", err)
		}
		r = honest.Record
		r.Phase1Beacon = "ff"
		if _, err := Import("cubic", ccs, files(t, dir1), files(t, dir2), r); !errors.Is(err, ErrTranscript) {
			t.Fatalf("a record whose transcript hash does not cover its beacon: err = %v", err)
		}
		other, err := Finalize("cubic", ccs, files(t, dir1), beacon1, files(t, dir2), []byte("another beacon"))
		if err != nil {
			t.Fatal(err)
		}
		if other.Record.VerifyingKey == honest.Record.VerifyingKey {
			t.Fatal("another beacon seals the same verifying key")
		}
	})
	t.Run("no beacon", func(t *testing.T) {
		if _, err := Finalize("cubic", ccs, files(t, dir1), nil, files(t, dir2), beacon2); err == nil {
			t.Fatal("phase 1 sealed without a beacon")
		}
		if _, err := Finalize("cubic", ccs, files(t, dir1), beacon1, files(t, dir2), nil); err == nil {
			t.Fatal("phase 2 sealed without a beacon")
		}
	})
	t.Run("the initial state alone", func(t *testing.T) {
		if _, _, err := VerifyPhase1(files(t, dir1)[:1], beacon1); !errors.Is(err, ErrTranscript) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a circuit larger than the powers", func(t *testing.T) {
		big := files(t, dir1)
		s, _, err := VerifyPhase1(big, beacon1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cut(s.Power + 1); err == nil {
			t.Fatal("powers cut to a larger domain")
		}
	})
}

// TestCeremonyMixesEntropy checks the reader a contribution draws from: the same source
// bytes give other output under other entropy, blocks never repeat even from a constant
// source, and a contribution draws through it.
func TestCeremonyMixesEntropy(t *testing.T) {
	zeros := func() *mixer { return newMixer(bytes.NewReader(make([]byte, 1<<12)), []byte("a")) }
	read := func(m *mixer, n int) []byte {
		out := make([]byte, n)
		if _, err := m.Read(out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := read(zeros(), 64)
	b := read(newMixer(bytes.NewReader(make([]byte, 1<<12)), []byte("b")), 64)
	if bytes.Equal(a, b) {
		t.Fatal("other entropy, same output")
	}
	if bytes.Equal(a[:32], a[32:]) {
		t.Fatal("a constant source repeats its blocks")
	}
	// Reads of odd sizes give the same stream as one read.
	m := zeros()
	split := append(read(m, 7), read(m, 57)...)
	if !bytes.Equal(split, a) {
		t.Fatal("the stream depends on how it is read")
	}
	dir := t.TempDir()
	if _, err := InitPhase1(filepath.Join(dir, FileName(0)), ecc.BN254, 2); err != nil {
		t.Fatal(err)
	}
	if c := party(t, dir, "alice"); c.RandomBytes < 3*32 {
		t.Fatalf("a contribution drew %d bytes through the mixer, want at least its three secrets", c.RandomBytes)
	}
}

type mpcsetupBN254Phase2 = mpcbn254.Phase2

func bn254Generators() (bn254.G1Jac, bn254.G2Jac, bn254.G1Affine, bn254.G2Affine) {
	return bn254.Generators()
}

// ptauFile is a powers-of-tau file snarkjs 0.7.6 wrote (testdata/ceremony/README.md).
var ptauFile = filepath.Join("..", "..", "testdata", "ceremony", "snarkjs-bn254-p6.ptau")

// TestCeremonyFromPowersOfTau starts BN254's phase 2 from a snarkjs powers-of-tau file: the
// keys prove and verify, the record names the file, a second verifier imports them; a file
// whose point is off the curve, whose powers are out of order, or that is cut short is
// refused.
func TestCeremonyFromPowersOfTau(t *testing.T) {
	s, t1, err := ReadPtau(ptauFile)
	if err != nil {
		t.Fatal(err)
	}
	if s.Power != 6 || t1.Source != SourcePtau || len(t1.Hashes) != 1 {
		t.Fatalf("powers 2^%d, transcript %+v", s.Power, t1)
	}
	ccs := compileCubic(t, ecc.BN254)
	dir2 := t.TempDir()
	if _, err := InitPhase2(filepath.Join(dir2, FileName(0)), "cubic", ccs, s); err != nil {
		t.Fatal(err)
	}
	party(t, dir2, "alice")
	party(t, dir2, "bob")
	k, err := FinalizeWith("cubic", ccs, s, t1, nil, files(t, dir2), beacon2)
	if err != nil {
		t.Fatal(err)
	}
	proves(t, ecc.BN254, ccs, k.PK, k.VK)
	if k.Record.Phase1Source != SourcePtau || k.Record.Phase1[0] != t1.Hashes[0] || k.Record.Phase1Beacon != "" {
		t.Fatalf("record %+v", k.Record)
	}
	if _, err := Import("cubic", ccs, []string{ptauFile}, files(t, dir2), k.Record); err != nil {
		t.Fatalf("import: %v", err)
	}
	r := k.Record
	r.Phase1Source = ""
	r.Transcript = TranscriptHash(r)
	if _, err := Import("cubic", ccs, []string{ptauFile}, files(t, dir2), r); err == nil {
		t.Fatal("a powers-of-tau file taken as this package's phase 1")
	}

	data, err := os.ReadFile(ptauFile)
	if err != nil {
		t.Fatal(err)
	}
	// Section 2 (τⁱ in G1) starts after "ptau", the version and count (12 bytes), the header
	// section (12 + 44) and its own section header (12): its points are 64 bytes each.
	g1 := 12 + 12 + 44 + 12
	type spoiled struct {
		edit func([]byte) []byte
		want string
	}
	spoil := map[string]spoiled{
		"a point off the curve": {func(d []byte) []byte { d[g1+64+5] ^= 1; return d }, "G1 point 1"},
		"τ¹ and τ² swapped": {func(d []byte) []byte {
			a := append([]byte(nil), d[g1+64:g1+128]...)
			copy(d[g1+64:g1+128], d[g1+128:g1+192])
			copy(d[g1+128:g1+192], a)
			return d
		}, "not of one τ"},
		"cut short":          {func(d []byte) []byte { return d[:len(d)-100] }, "EOF"},
		"not a ptau file":    {func(d []byte) []byte { return append([]byte("ptaX"), d[4:]...) }, "does not start"},
		"another base field": {func(d []byte) []byte { d[12+12+4] ^= 1; return d }, "base field"},
	}
	for name, c := range spoil {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.ptau")
			if err := os.WriteFile(path, c.edit(append([]byte(nil), data...)), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ReadPtau(path); !errors.Is(err, ErrPtau) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %q", err, c.want)
			}
		})
	}
}
