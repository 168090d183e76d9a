//go:build devnet

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devkeys"
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
// is handed over by rotation claims exactly --periods times, to the sync committee of that
// period (the on-chain checks of each batch's committee and each rotation's period apply;
// the proofs themselves are make e2e's).
func TestEthereumSourceDevnetCommandHandsOverAcrossPeriods(t *testing.T) {
	for _, c := range []struct {
		periods  string
		messages string
	}{{"2", "4"}, {"1", "4"}, {"3", "2"}} {
		out, err := run(t, "devnet", "--source", "ethereum", "--test-only-verifier", "--messages", c.messages, "--periods", c.periods, "--log-level", "error")
		if err != nil {
			t.Fatalf("--periods %s --messages %s: %v", c.periods, c.messages, err)
		}
		for _, want := range []string{c.messages + ` sent .*, ` + c.messages + ` delivered$`, `^Inbox\s+at period ` + c.periods + `,`, `^beacon node\s+http://127\.0\.0\.1:`} {
			if !regexp.MustCompile(`(?m)` + want).MatchString(out) {
				t.Errorf("--periods %s: report lacks %q:\n%s", c.periods, want, out)
			}
		}
		m := regexp.MustCompile(`(?m)^batches\s+(\d+), (\d+) of them handing`).FindStringSubmatch(out)
		if m == nil || m[2] != c.periods {
			t.Fatalf("--periods %s: want as many hand-overs:\n%s", c.periods, out)
		}
	}
	for _, args := range [][]string{
		{"devnet", "--source", "cosmos", "--test-only-verifier"},
		{"devnet", "--source", "ethereum", "--sync-domain", "7"},
		{"devnet", "--sync-domain", "1", "--test-only-verifier"},
		{"devnet", "--source", "ethereum", "--periods", "0", "--test-only-verifier"},
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

// lockedBuffer is an output a command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// devnet --keep serves the chains after the demo until interrupted: they answer on the URLs
// it prints, a message sent then is final within seconds (the source's finality moves on),
// and an interrupt ends the command without an error.
func TestDevnetKeepServesUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, stop := context.WithCancel(ctx)
	defer stop()
	var out lockedBuffer
	cmd := NewRootCmd(&out, []string{"devnet", "--test-only-verifier", "--messages", "2", "--keep", "--log-level", "error"})
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(run) }()

	re := regexp.MustCompile(`(?m)^source\s+(http://\S+), domain (\d+), Outbox (0x[0-9a-fA-F]{40})`)
	var m []string
	for m == nil {
		select {
		case err := <-done:
			t.Fatalf("the command ended before serving: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("no URLs printed:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
			m = re.FindStringSubmatch(out.String())
		}
	}
	if !strings.Contains(out.String(), "isthmus relay --src-rpc "+m[1]) {
		t.Errorf("no relay command to try:\n%s", out.String())
	}
	c, err := chain.Dial(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, err := chain.NewSource(ctx, c, common.HexToAddress(m[3]))
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := src.Send(ctx, devkeys.DevKey("user"), 2, common.Address{0xee}, 100_000, []byte("after the demo"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		h, err := src.FinalizedHeader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Number.Cmp(rc.BlockNumber) >= 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("block %d never finalized (finalized: %d)", rc.BlockNumber, h.Number)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("interrupted: %v", err)
	}
}

// devnet --json prints the chains, the demo's report and the circuits as one JSON object.
func TestDevnetCommandJSON(t *testing.T) {
	for _, args := range [][]string{
		{"devnet", "--test-only-verifier", "--messages", "2", "--json", "--log-level", "error"},
		{"devnet", "--source", "ethereum", "--test-only-verifier", "--messages", "2", "--periods", "1", "--json", "--log-level", "error"},
	} {
		out, err := run(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Source struct {
				URL      string `json:"url"`
				Contract string `json:"contract"`
			} `json:"source"`
			Beacon string `json:"beacon"`
			Report struct {
				Sent      int    `json:"sent"`
				Received  uint64 `json:"received"`
				Delivered uint64 `json:"delivered"`
				Period    uint64 `json:"period"`
			} `json:"report"`
			Circuits []any `json:"circuits"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v: not one JSON object: %v\n%s", args, err, out)
		}
		delivered := v.Report.Received + v.Report.Delivered
		if !strings.HasPrefix(v.Source.URL, "http://127.0.0.1:") || len(v.Source.Contract) != 42 || v.Report.Sent != 2 || delivered != 2 || v.Circuits == nil {
			t.Fatalf("%v: %+v", args, v)
		}
		if ethereum := args[2] == "ethereum"; ethereum != (v.Beacon != "") || (ethereum && v.Report.Period != 1) {
			t.Fatalf("%v: beacon %q, period %d", args, v.Beacon, v.Report.Period)
		}
	}
}
