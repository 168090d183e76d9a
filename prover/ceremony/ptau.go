package ceremony

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	cryptompc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	mpcbn254 "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// SourcePtau names a phase 1 read from a snarkjs powers-of-tau file (CeremonyRecord's
// Phase1Source).
const SourcePtau = "ptau"

// ErrPtau: a file that is not a BN254 powers-of-tau file snarkjs wrote, or whose powers
// are not powers of one τ.
var ErrPtau = errors.New("not a usable snarkjs powers-of-tau file")

// ptau section types (snarkjs's binary format: "ptau", a version, then sections of a type
// and a size).
const (
	ptauHeader     = 1
	ptauTauG1      = 2
	ptauTauG2      = 3
	ptauAlphaTauG1 = 4
	ptauBetaTauG1  = 5
	ptauBetaG2     = 6
)

// ReadPtau reads BN254's phase 1 from a snarkjs powers-of-tau file: the Perpetual Powers of
// Tau (or Hermez's "final" files, prepared for phase 2 or not, whose extra sections are
// skipped), sealed by its own beacon and verified by its own tools (`snarkjs powersoftau
// verify`). This reads the powers (τⁱ in both groups, ατⁱ, βτⁱ, β), checks every point is on
// its curve and in its subgroup, and checks with random linear combinations that they are
// the powers of one τ and one α and β (what a phase-1 contribution's verification checks);
// it does not replay the file's own contributions. The transcript's one hash is the file's.
func ReadPtau(path string) (*SRS, *Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: %w", err)
	}
	defer f.Close()
	sum := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, sum), 1<<20)
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || string(head[:4]) != "ptau" {
		return nil, nil, fmt.Errorf("%w: %s does not start with \"ptau\"", ErrPtau, path)
	}
	sections := binary.LittleEndian.Uint32(head[8:])
	var c mpcbn254.SrsCommons
	power, seen := -1, map[uint32]bool{}
	for i := uint32(0); i < sections; i++ {
		var sh [12]byte
		if _, err := io.ReadFull(r, sh[:]); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: section %d: %v", ErrPtau, path, i, err)
		}
		typ, size := binary.LittleEndian.Uint32(sh[:4]), binary.LittleEndian.Uint64(sh[4:])
		if seen[typ] {
			return nil, nil, fmt.Errorf("%w: %s: section %d twice", ErrPtau, path, typ)
		}
		seen[typ] = true
		if typ != ptauHeader && (typ < ptauTauG1 || typ > ptauBetaG2) {
			if _, err := io.CopyN(io.Discard, r, int64(size)); err != nil { // contributions, Lagrange bases
				return nil, nil, fmt.Errorf("%w: %s: section %d: %v", ErrPtau, path, typ, err)
			}
			continue
		}
		if typ != ptauHeader && power < 0 {
			return nil, nil, fmt.Errorf("%w: %s: section %d before the header", ErrPtau, path, typ)
		}
		n := 1 << max(power, 0)
		want := map[uint32]uint64{ptauTauG1: uint64(2*n-1) * 64, ptauTauG2: uint64(n) * 128, ptauAlphaTauG1: uint64(n) * 64,
			ptauBetaTauG1: uint64(n) * 64, ptauBetaG2: 128}[typ]
		if typ != ptauHeader && size != want {
			return nil, nil, fmt.Errorf("%w: %s: section %d of %d bytes, want %d for 2^%d powers", ErrPtau, path, typ, size, want, power)
		}
		switch typ {
		case ptauHeader:
			if power, err = readPtauHeader(r, size); err != nil {
				return nil, nil, fmt.Errorf("%w: %s: %v", ErrPtau, path, err)
			}
		case ptauTauG1:
			c.G1.Tau, err = readG1s(r, 2*n-1)
		case ptauTauG2:
			c.G2.Tau, err = readG2s(r, n)
		case ptauAlphaTauG1:
			c.G1.AlphaTau, err = readG1s(r, n)
		case ptauBetaTauG1:
			c.G1.BetaTau, err = readG1s(r, n)
		case ptauBetaG2:
			var b []bn254.G2Affine
			if b, err = readG2s(r, 1); err == nil {
				c.G2.Beta = b[0]
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: section %d: %v", ErrPtau, path, typ, err)
		}
	}
	for typ := uint32(ptauHeader); typ <= ptauBetaG2; typ++ {
		if !seen[typ] {
			return nil, nil, fmt.Errorf("%w: %s: no section %d", ErrPtau, path, typ)
		}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, nil, fmt.Errorf("%w: %s: bytes after the last section", ErrPtau, path)
	}
	if err := checkPowers(&c); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrPtau, path, err)
	}
	s, err := newSRS(ecc.BN254, &c)
	if err != nil {
		return nil, nil, err
	}
	hash := hex.EncodeToString(sum.Sum(nil))
	return s, &Transcript{Source: SourcePtau, Headers: []Header{{Phase: 1, Curve: ecc.BN254.String(), Power: power}}, Hashes: []string{hash}}, nil
}

