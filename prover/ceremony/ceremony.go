// Package ceremony makes Groth16 keys by a multi-party computation in which one honest
// participant suffices: gnark's mpcsetup (the protocol of Bowe, Gabizon and Miers, 2017) on
// BN254, BLS12-377 and BW6-761, as files handed from one participant to the next.
//
// Phase 1, the powers of tau, is one per curve: its participants each multiply the secret
// τ, α and β by secrets of their own and prove it; a random beacon seals it. Its powers
// serve every circuit on the curve whose domain is no larger. Phase 2 is one per circuit:
// it starts from the sealed powers and the circuit's constraints, its participants multiply
// δ (and the σ of each Pedersen commitment) by theirs, and a second beacon seals it into
// the proving and verifying keys. Verification recomputes both phases' initial states and
// the keys from the files alone: a store takes no key a file merely claims.
//
// A file is a line naming the format, a JSON header (phase, curve, size, circuit, index,
// the contributor's name) and gnark's serialisation of the state; its SHA-256 is the hash a
// contributor publishes. Each contribution's proofs are bound to the hash of the state it
// builds on, so a contribution that skips its predecessor, changes a point, or reuses
// another's proof does not verify.
package ceremony

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"

	"github.com/isthmus-xyz/isthmus/prover"
)

var (
	// ErrFormat: a file that is not a ceremony file of the expected phase, curve or size.
	ErrFormat = errors.New("not a ceremony file")
	// ErrTranscript: files that do not make one verified chain of contributions.
	ErrTranscript = errors.New("ceremony transcript does not verify")
)

// magic opens every ceremony file.
const magic = "isthmus-ceremony/1\n"

// Ext is the extension of ceremony files: a phase's transcript is the folder of them.
const Ext = ".ceremony"

// MaxPower bounds the powers of tau a file may claim (2^28: beyond every circuit here).
const MaxPower = 28

// Header describes a ceremony file.
type Header struct {
	Phase int    `json:"phase"`
	Curve string `json:"curve"`
	// Power: phase 1 holds 2^Power powers of tau; phase 2's circuit has a 2^Power domain.
	Power   int    `json:"power"`
	Circuit string `json:"circuit,omitempty"` // phase 2
	Digest  string `json:"digest,omitempty"`  // phase 2: the constraint system's (prover.Digest)
	// SRS is phase 2's starting point: the SHA-256 of the sealed phase-1 powers, cut to the
	// circuit's domain.
	SRS string `json:"srs,omitempty"`
	// Index is 0 for the initial state, i for the i-th contribution.
	Index       int    `json:"index"`
	Contributor string `json:"contributor,omitempty"`
}

func (h *Header) curve() (ecc.ID, backend, error) {
	for id, b := range backends {
		if id.String() == h.Curve {
			return id, b, nil
		}
	}
	return ecc.UNKNOWN, nil, fmt.Errorf("%w: curve %q (want bn254, bls12_377 or bw6_761)", ErrFormat, h.Curve)
}

// Curve parses a curve's name as the files and the CLI write it.
func Curve(name string) (ecc.ID, error) {
	h := Header{Curve: strings.ToLower(strings.ReplaceAll(name, "-", "_"))}
	id, _, err := h.curve()
	return id, err
}

// writeFile writes a ceremony file and returns its SHA-256 (hex).
func writeFile(path string, h Header, s io.WriterTo) (string, error) {
	hdr, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", fmt.Errorf("ceremony: %w", err)
	}
	defer os.Remove(tmp.Name())
	sum := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(tmp, sum), 1<<20)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(hdr)))
	w.WriteString(magic)
	w.Write(n[:])
	w.Write(hdr)
	if _, err := s.WriteTo(w); err != nil {
		tmp.Close()
		return "", fmt.Errorf("ceremony: write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("ceremony: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("ceremony: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("ceremony: %w", err)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// File is a ceremony file read and checked: its header, its state and its hash.
type File struct {
	Path   string
	Header Header
	Hash   string
	state  state
}

// ReadHeader reads a ceremony file's header alone.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, fmt.Errorf("ceremony: %w", err)
	}
	defer f.Close()
	return readHeader(bufio.NewReader(f), path)
}

func readHeader(r io.Reader, path string) (Header, error) {
	var h Header
	m := make([]byte, len(magic)+4)
	if _, err := io.ReadFull(r, m); err != nil || string(m[:len(magic)]) != magic {
		return h, fmt.Errorf("%w: %s does not start with %q", ErrFormat, path, strings.TrimSpace(magic))
	}
	n := binary.BigEndian.Uint32(m[len(magic):])
	if n > 1<<16 {
		return h, fmt.Errorf("%w: %s: a header of %d bytes", ErrFormat, path, n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return h, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, fmt.Errorf("%w: %s: header: %v", ErrFormat, path, err)
	}
	if _, _, err := h.curve(); err != nil {
		return h, err
	}
	if h.Phase != 1 && h.Phase != 2 || h.Power < 1 || h.Power > MaxPower || h.Index < 0 {
		return h, fmt.Errorf("%w: %s: phase %d, power %d, index %d", ErrFormat, path, h.Phase, h.Power, h.Index)
	}
	return h, nil
}

// Read reads a ceremony file: its header, then its state (gnark checks that every point is
// on its curve and in its subgroup), and the file's hash. Nothing may follow the state.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	defer f.Close()
	sum := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, sum), 1<<20)
	h, err := readHeader(r, path)
	if err != nil {
		return nil, err
	}
	_, b, _ := h.curve()
	st := b.empty(h.Phase)
	if _, err := st.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: %s: bytes after the state", ErrFormat, path)
	}
	return &File{Path: path, Header: h, Hash: hex.EncodeToString(sum.Sum(nil)), state: st}, nil
}

