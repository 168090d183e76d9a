package prover

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
)

var (
	// ErrNotFound: no stored keys for the circuit.
	ErrNotFound = errors.New("no stored keys")
	// ErrChecksum: a stored file whose checksum is not the manifest's.
	ErrChecksum = errors.New("key file checksum mismatch")
	// ErrCeremonyKeys: a setup asked to replace a ceremony's keys.
	ErrCeremonyKeys = errors.New("ceremony keys are kept")
)

const (
	manifestFile = "manifest.json"
	lockFile     = ".lock" // held while the keys are set up (lockFolder)
	pkFile       = "pk.dump"
	vkFile       = "vk.bin"
)

// FileSum is a stored file's SHA-256 and size.
type FileSum struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest describes one stored key pair.
type Manifest struct {
	Circuit      string  `json:"circuit"`
	Curve        string  `json:"curve"`
	Digest       string  `json:"digest"` // SHA-256 of the serialized constraint system
	Constraints  int     `json:"constraints"`
	PublicInputs int     `json:"publicInputs"`
	Development  bool    `json:"development"` // from local randomness: not for production
	SetupSeconds float64 `json:"setupSeconds"`
	// Ceremony is the record of the multi-party ceremony that made the keys (not
	// development keys), nil for keys of a local setup.
	Ceremony  *CeremonyRecord    `json:"ceremony,omitempty"`
	CreatedAt time.Time          `json:"createdAt"`
	Files     map[string]FileSum `json:"files"`
}

// Keys is a circuit's key pair with its manifest. Loaded tells whether it came from the store.
type Keys struct {
	PK       groth16.ProvingKey
	VK       groth16.VerifyingKey
	Manifest *Manifest
	Loaded   bool
}

// Store is a directory of Groth16 keys.
type Store struct {
	Dir string
	Log *slog.Logger
	// ForceSetup makes Keys run the setup even for stored keys (isthmus setup --force).
	ForceSetup bool
	// OnSetup, if set, is told when a setup starts, with its estimated duration; the
	// function it returns is called when the setup ends (a progress display).
	OnSetup func(circuit string, expect time.Duration) (done func())
}

// DefaultDir is $ISTHMUS_KEY_DIR, or isthmus/keys in the user's cache directory.
func DefaultDir() (string, error) {
	if d := os.Getenv("ISTHMUS_KEY_DIR"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("key store: no cache directory (set ISTHMUS_KEY_DIR): %w", err)
	}
	return filepath.Join(c, "isthmus", "keys"), nil
}