func readPtauHeader(r io.Reader, size uint64) (int, error) {
	if size != 4+32+8 {
		return 0, fmt.Errorf("a header of %d bytes (BN254's has 44)", size)
	}
	var h [44]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	q := new(big.Int).SetBytes(reverse(h[4:36]))
	if binary.LittleEndian.Uint32(h[:4]) != 32 || q.Cmp(fp.Modulus()) != 0 {
		return 0, errors.New("not over BN254's base field (snarkjs's bn128)")
	}
	power := int(binary.LittleEndian.Uint32(h[36:40]))
	if power < 1 || power > MaxPower {
		return 0, fmt.Errorf("power %d", power)
	}
	return power, nil
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// readFp reads a base-field element as snarkjs writes it: little-endian, in Montgomery form
// with R = 2²⁵⁶, which is gnark-crypto's in-memory form too.
func readFp(b []byte) (fp.Element, error) {
	var e fp.Element
	if new(big.Int).SetBytes(reverse(b[:32])).Cmp(fp.Modulus()) >= 0 {
		return e, errors.New("a coordinate not below the modulus")
	}
	for i := range e {
		e[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return e, nil
}

func readG1s(r io.Reader, n int) ([]bn254.G1Affine, error) {
	out := make([]bn254.G1Affine, n)
	var b [64]byte
	for i := range out {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		x, err1 := readFp(b[:32])
		y, err2 := readFp(b[32:])
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		out[i] = bn254.G1Affine{X: x, Y: y}
		if !out[i].IsOnCurve() || !out[i].IsInSubGroup() || out[i].IsInfinity() {
			return nil, fmt.Errorf("G1 point %d is not on the curve or not in the group", i)
		}
	}
	return out, nil
}

func readG2s(r io.Reader, n int) ([]bn254.G2Affine, error) {
	out := make([]bn254.G2Affine, n)
	var b [128]byte
	for i := range out {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		var c [4]fp.Element
		for j := range c {
			var err error
			if c[j], err = readFp(b[32*j:]); err != nil {
				return nil, err
			}
		}
		out[i].X.A0, out[i].X.A1, out[i].Y.A0, out[i].Y.A1 = c[0], c[1], c[2], c[3]
		if !out[i].IsOnCurve() || !out[i].IsInSubGroup() || out[i].IsInfinity() {
			return nil, fmt.Errorf("G2 point %d is not on the curve or not in the group", i)
		}
	}
	return out, nil
}

// checkPowers checks that the powers are those of one τ, α, β from the generators: τ⁰ is
// the generator in both groups, consecutive powers share one ratio across both groups and
// the α and β series (gnark-crypto's batched same-ratio check), and [β]₂ matches [β]₁.
func checkPowers(c *mpcbn254.SrsCommons) error {
	_, _, g1, g2 := bn254.Generators()
	if !c.G1.Tau[0].Equal(&g1) || !c.G2.Tau[0].Equal(&g2) {
		return errors.New("τ⁰ is not the generator")
	}
	if err := cryptompc.SameRatioMany(c.G1.Tau, c.G2.Tau, c.G1.AlphaTau, c.G1.BetaTau); err != nil {
		return fmt.Errorf("the powers are not of one τ: %w", err)
	}
	var negG1 bn254.G1Affine
	negG1.Neg(&g1)
	ok, err := bn254.PairingCheck([]bn254.G1Affine{c.G1.BetaTau[0], negG1}, []bn254.G2Affine{g2, c.G2.Beta})
	if err != nil || !ok {
		return errors.New("[β]₂ is not the [β]₁ of βτ⁰")
	}
	return nil
}
