package prover

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
)

// compiledFile holds a circuit's compiled constraint system beside its keys. It needs no
// entry in the manifest: its SHA-256 is the digest that names the folder.
const compiledFile = "circuit.r1cs"

// PutCompiled stores the compiled constraint system of digest beside its keys, unless it is
// stored already: a process that compiled the circuit once (and so knows its digest) reads it
// back in seconds where a compile takes minutes (the wrap's: ~1.5 minutes on 2 cores).
func (s *Store) PutCompiled(name, digest string, ccs constraint.ConstraintSystem) error {
	dir := s.folder(name, digest)
	if _, err := readManifest(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, compiledFile)
	if fileDigest(path) == digest {
		return nil // stored already (a file that is not the digest's is replaced)
	}
	sum, err := writeAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if _, err := ccs.WriteTo(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("key store: store the compiled %s: %w", name, err)
	}
	if sum.SHA256 != digest {
		os.Remove(path)
		return fmt.Errorf("%w: the compiled %s serializes to %s, not its digest %s", ErrChecksum, name, sum.SHA256, digest)
	}
	return nil
}

// Compiled reads the compiled constraint system of digest stored beside its keys
// (PutCompiled), checked against the digest: ErrNotFound if none is stored.
func (s *Store) Compiled(name, digest string) (constraint.ConstraintSystem, error) {
	m, err := readManifest(s.folder(name, digest))
	if err != nil {
		return nil, err
	}
	curve, err := curveOf(m)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(s.folder(name, digest), compiledFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no compiled %s stored", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	defer f.Close()
	// Read and hashed in one pass; nothing read is used unless the whole file is the digest's.
	h := sha256.New()
	r := io.TeeReader(bufio.NewReaderSize(f, 1<<20), h)
	ccs := groth16.NewCS(curve)
	if _, err := ccs.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrChecksum, path, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, fmt.Errorf("key store: read %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return nil, fmt.Errorf("%w: %s is not the constraint system of digest %s", ErrChecksum, path, digest)
	}
	return ccs, nil
}

// fileDigest is the SHA-256 of a file, or "" if it cannot be read.
func fileDigest(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
