package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/prover/ceremony"
)

// TestCeremonyCommands runs phase 1 through the commands as three participants would (one
// of them by IN OUT, with entropy from a file), verifies it, and checks that verify prints
// the hashes the contributors published and refuses a replayed contribution (exit 1), and
// that misuse exits 2.
func TestCeremonyCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ptau")
	out, err := run(t, "ceremony", "init-phase1", dir, "--curve", "bn254", "--power", "4")
	if err != nil || !strings.Contains(out, "0000.ceremony") {
		t.Fatalf("init-phase1: %q, %v", out, err)
	}
	published := regexp.MustCompile(`publish\s+sha256 ([0-9a-f]{64})`)
	var hashes []string
	for _, args := range [][]string{
		{"ceremony", "contribute", dir, "--name", "alice"},
		{"ceremony", "contribute", dir, "--name", "bob", "--entropy", "coin flips"},
	} {
		out, err := run(t, args...)
		m := published.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("%v: %q, %v", args, out, err)
		}
		hashes = append(hashes, m[1])
	}
	noise := filepath.Join(t.TempDir(), "noise")
	os.WriteFile(noise, []byte("dice: 4 2 6 1 3 3 5"), 0o600)
	out, err = run(t, "ceremony", "contribute", filepath.Join(dir, "0002.ceremony"), filepath.Join(dir, "0003.ceremony"), "--name", "carol", "--entropy-file", noise)
	m := published.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("contribute IN OUT: %q, %v", out, err)
	}
	hashes = append(hashes, m[1])

	out, err = run(t, "ceremony", "verify", "--phase1", dir, "--phase1-beacon", "0x5eed")
	if err != nil {
		t.Fatalf("verify: %q, %v", out, err)
	}
	for i, h := range hashes {
		if !regexp.MustCompile(`phase 1  000` + string(rune('1'+i)) + `  ` + h).MatchString(out) {
			t.Errorf("verify does not print contribution %d's published hash %s:\n%s", i+1, h, out)
		}
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ceremony", "init-phase1", dir, "--curve", "bn254", "--power", "4"}, exitUsage, "already holds a transcript"},
		{[]string{"ceremony", "init-phase1", t.TempDir(), "--curve", "secp256k1", "--power", "4"}, exitUsage, "--curve"},
		{[]string{"ceremony", "init-phase1", t.TempDir(), "--curve", "bn254", "--power", "40"}, exitUsage, "--power 40"},
		{[]string{"ceremony", "contribute", filepath.Join(dir, "0001.ceremony"), filepath.Join(dir, "0002.ceremony")}, exitUsage, "never overwrites"},
		{[]string{"ceremony", "contribute", dir, "--entropy", "a", "--entropy-file", noise}, exitUsage, "one or the other"},
		{[]string{"ceremony", "verify", "--phase1", dir}, exitUsage, "--phase1-beacon"},
		{[]string{"ceremony", "verify", "--phase1", dir, "--phase1-beacon", "zz"}, exitUsage, "not hex"},
		{[]string{"ceremony", "finalize", "--circuit", "nosuch", "--phase1", dir, "--phase1-beacon", "aa", "--phase2", dir, "--beacon", "bb"}, exitUsage, "nosuch"},
		{[]string{"keys", "import", "--record", noise, "--phase1", dir, "--phase2", dir}, exitUsage, "not a ceremony record"},
	} {
		_, err := run(t, c.args...)
		if got := exitCode(err); got != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want exit %d naming %q", c.args, got, err, c.code, c.want)
		}
	}

	// BN254's phase 1 from a snarkjs powers-of-tau file: checked, its hash printed; it has
	// its own beacon.
	ptau := filepath.Join("..", "..", "testdata", "ceremony", "snarkjs-bn254-p6.ptau")
	out, err = run(t, "ceremony", "verify", "--phase1", ptau)
	if err != nil || !strings.Contains(out, "phase 1  0000  a40865f1aa6ef92f75cebf6836fb413a3974023d4427814d710952de0476bc5e") {
		t.Fatalf("verify a ptau file: %q, %v", out, err)
	}
	if _, err := run(t, "ceremony", "verify", "--phase1", ptau, "--phase1-beacon", "aa"); exitCode(err) != exitUsage {
		t.Fatalf("a beacon for a ptau file: %v", err)
	}

	// A contribution replayed as the next one: exit 1, naming the contribution.
	data, _ := os.ReadFile(filepath.Join(dir, "0003.ceremony"))
	os.WriteFile(filepath.Join(dir, "0004.ceremony"), data, 0o644)
	_, err = run(t, "ceremony", "verify", "--phase1", dir, "--phase1-beacon", "5eed")
	if exitCode(err) != exitFailure || !errors.Is(err, ceremony.ErrTranscript) {
		t.Fatalf("a replayed contribution: exit %d, %v", exitCode(err), err)
	}
}