func (s *Store) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Digest is the SHA-256 of a compiled constraint system's serialization.
func Digest(ccs constraint.ConstraintSystem) (string, error) {
	h := sha256.New()
	if _, err := ccs.WriteTo(h); err != nil {
		return "", fmt.Errorf("digest constraint system: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Store) folder(name, digest string) string {
	return filepath.Join(s.Dir, FolderName(name, digest))
}

// FolderName is the name of the folder of a circuit's keys in a store.
func FolderName(name, digest string) string { return name + "-" + digest[:16] }

// ManifestFile is the name of a key folder's manifest.
const ManifestFile = manifestFile

// Folder is where the store keeps the keys a manifest describes.
func (s *Store) Folder(m *Manifest) string { return s.folder(m.Circuit, m.Digest) }

// CheckFile checks a file against its checksum in a manifest, naming it when it differs.
func CheckFile(path string, want FileSum) error { return checkFile(path, want) }

// Keys returns the keys of circuit name compiled as ccs: the stored ones if their digest and
// checksums match, else new ones from a Groth16 setup, which it stores. force re-runs setup.
func (s *Store) Keys(name string, ccs constraint.ConstraintSystem, force bool) (*Keys, error) {
	digest, err := Digest(ccs)
	if err != nil {
		return nil, err
	}
	reuse := !force && !s.ForceSetup
	if reuse {
		k, err := s.load(name, digest, ccs)
		if !errors.Is(err, ErrNotFound) {
			return k, err
		}
	}
	unlock, err := s.lockFolder(name, digest)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if reuse { // another process may have set it up while this one waited for the lock
		k, err := s.load(name, digest, ccs)
		if !errors.Is(err, ErrNotFound) {
			return k, err
		}
	}
	return s.setup(name, digest, ccs)
}

// Ensure makes sure the store holds keys of circuit name compiled as ccs, running the setup
// if it does not, and returns them without the proving key (Load reads it when it is
// needed): the verifying key, checked against the manifest, and the manifest.
func (s *Store) Ensure(name string, ccs constraint.ConstraintSystem) (*Keys, error) {
	if !s.ForceSetup {
		k, err := s.Verifying(name, ccs)
		if !errors.Is(err, ErrNotFound) {
			return k, err
		}
	}
	digest, err := Digest(ccs)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockFolder(name, digest)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !s.ForceSetup { // set up by another process while this one waited for the lock
		k, err := s.Verifying(name, ccs)
		if !errors.Is(err, ErrNotFound) {
			return k, err
		}
	}
	k, err := s.setup(name, digest, ccs)
	if err != nil {
		return nil, err
	}
	k.PK = nil
	return k, nil
}

// Verifying returns the stored verifying key of circuit name compiled as ccs, checked
// against its manifest, with the manifest; ErrNotFound if the store holds no keys of it.
func (s *Store) Verifying(name string, ccs constraint.ConstraintSystem) (*Keys, error) {
	digest, err := Digest(ccs)
	if err != nil {
		return nil, err
	}
	dir := s.folder(name, digest)
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Digest != digest {
		return nil, fmt.Errorf("%w: %s holds keys of digest %s, want %s", ErrChecksum, dir, m.Digest, digest)
	}
	curve, err := CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	if err := checkFile(filepath.Join(dir, vkFile), m.Files[vkFile]); err != nil {
		return nil, err
	}
	vk := groth16.NewVerifyingKey(curve)
	if err := readWith(filepath.Join(dir, vkFile), func(r io.Reader) error { _, err := vk.ReadFrom(r); return err }); err != nil {
		return nil, fmt.Errorf("load verifying key: %w", err)
	}
	return &Keys{VK: vk, Manifest: m, Loaded: true}, nil
}

// CheckCircuit checks the newest stored keys of circuit name against their manifest: every
// file's checksum, except the proving key's, whose size only is checked here (Load checks
// its checksum as it reads it). It returns ErrNotFound when the store holds no keys of that
// name, and ErrChecksum naming the file that does not match.
func (s *Store) CheckCircuit(name string) (*Manifest, error) {
	m, err := s.newest(name)
	if err != nil {
		return nil, err
	}
	dir := s.folder(m.Circuit, m.Digest)
	for f, sum := range m.Files {
		path := filepath.Join(dir, f)
		if f != pkFile {
			if err := checkFile(path, sum); err != nil {
				return nil, err
			}
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrChecksum, path, err)
		}
		if fi.Size() != sum.Size {
			return nil, fmt.Errorf("%w: %s has %d bytes, manifest says %d", ErrChecksum, path, fi.Size(), sum.Size)
		}
	}
	return m, nil
}

// newest is the manifest of the newest stored keys of circuit name.
func (s *Store) newest(name string) (*Manifest, error) {
	ms, err := s.List()
	if err != nil {
		return nil, err
	}
	var m *Manifest
	for _, c := range ms {
		if c.Circuit == name && (m == nil || c.CreatedAt.After(m.CreatedAt)) {
			m = c
		}
	}
	if m == nil {
		return nil, fmt.Errorf("%w: no keys of circuit %q in %s (run 'isthmus setup')", ErrNotFound, name, s.Dir)
	}
	return m, nil
}

// Has reports whether the store holds keys of circuit name compiled as ccs (a manifest of
// its digest; Load checks the files).
func (s *Store) Has(name string, ccs constraint.ConstraintSystem) bool {
	digest, err := Digest(ccs)
	if err != nil {
		return false
	}
	m, err := readManifest(s.folder(name, digest))
	return err == nil && m.Digest == digest
}

// Load returns the stored keys of circuit name compiled as ccs, ErrNotFound if there are
// none, ErrChecksum if a file does not match its manifest.
func (s *Store) Load(name string, ccs constraint.ConstraintSystem) (*Keys, error) {
	digest, err := Digest(ccs)
	if err != nil {
		return nil, err
	}
	return s.load(name, digest, ccs)
}

// CurveOf is the curve a compiled constraint system is over.
func CurveOf(ccs constraint.ConstraintSystem) (ecc.ID, error) {
	c, ok := ccs.(interface{ CurveID() ecc.ID })
	if !ok {
		return ecc.UNKNOWN, fmt.Errorf("key store: constraint system %T names no curve", ccs)
	}
	return c.CurveID(), nil
}

func (s *Store) load(name, digest string, ccs constraint.ConstraintSystem) (*Keys, error) {
	curve, err := CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	dir := s.folder(name, digest)
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Digest != digest {
		return nil, fmt.Errorf("%w: %s holds keys of digest %s, want %s", ErrChecksum, dir, m.Digest, digest)
	}
	for _, f := range []string{pkFile, vkFile} {
		if err := checkFile(filepath.Join(dir, f), m.Files[f]); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	pk := groth16.NewProvingKey(curve)
	if err := readWith(filepath.Join(dir, pkFile), pk.ReadDump); err != nil {
		return nil, fmt.Errorf("load proving key: %w", err)
	}
	vk := groth16.NewVerifyingKey(curve)
	if err := readWith(filepath.Join(dir, vkFile), func(r io.Reader) error { _, err := vk.ReadFrom(r); return err }); err != nil {
		return nil, fmt.Errorf("load verifying key: %w", err)
	}
	s.log().Info("keys loaded", "circuit", name, "digest", digest[:16], "seconds", time.Since(start).Seconds(), "development", m.Development)
	return &Keys{PK: pk, VK: vk, Manifest: m, Loaded: true}, nil
}

func (s *Store) setup(name, digest string, ccs constraint.ConstraintSystem) (*Keys, error) {
	curve, err := CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	if m, err := readManifest(s.folder(name, digest)); err == nil && m.Ceremony != nil {
		return nil, fmt.Errorf("%w: the keys of %s come from ceremony %s; a setup would replace them with development keys: remove them first ('isthmus keys remove %s')",
			ErrCeremonyKeys, name, m.Ceremony.Transcript, name)
	}
	n := ccs.GetNbConstraints()
	s.log().Info("running Groth16 setup: development keys from local randomness", "circuit", name,
		"constraints", n, "curve", curve.String(), "expect", estimate(curve, n).String())
	start := time.Now()
	var done func()
	if s.OnSetup != nil {
		done = s.OnSetup(name, estimate(curve, n))
	}
	pk, vk, err := groth16.Setup(ccs)
	if done != nil {
		done()
	}
	if err != nil {
		return nil, fmt.Errorf("setup %s: %w", name, err)
	}
	seconds := time.Since(start).Seconds()
	s.log().Info("setup done", "circuit", name, "seconds", seconds)
	return s.put(name, digest, ccs, pk, vk, Manifest{Development: true, SetupSeconds: seconds})
}

// Put stores keys of circuit name compiled as ccs that were made elsewhere: a ceremony's
// (prover/ceremony), whose record m carries; m's circuit, curve, digest, sizes and files are
// filled in here. The caller vouches for the keys: put only keys it has verified.
func (s *Store) Put(name string, ccs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey, m Manifest) (*Keys, error) {
	digest, err := Digest(ccs)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockFolder(name, digest)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.put(name, digest, ccs, pk, vk, m)
}

func (s *Store) put(name, digest string, ccs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey, m Manifest) (*Keys, error) {
	curve, err := CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	m.Circuit, m.Curve, m.Digest = name, curve.String(), digest
	m.Constraints, m.PublicInputs = ccs.GetNbConstraints(), vk.NbPublicWitness()
	m.CreatedAt, m.Files = time.Now().UTC(), map[string]FileSum{}
	dir := s.folder(name, digest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	for f, write := range map[string]func(io.Writer) error{
		pkFile: pk.WriteDump,
		vkFile: func(w io.Writer) error { _, err := vk.WriteTo(w); return err },
	} {
		sum, err := writeAtomic(filepath.Join(dir, f), write)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", f, err)
		}
		m.Files[f] = sum
	}
	if err := s.writeManifest(dir, &m); err != nil {
		return nil, err
	}
	return &Keys{PK: pk, VK: vk, Manifest: &m}, nil
}

// estimate is a rough setup time on 2 cores, from measured seconds per million constraints:
// BLS12-377 ~240, BN254 ~170, BW6-761 ~1,100.
func estimate(curve ecc.ID, constraints int) time.Duration {
	perMillion := map[ecc.ID]float64{ecc.BN254: 170, ecc.BW6_761: 1100}[curve]
	if perMillion == 0 {
		perMillion = 240
	}
	return time.Duration(float64(constraints)/1_000_000*perMillion) * time.Second
}

// List returns the manifests of every stored key pair, by circuit name.
func (s *Store) List() ([]*Manifest, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	var out []*Manifest
	for _, e := range entries {
		if !e.IsDir() { // a link to a folder of keys counts
			if fi, err := os.Stat(filepath.Join(s.Dir, e.Name())); err != nil || !fi.IsDir() {
				continue
			}
		}
		m, err := readManifest(filepath.Join(s.Dir, e.Name()))
		if err != nil {
			continue // an incomplete setup: no manifest yet
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Circuit < out[j].Circuit })
	return out, nil
}

// Check verifies every stored file against its manifest.
func (s *Store) Check() error {
	ms, err := s.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range ms {
		dir := s.folder(m.Circuit, m.Digest)
		for f, sum := range m.Files {
			errs = append(errs, checkFile(filepath.Join(dir, f), sum))
		}
	}
	return errors.Join(errs...)
}

// Remove deletes the stored keys of a circuit name (every digest of it).
func (s *Store) Remove(name string) error {
	ms, err := s.List()
	if err != nil {
		return err
	}
	removed := 0
	for _, m := range ms {
		if m.Circuit == name {
			if err := os.RemoveAll(s.folder(m.Circuit, m.Digest)); err != nil {
				return fmt.Errorf("key store: %w", err)
			}
			removed++
		}
	}
	if removed == 0 {
		return fmt.Errorf("%w for %q", ErrNotFound, name)
	}
	return nil
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNotFound, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("key store: manifest %s: %w", dir, err)
	}
	return &m, nil
}

func checkFile(path string, want FileSum) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrChecksum, path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("key store: read %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 || n != want.Size {
		return fmt.Errorf("%w: %s has sha256 %s (%d bytes), manifest says %s (%d bytes): remove it or set up again with --force",
			ErrChecksum, path, got, n, want.SHA256, want.Size)
	}
	return nil
}

