package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/internal/testcircuit"
	"github.com/isthmus-xyz/isthmus/prover"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := NewRootCmd(&out, args)
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), err
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	for _, args := range [][]string{
		{"--log-level", "loud", "version"},
		{"--log-format", "xml", "version"},
		{"setup", "--shape", "1x4x3x1"},
		{"setup", "--sync-devnet-committee", "8"},
		{"export-solidity", "--sync-forks", "deneb"},
		{"setup", "--sync-domain", "1", "--sync-forks", "shanghai2"},
		{"attest", "--rpc", "http://127.0.0.1:1", "--domain", "1", "--devnet-key", "--next-epoch", "1"},
		{"attest", "--rpc", "http://127.0.0.1:1", "--domain", "1", "--devnet-key", "--next-committee", "c.json", "--next-epoch", "1"},
	} {
		_, err := run(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("%v: err = %v, want a usage error (exit 2)", args, err)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "isthmus ") {
		t.Fatalf("version: %q, %v", out, err)
	}
	for _, c := range []struct {
		info debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, "v0.3.0"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-12-06T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, "dev (commit 0123456789ab, 2026-12-06T10:00:00Z, modified)"},
	} {
		if got := versionOf(&c.info); got != c.want {
			t.Errorf("version of %+v: %q, want %q", c.info.Main, got, c.want)
		}
	}
}

type squareCircuit = testcircuit.Square

func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "keys", "list", "--key-dir", dir)
	if err != nil || !strings.Contains(out, "no keys") {
		t.Fatalf("empty list: %q, %v", out, err)
	}
	ccs, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, &squareCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&prover.Store{Dir: dir}).Keys("square", ccs, false); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "keys", "list", "--key-dir", dir)
	if err != nil || !regexp.MustCompile(`(?m)^square\s+bls12_377\s+\d+\s+[0-9a-f]{16}\s+\d+s\s+development`).MatchString(out) {
		t.Fatalf("list: %q, %v", out, err)
	}
	if out, err = run(t, "keys", "check", "--key-dir", dir); err != nil {
		t.Fatalf("check: %q, %v", out, err)
	}
	// A corrupted key is reported, with exit code 1.
	files, _ := filepath.Glob(filepath.Join(dir, "square-*", "vk.bin"))
	if len(files) != 1 {
		t.Fatalf("stored files: %v", files)
	}
	if err := os.WriteFile(files[0], []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "keys", "check", "--key-dir", dir)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailure || !errors.Is(err, prover.ErrChecksum) {
		t.Fatalf("check of a corrupted key: %v", err)
	}
	if _, err := run(t, "keys", "remove", "square", "--key-dir", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "keys", "remove", "square", "--key-dir", dir); !errors.As(err, &ee) || ee.code != exitFailure || !errors.Is(err, prover.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

// Every command with bad input: misuse exits 2 and failure 1 (exitCode, as main exits),
// each with a message that names the cause.
func TestCommandsExitCodesAndMessages(t *testing.T) {
	keys := t.TempDir()
	addr := "0x00000000000000000000000000000000000000aa"
	relay := []string{"relay", "--src-rpc", "http://127.0.0.1:1", "--dst-rpc", "http://127.0.0.1:1", "--devnet-relayer", "--devnet-committee"}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nosuch"}, exitUsage, "unknown command"},
		{[]string{"verify"}, exitUsage, "accepts 1 arg"},
		{[]string{"verify", "a.json", "b.json"}, exitUsage, "accepts 1 arg"},
		{[]string{"keys", "remove"}, exitUsage, "accepts 1 arg"},
		{[]string{"version", "extra"}, exitUsage, "unknown command"},
		{[]string{"setup", "--shape", "1x4x3x1"}, exitUsage, "unknown flag: --shape"},
		{[]string{"keys", "remove", "nosuch", "--key-dir", keys}, exitFailure, "no stored keys"},
		{[]string{"verify", filepath.Join(keys, "missing.json")}, exitFailure, "no such file"},
		{append(append([]string(nil), relay...), "--outbox", addr), exitUsage, "--inbox is required"},
		{append(append([]string(nil), relay...), "--outbox", "0x1234", "--inbox", addr), exitUsage, `--outbox "0x1234" is not an address`},
		{append(append([]string(nil), relay...), "--outbox", addr, "--inbox", addr, "--test-only-proofs", "--nats", "nats://127.0.0.1:1"), exitUsage, "--nats would be ignored"},
		{[]string{"relay", "--src-rpc", "http://127.0.0.1:1", "--dst-rpc", "http://127.0.0.1:1", "--outbox", addr, "--inbox", addr, "--devnet-relayer",
			"--devnet-committee", "--committee", "members.json"}, exitUsage, "both name the committee"},
		{[]string{"prove", "--rpc", "http://127.0.0.1:1", "--outbox", "0x12", "--out", "b.json", "--devnet-attesters"}, exitUsage, `--outbox "0x12" is not an address`},
		{[]string{"prove", "--rpc", "http://127.0.0.1:1", "--devnet-attesters"}, exitUsage, "--out, --outbox are required"},
		{[]string{"deploy", "inbox", "--rpc", "http://127.0.0.1:1", "--domain", "8", "--src-domain", "7", "--outbox", "0x12", "--devnet-deployer"}, exitUsage, "not an address"},
		{[]string{"setup", "--sync-domain", "1", "--sync-forks", "shanghai2"}, exitUsage, "shanghai2"},
		{[]string{"deploy", "check", "--rpc", "http://127.0.0.1:1"}, exitUsage, "--inbox"},
		{[]string{"deploy", "check", "--rpc", "http://127.0.0.1:1", "--inbox", addr, "--key-dir", keys}, exitFailure, "no stored keys"},
	} {
		_, err := run(t, c.args...)
		if got := exitCode(err); got != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want exit %d naming %q", c.args, got, err, c.code, c.want)
		}
	}
	if exitCode(nil) != 0 {
		t.Error("success does not exit 0")
	}
}

