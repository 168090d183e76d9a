package prover

import (
	"errors"
	"path/filepath"
	"testing"
)

// A compiled circuit stored beside its keys reads back as the same constraint system (its
// digest) and proves; a changed file, another circuit's system, and a circuit with no keys
// are refused (a changed file is replaced when stored again), and none is ErrNotFound.
func TestStoreKeepsTheCompiledCircuit(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ccs := compile(t, &square{})
	k, err := s.Keys("square", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	d := k.Manifest.Digest
	if _, err := s.Compiled("square", d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before it is stored: %v, want ErrNotFound", err)
	}
	if err := s.PutCompiled("square", d, compile(t, &cube{})); !errors.Is(err, ErrChecksum) {
		t.Fatalf("another circuit's system stored under the square's digest: %v, want ErrChecksum", err)
	}
	if err := s.PutCompiled("cube", d, compile(t, &cube{})); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stored without keys: %v, want ErrNotFound", err)
	}
	if err := s.PutCompiled("square", d, ccs); err != nil {
		t.Fatal(err)
	}
	back, err := s.Compiled("square", d)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Digest(back); err != nil || got != d {
		t.Fatalf("read back with digest %s (%v), want %s", got, err, d)
	}
	proveAndVerify(t, back, k)
	if err := s.Check(); err != nil {
		t.Fatalf("check with a compiled circuit stored: %v", err)
	}

	flipByte(t, filepath.Join(s.folder("square", d), compiledFile))
	if _, err := s.Compiled("square", d); !errors.Is(err, ErrChecksum) {
		t.Fatalf("a changed file read: %v, want ErrChecksum", err)
	}
	if err := s.PutCompiled("square", d, ccs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compiled("square", d); err != nil {
		t.Fatalf("a changed file stored again: %v", err)
	}
}