// Files lists a transcript folder's ceremony files by name (their index first: 0000.ceremony,
// 0001.ceremony, …).
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), Ext) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("ceremony: no %s files in %s", Ext, dir)
	}
	return out, nil
}

// FileName is the name of the index-th file of a transcript folder.
func FileName(index int) string { return fmt.Sprintf("%04d%s", index, Ext) }

// powerOf is log2 of a power of two.
func powerOf(n uint64) int { return bits.Len64(n) - 1 }

// InitPhase1 writes phase 1's initial state for 2^power powers of tau on a curve (every
// power τⁱ, ατⁱ, βτⁱ the generator: no secret yet) and returns its hash.
func InitPhase1(path string, curve ecc.ID, power int) (string, error) {
	b, ok := backends[curve]
	if !ok {
		return "", fmt.Errorf("%w: curve %s", ErrFormat, curve)
	}
	if power < 1 || power > MaxPower {
		return "", fmt.Errorf("ceremony: power %d: want 1 to %d", power, MaxPower)
	}
	return writeFile(path, Header{Phase: 1, Curve: curve.String(), Power: power}, b.initial1(1<<power))
}

// Contribution is what a contribution returns: the header written, the hash of the file it
// built on and of the file it wrote (the one its contributor publishes), and how many bytes
// of randomness it drew.
type Contribution struct {
	Header      Header
	Previous    string
	Hash        string
	RandomBytes int64
}

// Contribute reads the latest file of a transcript, adds a contribution (secrets from the
// operating system's randomness, mixed with entropy when given) and writes the next file.
// The secrets live in memory during the call only.
func Contribute(in, out, contributor string, entropy []byte) (*Contribution, error) {
	f, err := Read(in)
	if err != nil {
		return nil, err
	}
	h := f.Header
	h.Index++
	h.Contributor = contributor
	drawn := withEntropy(entropy, f.state.Contribute)
	hash, err := writeFile(out, h, f.state)
	if err != nil {
		return nil, err
	}
	return &Contribution{Header: h, Previous: f.Hash, Hash: hash, RandomBytes: drawn}, nil
}

// randMu serialises the swap of crypto/rand.Reader: gnark's mpcsetup draws its secrets
// (fr.Element.SetRandom) from that reader.
var randMu sync.Mutex

// withEntropy runs f with crypto/rand.Reader mixing the operating system's randomness with
// the contributor's entropy, and returns how many bytes f drew.
func withEntropy(entropy []byte, f func()) int64 {
	randMu.Lock()
	defer randMu.Unlock()
	m := newMixer(rand.Reader, entropy)
	saved := rand.Reader
	rand.Reader = m
	defer func() { rand.Reader = saved }()
	f()
	return m.drawn
}

// mixer is a reader whose every 32-byte block is HMAC-SHA256(key, counter ‖ 32 bytes of
// the source), the key the SHA-256 of the contributor's entropy: its output is
// unpredictable if either the source or the entropy is, and no two blocks repeat.
type mixer struct {
	src     io.Reader
	key     [32]byte
	counter uint64
	buf     []byte
	drawn   int64
}

func newMixer(src io.Reader, entropy []byte) *mixer {
	return &mixer{src: src, key: sha256.Sum256(append([]byte("isthmus ceremony entropy\x00"), entropy...))}
}

