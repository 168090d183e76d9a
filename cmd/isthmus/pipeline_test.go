package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/attest"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// wantFailure checks that a command failed with exit code 1 and an error that names want.
func wantFailure(t *testing.T, err error, want string, args []string) {
	t.Helper()
	wantExit(t, err, exitFailure, want, args)
}

// wantUsage checks that a command failed with exit code 2 and an error that names want.
func wantUsage(t *testing.T, err error, want string, args []string) {
	t.Helper()
	wantExit(t, err, exitUsage, want, args)
}

func wantExit(t *testing.T, err error, code int, want string, args []string) {
	t.Helper()
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != code {
		t.Errorf("%v: %v, want exit %d", args, err, code)
		return
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%v: %q does not name %q", args, err, want)
	}
}

func TestPipelineCommandsRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	keys := t.TempDir()
	truncated := filepath.Join(dir, "truncated.json")
	if err := os.WriteFile(truncated, []byte(`{"format": "isthmus.batch.v2", "statement": {"lanes": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	otherFormat := filepath.Join(dir, "other.json")
	if err := os.WriteFile(otherFormat, []byte(`{"format": "isthmus.leaves.v0", "statement": {"lanes": [], "rotations": []}, "claims": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, d := startDevnet(t)
	d.Source.Finalize(d.Source.Head())

	for _, tc := range []struct {
		args []string
		want string
		is   error
	}{
		{[]string{"verify", filepath.Join(dir, "missing.json")}, "no such file", os.ErrNotExist},
		{[]string{"verify", truncated}, "truncated", verifier.ErrEncoding},
		{[]string{"export-solidity", "--key-dir", keys}, "no stored keys", prover.ErrNotFound},
		{[]string{"aggregate", "--leaves", truncated, "--out", filepath.Join(dir, "a.json"), "--key-dir", keys}, "malformed pipeline file", aggregator.ErrFile},
		{[]string{"aggregate", "--leaves", otherFormat, "--out", filepath.Join(dir, "a.json"), "--key-dir", keys}, aggregator.LeavesFormat, aggregator.ErrFile},
		{[]string{"wrap", "--in", filepath.Join(dir, "missing.json"), "--out", filepath.Join(dir, "b.json"), "--key-dir", keys}, "no such file", os.ErrNotExist},
		{[]string{"prove", "--rpc", "http://127.0.0.1:1", "--outbox", d.Outbox.Hex(), "--out", filepath.Join(dir, "b.json"), "--devnet-attesters", "--key-dir", keys},
			chain.ErrUnreachable.Error(), chain.ErrUnreachable},
		// An account without code (the relayer's), and the Inbox on the other chain.
		{[]string{"prove", "--rpc", d.Source.URL, "--outbox", crypto.PubkeyToAddress(d.Relayer.PublicKey).Hex(), "--out", filepath.Join(dir, "b.json"), "--devnet-attesters", "--key-dir", keys},
			"outbox", chain.ErrNoContract},
		{[]string{"prove", "--rpc", d.Destination.URL, "--outbox", d.Inbox.Hex(), "--out", filepath.Join(dir, "b.json"), "--devnet-attesters", "--key-dir", keys},
			"outbox", chain.ErrNotOutbox},
		// The Outbox has sent nothing towards domain 7: no lane head to prove.
		{[]string{"prove", "--rpc", d.Source.URL, "--outbox", d.Outbox.Hex(), "--dst", "7", "--out", filepath.Join(dir, "b.json"), "--devnet-attesters", "--key-dir", keys},
			"lane", aggregator.ErrEmptyLane},
	} {
		_, err := run(t, tc.args...)
		wantFailure(t, err, tc.want, tc.args)
		if !errors.Is(err, tc.is) {
			t.Errorf("%v: %v, want %v", tc.args, err, tc.is)
		}
	}

	// A well-formed batch file whose circuit has no key here.
	b := filepath.Join(dir, "batch.json")
	if err := os.WriteFile(b, validBatchWithoutKey(t), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "verify", b, "--key-dir", keys)
	wantFailure(t, err, "no keys of circuit", []string{"verify", b})
	if !errors.Is(err, prover.ErrNotFound) {
		t.Errorf("verify without keys: %v, want ErrNotFound", err)
	}

	var ee *exitError
	if _, err := run(t, "prove", "--rpc", d.Source.URL, "--outbox", d.Outbox.Hex(), "--out", b); !errors.As(err, &ee) || ee.code != exitUsage {
		t.Errorf("prove without attesters: %v, want a usage error", err)
	}

	// Two of the four devnet attesters, who have signed the finalized block: no quorum.
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, d.Outbox, 100_000, []byte{1}); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, attesterKeys := devnet.Committee()
	var urls []string
	for i := 0; i < 2; i++ {
		c, err := chain.Dial(ctx, d.Source.URL)
		if err != nil {
			t.Fatal(err)
		}
		a := &attest.Attester{Domain: d.Config.SourceDomain, Index: i, Key: attesterKeys[i], Chain: c.Eth, Poll: 10 * time.Millisecond}
		go a.Run(ctx)
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		for {
			resp, err := http.Get(fmt.Sprintf("%s/attestations/%d", srv.URL, h.Number))
			if err == nil && resp.StatusCode == http.StatusOK {
				resp.Body.Close()
				break
			}
			if err == nil {
				resp.Body.Close()
			}
			if ctx.Err() != nil {
				t.Fatal("attester did not sign")
			}
			time.Sleep(10 * time.Millisecond)
		}
		urls = append(urls, srv.URL)
	}
	args := []string{"prove", "--rpc", d.Source.URL, "--outbox", d.Outbox.Hex(), "--block", h.Number.String(), "--out", b, "--attesters", strings.Join(urls, ","), "--key-dir", keys}
	_, err = run(t, args...)
	wantFailure(t, err, "too few attestations", args)
	if !errors.Is(err, attest.ErrNoQuorum) {
		t.Errorf("two of four attesters: %v, want ErrNoQuorum", err)
	}
}

// validBatchWithoutKey is a batch file that decodes (its proof's points are generators, on
// the curve) but names a circuit no store holds.
func validBatchWithoutKey(t *testing.T) []byte {
	t.Helper()
	_, _, g1, g2 := bn254.Generators()
	proof := &groth16bn254.Proof{Ar: g1, Bs: g2, Krs: g1, Commitments: []bn254.G1Affine{g1}, CommitmentPok: g1}
	stmt := protocol.Statement{Lanes: []protocol.LaneClaim{{Kind: protocol.KindLaneHead, SrcDomain: 1, DstDomain: 2, Count: 5, BlockNumber: 3}}}
	b, err := verifier.NewBatch("wrap-none", big.NewInt(1), stmt, proof)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The relay command, configured from a file and the environment, relays a devnet lane with
// TestOnlyProofs until stopped.
func TestRelayCommandFromConfigAndEnvironment(t *testing.T) {
	ctx, d := startDevnet(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "relay.json")
	conf := fmt.Sprintf(`{"src-rpc": %q, "outbox": %q, "inbox": %q, "batch-messages": 2, "poll": "20ms", "metrics": "", "state-dir": %q}`,
		d.Source.URL, d.Outbox.Hex(), d.Inbox.Hex(), filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ISTHMUS_DST_RPC", d.Destination.URL)
	for i := 0; i < 2; i++ {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, d.Outbox, 100_000, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	relayUntilDelivered(t, ctx, d, []string{"relay", "--config", cfg, "--devnet-relayer", "--devnet-committee", "--test-only-proofs", "--log-level", "error"}, 2)
	// A config file with an unknown setting is a usage error.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"src-rpcc": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var ee *exitError
	if _, err := run(t, "relay", "--config", bad); !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), "src-rpcc") {
		t.Fatalf("unknown config setting: %v", err)
	}
}

// deploy outbox and deploy inbox on the devnet's chains; the Inbox trusts the source.
func TestDeployCommands(t *testing.T) {
	ctx, d := startDevnet(t)
	out, err := run(t, "deploy", "outbox", "--rpc", d.Source.URL, "--domain", "7", "--devnet-deployer")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Outbox of domain 7: (0x[0-9a-fA-F]{40})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("deploy outbox: %q", out)
	}
	src, err := chain.NewSource(ctx, d.SourceClient, common.HexToAddress(m[1]))
	if err != nil || src.Domain != 7 {
		t.Fatalf("the deployed Outbox: domain %d, %v", src.Domain, err)
	}
	dst := deployInbox(t, ctx, d, "deploy", "inbox", "--rpc", d.Destination.URL, "--domain", "8", "--src-domain", "7", "--outbox", m[1],
		"--verifier", d.Verifier.Hex(), "--devnet-deployer", "--devnet-committee")
	st, err := dst.State(ctx, 7)
	members, _ := devnet.Committee()
	if err != nil || st.Outbox != common.HexToAddress(m[1]) || st.Committee != members.CommitmentHash() {
		t.Fatalf("the Inbox's source domain: %+v, %v", st, err)
	}
	// Without stored keys, the generated verifier cannot be deployed (and none are made).
	keys := t.TempDir()
	_, err = run(t, "deploy", "inbox", "--rpc", d.Destination.URL, "--domain", "8", "--src-domain", "7", "--outbox", m[1],
		"--devnet-deployer", "--devnet-committee", "--key-dir", keys)
	wantFailure(t, err, "no stored keys", nil)
	if entries, _ := os.ReadDir(keys); len(entries) != 0 {
		t.Fatalf("deploy inbox made keys: %v", entries)
	}
}

// No public committee by default: deploy inbox and relay need --committee (or, on a devnet,
// --devnet-committee by name), and say so. Both at once are refused too.
func TestHardeningCommitteeIsExplicit(t *testing.T) {
	inbox := []string{"deploy", "inbox", "--rpc", "http://127.0.0.1:1", "--domain", "8", "--src-domain", "7",
		"--outbox", "0x00000000000000000000000000000000000000aa", "--verifier", "0x00000000000000000000000000000000000000bb", "--devnet-deployer"}
	relay := []string{"relay", "--src-rpc", "http://127.0.0.1:1", "--dst-rpc", "http://127.0.0.1:1", "--outbox", "0x00000000000000000000000000000000000000aa",
		"--inbox", "0x00000000000000000000000000000000000000bb", "--devnet-relayer", "--attesters", "http://127.0.0.1:1"}
	for _, args := range [][]string{inbox, relay} {
		_, err := run(t, args...)
		wantUsage(t, err, "--committee", args)
		both := append(append([]string(nil), args...), "--devnet-committee", "--committee", "members.json")
		_, err = run(t, both...)
		wantUsage(t, err, "--committee", both)
	}
}

// A verifier from development keys is deployed only with --allow-development-keys; the
// refusal names the circuits.
func TestHardeningDevelopmentKeysNeedTheFlag(t *testing.T) {
	dev := []string{"universal-fold", "wrap"}
	err := developmentGuard(dev, "/keys", false)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), "--allow-development-keys") || !strings.Contains(err.Error(), "universal-fold, wrap") {
		t.Fatalf("development keys without the flag: %v", err)
	}
	if err := developmentGuard(dev, "/keys", true); err != nil {
		t.Fatalf("with --allow-development-keys: %v", err)
	}
	if err := developmentGuard(nil, "/keys", false); err != nil {
		t.Fatalf("ceremony keys: %v", err)
	}
}

