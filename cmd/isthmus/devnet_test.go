//go:build devnet

package main

import (
	"regexp"
	"strings"
	"testing"
)

// The devnet command's tests: in a build with the devnet (-tags devnet, as make test builds).

func TestDevnetCommandDeliversEveryMessage(t *testing.T) {
	out, err := run(t, "devnet", "--test-only-verifier", "--messages", "4", "--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^lane count\s+4$`, `recipient recorded 4$`, `verified against the state root`} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(out) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// isthmus devnet --source ethereum, with the TestOnlyVerifier: the relay's light client
// follows the simulated beacon node over loopback, every message is delivered, and the Inbox
// is handed over by rotation claims up to the sync committee of the light client's period
// (the on-chain checks of each batch's committee and each rotation's period apply; the
// proofs themselves are the real-proof run's, which the cold budget does not hold yet).
func TestEthereumSourceDevnetCommandHandsOverAcrossPeriods(t *testing.T) {
	out, err := run(t, "devnet", "--source", "ethereum", "--test-only-verifier", "--messages", "4", "--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`4 sent .*, 4 delivered$`, `^Inbox\s+at period [2-9]`, `^beacon node\s+http://127\.0\.0\.1:`} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(out) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`(?m)^batches\s+(\d+), (\d+) of them handing`).FindStringSubmatch(out)
	period := regexp.MustCompile(`(?m)^Inbox\s+at period (\d+)`).FindStringSubmatch(out)
	if m == nil || period == nil || m[2] != period[1] {
		t.Fatalf("want one rotation a period crossed:\n%s", out)
	}
	for _, args := range [][]string{
		{"devnet", "--source", "cosmos", "--test-only-verifier"},
		{"devnet", "--source", "ethereum", "--sync-domain", "7"},
		{"devnet", "--sync-domain", "1", "--test-only-verifier"},
	} {
		_, err := run(t, args...)
		wantUsage(t, err, "--", args)
	}
}

// The devnet command refuses bad input with a usage error (exit 2) that names it.
func TestDevnetCommandRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"devnet", "--messages", "0"}, "--messages must be at least 1"},
		{[]string{"devnet", "--messages", "13"}, "--messages"},
		{[]string{"devnet", "--messages", "many"}, "invalid argument"},
		{[]string{"devnet", "--test-only-verifier", "--nats", "nats://127.0.0.1:1"}, "--nats would be ignored"},
		{[]string{"devnet", "--test-only-verifier", "--periods", "3"}, "--periods would be ignored"},
	} {
		_, err := run(t, c.args...)
		if got := exitCode(err); got != exitUsage || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want exit %d naming %q", c.args, got, err, exitUsage, c.want)
		}
	}
}