func (m *mixer) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(m.buf) == 0 {
			var block [40]byte
			binary.BigEndian.PutUint64(block[:8], m.counter)
			if _, err := io.ReadFull(m.src, block[8:]); err != nil {
				return n, err
			}
			m.counter++
			mac := hmac.New(sha256.New, m.key[:])
			mac.Write(block[:])
			m.buf = mac.Sum(nil)
		}
		c := copy(p[n:], m.buf)
		m.buf = m.buf[c:]
		n += c
	}
	m.drawn += int64(n)
	return n, nil
}

// SRS is phase 1's result: the sealed powers of tau of a curve.
type SRS struct {
	Curve ecc.ID
	Power int
	// Hash is the SHA-256 of the powers' serialisation.
	Hash   string
	commit srs
}

func newSRS(curve ecc.ID, s srs) (*SRS, error) {
	sum := sha256.New()
	if _, err := s.WriteTo(sum); err != nil {
		return nil, err
	}
	return &SRS{Curve: curve, Power: powerOf(uint64(backends[curve].size(s))), Hash: hex.EncodeToString(sum.Sum(nil)), commit: s}, nil
}

// Cut is the powers of a 2^power domain taken from these (the same secrets).
func (s *SRS) Cut(power int) (*SRS, error) {
	if power > s.Power {
		return nil, fmt.Errorf("ceremony: a circuit of domain 2^%d needs phase-1 powers of at least 2^%d; these are 2^%d", power, power, s.Power)
	}
	if power == s.Power {
		return s, nil
	}
	return newSRS(s.Curve, backends[s.Curve].truncate(s.commit, 1<<power))
}

// Transcript is a verified phase: its files' headers and hashes, in order.
type Transcript struct {
	// Source is "" for files of this package, SourcePtau for a powers-of-tau file.
	Source  string
	Headers []Header
	Hashes  []string
}

// verifyChain reads a phase's files in order and verifies each contribution against the
// state before it, starting from initial (recomputed by the verifier, never read). want
// checks each header.
func verifyChain(paths []string, initial state, want func(Header) error) (state, *Transcript, error) {
	if len(paths) < 2 {
		return nil, nil, fmt.Errorf("%w: no contribution after the initial state", ErrTranscript)
	}
	t := &Transcript{}
	prev := initial
	for i, path := range paths {
		var f *File
		var err error
		if i == 0 { // compared byte for byte with the state recomputed here, not decoded
			f, err = readInitial(path, initial)
		} else {
			f, err = Read(path)
		}
		if err != nil {
			return nil, nil, err
		}
		if f.Header.Index != i {
			return nil, nil, fmt.Errorf("%w: %s is contribution %d, expected %d (one file per index, from 0)", ErrTranscript, path, f.Header.Index, i)
		}
		if err := want(f.Header); err != nil {
			return nil, nil, err
		}
		if i > 0 {
			if err := backendOf(f.Header).verify(prev, f.state); err != nil {
				return nil, nil, fmt.Errorf("%w: contribution %d (%s, %s): %v", ErrTranscript, i, path, f.Hash, err)
			}
			prev = f.state
		}
		t.Headers = append(t.Headers, f.Header)
		t.Hashes = append(t.Hashes, f.Hash)
	}
	return prev, t, nil
}

// readInitial reads a transcript's first file, whose state must be initial byte for byte,
// and returns it with initial as its state.
func readInitial(path string, initial state) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	defer f.Close()
	fileSum, bodySum := sha256.New(), sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, fileSum), 1<<20)
	h, err := readHeader(r, path)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(bodySum, r); err != nil {
		return nil, fmt.Errorf("ceremony: %s: %w", path, err)
	}
	wantSum := sha256.New()
	if _, err := initial.WriteTo(wantSum); err != nil {
		return nil, err
	}
	if !bytes.Equal(bodySum.Sum(nil), wantSum.Sum(nil)) {
		return nil, fmt.Errorf("%w: %s is not the initial state this verifier computes", ErrTranscript, path)
	}
	return &File{Path: path, Header: h, Hash: hex.EncodeToString(fileSum.Sum(nil)), state: initial}, nil
}

func backendOf(h Header) backend {
	_, b, _ := h.curve()
	return b
}

