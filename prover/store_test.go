package prover

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/isthmus-xyz/isthmus/internal/testcircuit"
)

type square = testcircuit.Square

type cube struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

func (c *cube) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.X, c.X), c.Y)
	return nil
}

func compile(t *testing.T, c frontend.Circuit) constraint.ConstraintSystem {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	return ccs
}

// flipByte changes the byte in the middle of a stored file.
func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// proveAndVerify checks that keys prove and verify 3² = 9.
func proveAndVerify(t *testing.T, ccs constraint.ConstraintSystem, k *Keys) {
	t.Helper()
	w, err := frontend.NewWitness(&square{X: 3, Y: 9}, ecc.BLS12_377.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, k.PK, w)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, k.VK, pub); err != nil {
		t.Fatal(err)
	}
}

func TestStoreSetsUpOnceThenLoads(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ccs := compile(t, &square{})
	if s.Has("square", ccs) {
		t.Fatal("an empty store has keys")
	}
	first, err := s.Keys("square", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Loaded || !first.Manifest.Development || first.Manifest.Constraints != ccs.GetNbConstraints() {
		t.Fatalf("first call: loaded=%v manifest %+v", first.Loaded, first.Manifest)
	}
	if !s.Has("square", ccs) || s.Has("cube", ccs) {
		t.Fatal("Has does not tell the stored keys")
	}
	second, err := s.Keys("square", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Loaded || second.Manifest.CreatedAt != first.Manifest.CreatedAt {
		t.Fatal("second call did not load the stored keys")
	}
	if second.PK.IsDifferent(first.PK) || second.VK.IsDifferent(first.VK) {
		t.Fatal("loaded keys differ from the stored ones")
	}
	proveAndVerify(t, ccs, second)

	again, err := s.Keys("square", ccs, true)
	if err != nil {
		t.Fatal(err)
	}
	if again.Loaded || !again.VK.IsDifferent(first.VK) {
		t.Fatal("--force did not run a new setup")
	}
	proveAndVerify(t, ccs, again)
}

func TestStoreRefusesATamperedKey(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ccs := compile(t, &square{})
	k, err := s.Keys("square", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := Digest(ccs)
	if err != nil || digest != k.Manifest.Digest {
		t.Fatalf("digest %s (%v), manifest %s", digest, err, k.Manifest.Digest)
	}
	flipByte(t, filepath.Join(s.folder("square", digest), pkFile))
	for name, load := range map[string]func() (*Keys, error){
		"Load": func() (*Keys, error) { return s.Load("square", ccs) },
		"Keys": func() (*Keys, error) { return s.Keys("square", ccs, false) },
	} {
		_, err := load()
		if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), pkFile) {
			t.Errorf("%s of a tampered key: %v, want ErrChecksum naming %s", name, err, pkFile)
		}
	}
	if err := s.Check(); !errors.Is(err, ErrChecksum) {
		t.Errorf("Check: %v", err)
	}
	// --force replaces it.
	if _, err := s.Keys("square", ccs, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("after --force: %v", err)
	}
}

func TestStoreListAndRemove(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	if _, err := s.Load("square", compile(t, &square{})); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	for name, c := range map[string]frontend.Circuit{"square": &square{}, "cube": &cube{}} {
		if _, err := s.Keys(name, compile(t, c), false); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := s.List()
	if err != nil || len(ms) != 2 || ms[0].Circuit != "cube" || ms[1].Circuit != "square" || ms[0].Digest == ms[1].Digest {
		t.Fatalf("list: %v, %v", ms, err)
	}
	if err := s.Remove("cube"); err != nil {
		t.Fatal(err)
	}
	if ms, _ := s.List(); len(ms) != 1 {
		t.Fatalf("after remove: %d entries", len(ms))
	}
	if err := s.Remove("cube"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestStoreChecksAnAttachedFile(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ccs := compile(t, &square{})
	k, err := s.Keys("square", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(k, "Verifier.sol", []byte("contract Verifier {}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(k, "../escape", nil); err == nil {
		t.Fatal("attached a file outside the key folder")
	}
	if err := s.Check(); err != nil {
		t.Fatalf("check after attach: %v", err)
	}
	if data, err := s.Attached(k, "Verifier.sol"); err != nil || string(data) != "contract Verifier {}" {
		t.Fatalf("attached file read back: %q, %v", data, err)
	}
	for _, f := range []string{"nothing.json", pkFile} {
		if _, err := s.Attached(k, f); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s read as attached: %v, want ErrNotFound", f, err)
		}
	}
	path := filepath.Join(s.folder("square", k.Manifest.Digest), "Verifier.sol")
	if err := os.WriteFile(path, []byte("contract Forged {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrChecksum) {
		t.Fatalf("a changed verifier source: %v, want ErrChecksum", err)
	}
	if _, err := s.Attached(k, "Verifier.sol"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("a changed attached file read: %v, want ErrChecksum", err)
	}
}

func TestStoreLoadsAVerifyingKeyByName(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	if _, _, err := s.VerifyingKey("square"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v, want ErrNotFound", err)
	}
	ccs := compile(t, &square{})
	k, err := s.Keys("square", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	vk, m, err := s.VerifyingKey("square")
	if err != nil {
		t.Fatal(err)
	}
	if vk.IsDifferent(k.VK) || m.Digest != k.Manifest.Digest {
		t.Fatal("another verifying key loaded")
	}
	flipByte(t, filepath.Join(s.folder("square", m.Digest), vkFile))
	if _, _, err := s.VerifyingKey("square"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("a tampered verifying key: %v, want ErrChecksum", err)
	}
}

func TestPeakResets(t *testing.T) {
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = 1
	}
	before := PeakGiB()
	big = nil
	runtime.GC()
	debug.FreeOSMemory()
	if !ResetPeak() {
		t.Skip("this kernel does not reset the peak")
	}
	if after := PeakGiB(); after >= before {
		t.Fatalf("peak %.2f GiB after reset, %.2f before", after, before)
	}
}

func TestStoreEnsureSetsUpOnceWithoutLoadingTheProvingKey(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ccs := compile(t, &square{})
	first, err := s.Ensure("square", ccs)
	if err != nil {
		t.Fatal(err)
	}
	if first.Loaded || first.PK != nil || first.VK == nil {
		t.Fatalf("first Ensure: loaded=%v pk=%v", first.Loaded, first.PK != nil)
	}
	again, err := s.Ensure("square", ccs)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Loaded || again.PK != nil || again.VK.IsDifferent(first.VK) {
		t.Fatal("second Ensure did not return the stored verifying key alone")
	}
	k, err := s.Load("square", ccs)
	if err != nil {
		t.Fatal(err)
	}
	proveAndVerify(t, ccs, k)
}

// Several provers sharing one empty store (the tests of two packages, workers on one
// machine) ask for the same circuit's keys at once: one setup runs, and every one of them
// holds the keys the store keeps. Each caller opens the lock file itself, as separate
// processes do.
func TestStoreSetsUpOnceForConcurrentCallers(t *testing.T) {
	dir := t.TempDir()
	ccs := compile(t, &square{})
	var setups atomic.Int32
	const callers = 4
	keys := make([]*Keys, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &Store{Dir: dir, OnSetup: func(string, time.Duration) func() { setups.Add(1); return func() {} }}
			if i%2 == 0 {
				keys[i], errs[i] = s.Keys("square", ccs, false)
			} else {
				keys[i], errs[i] = s.Ensure("square", ccs)
			}
		}()
	}
	wg.Wait()
	if n := setups.Load(); n != 1 {
		t.Fatalf("%d setups for %d concurrent callers, want 1", n, callers)
	}
	stored, err := (&Store{Dir: dir}).Load("square", ccs)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if k.VK.IsDifferent(stored.VK) {
			t.Fatalf("caller %d holds a verifying key the store does not keep", i)
		}
	}
	proveAndVerify(t, ccs, stored)
}