func readWith(path string, read func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return read(f)
}

// writeAtomic writes a file through a temporary name, so a crash never leaves half a key.
func writeAtomic(path string, write func(io.Writer) error) (FileSum, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return FileSum{}, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(tmp, h)}
	if err := write(cw); err != nil {
		tmp.Close()
		return FileSum{}, err
	}
	if err := tmp.Close(); err != nil {
		return FileSum{}, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return FileSum{}, err
	}
	return FileSum{SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Attach stores a file derived from a circuit's keys (such as its exported Solidity
// verifier) beside them, with its checksum in their manifest; `keys check` verifies it.
func (s *Store) Attach(k *Keys, file string, data []byte) error {
	if file == pkFile || file == vkFile || file == manifestFile || file == lockFile || filepath.Base(file) != file {
		return fmt.Errorf("key store: cannot attach %q", file)
	}
	m := k.Manifest
	dir := s.folder(m.Circuit, m.Digest)
	sum, err := writeAtomic(filepath.Join(dir, file), func(w io.Writer) error { _, err := w.Write(data); return err })
	if err != nil {
		return fmt.Errorf("store %s: %w", file, err)
	}
	m.Files[file] = sum
	return s.writeManifest(dir, m)
}

// Attached reads a file attached to a circuit's keys (Attach), checked against the checksum
// their manifest keeps; ErrNotFound if no such file is attached.
func (s *Store) Attached(k *Keys, file string) ([]byte, error) {
	m := k.Manifest
	sum, ok := m.Files[file]
	if !ok || file == pkFile || file == vkFile {
		return nil, fmt.Errorf("%w: %s attached to %s", ErrNotFound, file, m.Circuit)
	}
	path := filepath.Join(s.folder(m.Circuit, m.Digest), file)
	if err := checkFile(path, sum); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func (s *Store) writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if _, err := writeAtomic(filepath.Join(dir, manifestFile), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("store manifest: %w", err)
	}
	return nil
}

// VerifyingKey loads the verifying key of the newest stored keys of circuit name, after
// checking it against its manifest, without compiling the circuit or reading its proving
// key. It returns ErrNotFound when the store holds no keys of that name.
func (s *Store) VerifyingKey(name string) (groth16.VerifyingKey, *Manifest, error) {
	m, err := s.newest(name)
	if err != nil {
		return nil, nil, err
	}
	curve, err := curveOf(m)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(s.folder(m.Circuit, m.Digest), vkFile)
	if err := checkFile(path, m.Files[vkFile]); err != nil {
		return nil, nil, err
	}
	vk := groth16.NewVerifyingKey(curve)
	if err := readWith(path, func(r io.Reader) error { _, err := vk.ReadFrom(r); return err }); err != nil {
		return nil, nil, fmt.Errorf("load verifying key: %w", err)
	}
	return vk, m, nil
}

// curveOf is the curve a manifest names.
func curveOf(m *Manifest) (ecc.ID, error) {
	curve, ok := map[string]ecc.ID{ecc.BN254.String(): ecc.BN254, ecc.BLS12_377.String(): ecc.BLS12_377, ecc.BW6_761.String(): ecc.BW6_761}[m.Curve]
	if !ok {
		return ecc.UNKNOWN, fmt.Errorf("%w: %s: unknown curve %q", ErrChecksum, m.Circuit, m.Curve)
	}
	return curve, nil
}