// VerifyPhase1 verifies a phase-1 transcript (its files in order, the initial state first)
// and seals it with the beacon: the powers of tau every circuit of the curve starts from.
func VerifyPhase1(paths []string, beacon []byte) (*SRS, *Transcript, error) {
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("%w: no files", ErrTranscript)
	}
	h0, err := ReadHeader(paths[0])
	if err != nil {
		return nil, nil, err
	}
	if h0.Phase != 1 {
		return nil, nil, fmt.Errorf("%w: %s is a phase-%d file", ErrFormat, paths[0], h0.Phase)
	}
	curve, b, err := h0.curve()
	if err != nil {
		return nil, nil, err
	}
	if len(beacon) == 0 {
		return nil, nil, errors.New("ceremony: phase 1 is sealed by a random beacon: none given")
	}
	last, t, err := verifyChain(paths, b.initial1(1<<h0.Power), func(h Header) error {
		if h.Phase != 1 || h.Curve != h0.Curve || h.Power != h0.Power {
			return fmt.Errorf("%w: phase %d on %s at 2^%d among phase-1 files on %s at 2^%d", ErrTranscript, h.Phase, h.Curve, h.Power, h0.Curve, h0.Power)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s, err := newSRS(curve, b.seal1(last, beacon))
	if err != nil {
		return nil, nil, err
	}
	return s, t, nil
}

// circuitOf is a circuit's curve, digest and domain power.
func circuitOf(ccs constraint.ConstraintSystem) (ecc.ID, string, int, error) {
	curve, err := prover.CurveOf(ccs)
	if err != nil {
		return ecc.UNKNOWN, "", 0, err
	}
	digest, err := prover.Digest(ccs)
	if err != nil {
		return ecc.UNKNOWN, "", 0, err
	}
	return curve, digest, powerOf(ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints()))), nil
}

// InitPhase2 writes phase 2's initial state for circuit name compiled as ccs, from phase 1's
// powers (cut to the circuit's domain), and returns its hash. It is the slow step of a
// ceremony (gnark evaluates every wire's polynomials at τ, mostly on one core); every
// verifier repeats it.
func InitPhase2(path, name string, ccs constraint.ConstraintSystem, s *SRS) (string, error) {
	st, _, h, err := initial2(name, ccs, s)
	if err != nil {
		return "", err
	}
	return writeFile(path, h, st)
}

func initial2(name string, ccs constraint.ConstraintSystem, s *SRS) (state, any, Header, error) {
	curve, digest, power, err := circuitOf(ccs)
	if err != nil {
		return nil, nil, Header{}, err
	}
	if curve != s.Curve {
		return nil, nil, Header{}, fmt.Errorf("ceremony: circuit %s is on %s, the powers of tau on %s", name, curve, s.Curve)
	}
	cut, err := s.Cut(power)
	if err != nil {
		return nil, nil, Header{}, fmt.Errorf("circuit %s: %w", name, err)
	}
	st, evals, err := backends[curve].init2(ccs, cut.commit)
	if err != nil {
		return nil, nil, Header{}, err
	}
	return st, evals, Header{Phase: 2, Curve: curve.String(), Power: power, Circuit: name, Digest: digest, SRS: cut.Hash}, nil
}

// Keys are a ceremony's result for one circuit: its keys and the record of what made them.
type Keys struct {
	PK     groth16.ProvingKey
	VK     groth16.VerifyingKey
	Record prover.CeremonyRecord
}

// Finalize verifies a circuit's whole ceremony from its files, phase 1's and phase 2's in
// order, and the two beacons, and computes its keys: phase 2's initial state is recomputed
// from the sealed phase 1 and the circuit compiled here, each contribution verified, and
// the last one sealed.
func Finalize(name string, ccs constraint.ConstraintSystem, phase1 []string, beacon1 []byte, phase2 []string, beacon2 []byte) (*Keys, error) {
	s, t1, err := VerifyPhase1(phase1, beacon1)
	if err != nil {
		return nil, fmt.Errorf("phase 1: %w", err)
	}
	return FinalizeWith(name, ccs, s, t1, beacon1, phase2, beacon2)
}