// TestKeysListShowsCeremonyKeys stores keys from a ceremony beside development keys:
// keys list names the transcript, and the pins and the deploy guard take them as
// production keys.
func TestKeysListShowsCeremonyKeys(t *testing.T) {
	store := &prover.Store{Dir: t.TempDir()}
	ccs, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, &squareCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := t.TempDir(), t.TempDir()
	if _, err := ceremony.InitPhase1(filepath.Join(d1, ceremony.FileName(0)), ecc.BLS12_377, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := ceremony.Contribute(filepath.Join(d1, ceremony.FileName(0)), filepath.Join(d1, ceremony.FileName(1)), "alice", nil); err != nil {
		t.Fatal(err)
	}
	f1, _ := ceremony.Files(d1)
	srs, _, err := ceremony.VerifyPhase1(f1, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ceremony.InitPhase2(filepath.Join(d2, ceremony.FileName(0)), "square", ccs, srs); err != nil {
		t.Fatal(err)
	}
	if _, err := ceremony.Contribute(filepath.Join(d2, ceremony.FileName(0)), filepath.Join(d2, ceremony.FileName(1)), "bob", nil); err != nil {
		t.Fatal(err)
	}
	f2, _ := ceremony.Files(d2)
	k, err := ceremony.Finalize("square", ccs, f1, []byte{1}, f2, []byte{2})
	if err != nil {
		t.Fatal(err)
	}
	rec := k.Record
	if _, err := store.Put("square", ccs, k.PK, k.VK, prover.Manifest{Ceremony: &rec}); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "keys", "list", "--key-dir", store.Dir)
	if err != nil || !regexp.MustCompile(`(?m)^square\s+bls12_377\s+\d+\s+[0-9a-f]{16}\s+0s\s+ceremony `+rec.Transcript[:16]).MatchString(out) {
		t.Fatalf("list: %q, %v", out, err)
	}
	out, err = run(t, "keys", "list", "--key-dir", store.Dir, "--json")
	var ms []prover.Manifest
	if err != nil || json.Unmarshal([]byte(out), &ms) != nil || len(ms) != 1 || ms[0].Development || ms[0].Ceremony == nil || ms[0].Ceremony.Transcript != rec.Transcript {
		t.Fatalf("list --json: %q, %v", out, err)
	}
	pins, err := store.Pins(nil)
	if err != nil || pins["square"].Development {
		t.Fatalf("pins: %+v, %v", pins, err)
	}
	keys, err := store.Load("square", ccs)
	if err != nil || keys.Manifest.Development {
		t.Fatalf("load: %+v, %v", keys, err)
	}
	// setup --force does not replace them with development keys.
	if _, err := store.Keys("square", ccs, true); !errors.Is(err, prover.ErrCeremonyKeys) {
		t.Fatalf("a forced setup over ceremony keys: %v", err)
	}
	forced := &prover.Store{Dir: store.Dir, ForceSetup: true}
	if _, err := forced.Ensure("square", ccs); !errors.Is(err, prover.ErrCeremonyKeys) {
		t.Fatalf("a forced Ensure over ceremony keys: %v", err)
	}
}