// Every command that runs has an example in its help, and the examples' flags are its own.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Name() != "help" && c.Name() != "completion" {
			if c.Example == "" {
				t.Errorf("%s: no example", c.CommandPath())
			}
			runs := 0
			for _, line := range strings.Split(c.Example, "\n") {
				_, rest, ok := strings.Cut(line, c.CommandPath()+" ")
				if !ok && !strings.HasSuffix(line, c.CommandPath()) {
					continue // another command's line
				}
				runs++
				for _, f := range regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`).FindAllStringSubmatch(rest, -1) {
					if c.Flags().Lookup(f[1]) == nil && c.InheritedFlags().Lookup(f[1]) == nil {
						t.Errorf("%s: its example's --%s is not its flag", c.CommandPath(), f[1])
					}
				}
			}
			if runs == 0 {
				t.Errorf("%s: its example never runs it", c.CommandPath())
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(NewRootCmd(&bytes.Buffer{}, nil))
}

// --json: the results a script reads come as one JSON object (or list) on stdout.
func TestJSONOutputs(t *testing.T) {
	out, err := run(t, "version", "--json")
	var v struct {
		Version string `json:"version"`
	}
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" {
		t.Fatalf("version --json: %q, %v", out, err)
	}
	dir := t.TempDir()
	if out, err = run(t, "keys", "list", "--json", "--key-dir", dir); err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("keys list --json of an empty store: %q, %v", out, err)
	}
	_, d := startDevnet(t)
	out, err = run(t, "deploy", "outbox", "--rpc", d.Source.URL, "--domain", "7", "--devnet-deployer", "--json")
	var ob struct {
		Domain uint32 `json:"domain"`
		Outbox string `json:"outbox"`
	}
	if err != nil || json.Unmarshal([]byte(out), &ob) != nil || ob.Domain != 7 || !common.IsHexAddress(ob.Outbox) {
		t.Fatalf("deploy outbox --json: %q, %v", out, err)
	}
	out, err = run(t, "deploy", "inbox", "--rpc", d.Destination.URL, "--domain", "8", "--src-domain", "7", "--outbox", ob.Outbox,
		"--verifier", d.Verifier.Hex(), "--devnet-deployer", "--devnet-committee", "--json")
	var ib struct {
		Inbox    string `json:"inbox"`
		Verifier string `json:"verifier"`
	}
	if err != nil || json.Unmarshal([]byte(out), &ib) != nil || !common.IsHexAddress(ib.Inbox) || common.HexToAddress(ib.Verifier) != d.Verifier {
		t.Fatalf("deploy inbox --json: %q, %v", out, err)
	}
}