// FinalizeWith is Finalize from a phase 1 already verified and sealed (VerifyPhase1).
func FinalizeWith(name string, ccs constraint.ConstraintSystem, s *SRS, t1 *Transcript, beacon1 []byte, phase2 []string, beacon2 []byte) (*Keys, error) {
	if len(beacon2) == 0 {
		return nil, errors.New("ceremony: phase 2 is sealed by a random beacon: none given")
	}
	initial, evals, h0, err := initial2(name, ccs, s)
	if err != nil {
		return nil, err
	}
	last, t2, err := verifyChain(phase2, initial, func(h Header) error {
		if h.Phase != 2 || h.Curve != h0.Curve || h.Power != h0.Power || h.Circuit != h0.Circuit || h.Digest != h0.Digest || h.SRS != h0.SRS {
			return fmt.Errorf("%w: a phase-%d file of circuit %q (digest %.16s, powers %.16s) among those of %q (digest %.16s, powers %.16s)",
				ErrTranscript, h.Phase, h.Circuit, h.Digest, h.SRS, h0.Circuit, h0.Digest, h0.SRS)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("phase 2: %w", err)
	}
	pk, vk := backends[s.Curve].seal2(last, s.cutFor(h0.Power), evals, beacon2)
	rec := prover.CeremonyRecord{
		Power: s.Power, Phase1: t1.Hashes, Phase1Source: t1.Source, Phase1Beacon: hex.EncodeToString(beacon1),
		Phase2: t2.Hashes, Beacon: hex.EncodeToString(beacon2),
	}
	for _, t := range []*Transcript{t1, t2} {
		for _, h := range t.Headers[1:] {
			rec.Contributors = append(rec.Contributors, fmt.Sprintf("phase %d #%d %s", h.Phase, h.Index, h.Contributor))
		}
	}
	vkSum := sha256.New()
	if _, err := vk.WriteTo(vkSum); err != nil {
		return nil, err
	}
	rec.VerifyingKey = hex.EncodeToString(vkSum.Sum(nil))
	rec.Transcript = TranscriptHash(rec)
	return &Keys{PK: pk, VK: vk, Record: rec}, nil
}

// Import verifies a circuit's ceremony from its files against a published record (its
// beacons, every file's hash, the verifying key's hash, the transcript hash) and returns the
// keys it recomputes: the only way ceremony keys enter a store ('isthmus keys import').
func Import(name string, ccs constraint.ConstraintSystem, phase1, phase2 []string, want prover.CeremonyRecord) (*Keys, error) {
	b1, err1 := hex.DecodeString(want.Phase1Beacon)
	b2, err2 := hex.DecodeString(want.Beacon)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("ceremony record: a beacon is not hex: %w", err)
	}
	if got := TranscriptHash(want); got != want.Transcript {
		return nil, fmt.Errorf("%w: the record's transcript hash is %s, its contents hash to %s", ErrTranscript, want.Transcript, got)
	}
	var (
		s   *SRS
		t1  *Transcript
		err error
	)
	switch want.Phase1Source {
	case "":
		s, t1, err = VerifyPhase1(phase1, b1)
	case SourcePtau:
		if len(phase1) != 1 {
			return nil, fmt.Errorf("ceremony: phase 1 from a powers-of-tau file: give that one file, not %d", len(phase1))
		}
		s, t1, err = ReadPtau(phase1[0])
	default:
		return nil, fmt.Errorf("ceremony record: phase 1 from %q, which this version does not read", want.Phase1Source)
	}
	if err != nil {
		return nil, fmt.Errorf("phase 1: %w", err)
	}
	k, err := FinalizeWith(name, ccs, s, t1, b1, phase2, b2)
	if err != nil {
		return nil, err
	}
	got := k.Record
	switch {
	case got.VerifyingKey != want.VerifyingKey:
		return nil, fmt.Errorf("%w: the files and beacons give a verifying key of hash %s, the record names %s (another beacon, or other files)", ErrTranscript, got.VerifyingKey, want.VerifyingKey)
	case got.Transcript != want.Transcript:
		return nil, fmt.Errorf("%w: the files hash to transcript %s, the record names %s", ErrTranscript, got.Transcript, want.Transcript)
	}
	return k, nil
}

// cutFor is s cut to a 2^power domain (checked by initial2 already).
func (s *SRS) cutFor(power int) srs {
	c, err := s.Cut(power)
	if err != nil {
		panic(err)
	}
	return c.commit
}

// TranscriptHash is the SHA-256 of a record's hashes and beacons, in order, one per line:
// "phase1 HASH" for each phase-1 file, "beacon1 HEX", "phase2 HASH" for each phase-2 file,
// "beacon2 HEX", "vk HASH" (the verifying key's); a phase 1 read from elsewhere is named
// first ("source1 ptau").
func TranscriptHash(r prover.CeremonyRecord) string {
	var b strings.Builder
	b.WriteString("isthmus ceremony transcript\n")
	if r.Phase1Source != "" {
		fmt.Fprintf(&b, "source1 %s\n", r.Phase1Source)
	}
	for _, h := range r.Phase1 {
		fmt.Fprintf(&b, "phase1 %s\n", h)
	}
	fmt.Fprintf(&b, "beacon1 %s\n", r.Phase1Beacon)
	for _, h := range r.Phase2 {
		fmt.Fprintf(&b, "phase2 %s\n", h)
	}
	fmt.Fprintf(&b, "beacon2 %s\n", r.Beacon)
	fmt.Fprintf(&b, "vk %s\n", r.VerifyingKey)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