// startDevnet starts the devnet for a test, with a context of a minute; both end with it.
func startDevnet(t *testing.T) (context.Context, *devnet.Devnet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx, devnet.StartForTest(t)
}

// deploy inbox --beacon: the Inbox trusts the sync committee of the period of a trusted
// beacon block root, from a node's bootstrap checked against it (here the devnet's beacon
// chain through the standard REST API); an untrusted root, or a committee file beside it,
// is refused.
func TestEthereumSourceDeployInboxFromABeaconBootstrap(t *testing.T) {
	ctx, d := startDevnet(t)
	for range 4 {
		d.Source.Commit()
	}
	cfg := devnet.BeaconConfig(16)
	b := devnet.NewBeacon(cfg, "isthmus devnet beacon")
	if err := b.Sync(ctx, d.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	root, err := b.Root(2)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"deploy", "inbox", "--rpc", d.Destination.URL, "--domain", "8", "--src-domain", "1", "--outbox", d.Outbox.Hex(),
		"--verifier", d.Verifier.Hex(), "--devnet-deployer", "--beacon", srv.URL, "--beacon-devnet-committee", "16"}
	dst := deployInbox(t, ctx, d, append(args, "--trusted-root", root.Hex())...)
	st, err := dst.State(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	com, err := cfg.NewCommittee(&b.Committee(0).JSON)
	if err != nil {
		t.Fatal(err)
	}
	want := synccommittee.CommitmentOf(com, 0)
	if st.Adapter != protocol.AdapterSyncCommittee || st.Epoch != 0 || st.Committee != common.Hash(want.Bytes()) {
		t.Fatalf("the Inbox's source domain: %+v, want the sync committee of period 0", st)
	}
	_, err = run(t, append(args, "--trusted-root", common.Hash{1}.Hex())...)
	wantFailure(t, err, "no such object", args)
	_, err = run(t, append(args, "--trusted-root", root.Hex(), "--devnet-committee")...)
	wantUsage(t, err, "--beacon", args)
}

// deployInbox runs a deploy inbox command and returns the Inbox it reports (of domain 8).
func deployInbox(t *testing.T, ctx context.Context, d *devnet.Devnet, args ...string) *chain.Destination {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	im := regexp.MustCompile(`Inbox of domain 8: (0x[0-9a-fA-F]{40})`).FindStringSubmatch(out)
	if im == nil {
		t.Fatalf("deploy inbox: %q", out)
	}
	dst, err := chain.NewDestination(ctx, d.DestinationClient, common.HexToAddress(im[1]))
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// relay --by-receipt, with TestOnlyProofs: the relay proves the lane by its last message's
// MessageSent log (a lane claim by receipt) and delivers it.
func TestRelayCommandByReceipt(t *testing.T) {
	ctx, d := startDevnet(t)
	for i := 0; i < 3; i++ {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, d.Outbox, 100_000, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	logs := relayUntilDelivered(t, ctx, d, []string{"relay", "--src-rpc", d.Source.URL, "--dst-rpc", d.Destination.URL, "--outbox", d.Outbox.Hex(),
		"--inbox", d.Inbox.Hex(), "--devnet-relayer", "--devnet-committee", "--test-only-proofs", "--by-receipt", "--batch-messages", "1",
		"--poll", "20ms", "--metrics", "", "--state-dir", filepath.Join(t.TempDir(), "state"), "--log-level", "info"}, 3)
	if !strings.Contains(logs, `msg="proving the lane by receipt"`) || strings.Contains(logs, `claim=head`) {
		t.Fatalf("the relay did not prove the lane by receipt alone:\n%s", logs)
	}
	st, err := d.Dst.State(ctx, d.Config.SourceDomain)
	if err != nil || st.ProvenCount != 3 {
		t.Fatalf("proven count %d (%v), want 3", st.ProvenCount, err)
	}
}
