package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// isthmus relay --beacon, with TestOnlyProofs: it follows the beacon node from the trusted
// root and delivers the lane under the Inbox's sync committee; --beacon beside a committee
// file or attesters is a usage error.
func TestEthereumSourceRelayCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bcfg := devnet.BeaconConfig(8)
	b := devnet.NewBeacon(bcfg, "isthmus relay command test")
	com, err := bcfg.NewCommittee(&b.Committee(0).JSON)
	if err != nil {
		t.Fatal(err)
	}
	dc := devnet.DefaultConfig()
	c := synccommittee.CommitmentOf(com, 0)
	dc.Committee, dc.Adapter = common.Hash(c.Bytes()), protocol.AdapterSyncCommittee
	d, err := devnet.Start(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dc.DestinationDomain, recipient, 100_000, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for d.Source.Head() < 13 {
		d.Source.Commit()
	}
	if err := b.Sync(ctx, d.SourceClient.Eth); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	root, err := b.Root(2)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"relay", "--src-rpc", d.Source.URL, "--dst-rpc", d.Destination.URL, "--outbox", d.Outbox.Hex(), "--inbox", d.Inbox.Hex(),
		"--devnet-relayer", "--beacon", srv.URL, "--trusted-root", root.Hex(), "--beacon-devnet-committee", "8", "--test-only-proofs",
		"--batch-messages", "1", "--poll", "20ms", "--metrics", "", "--state-dir", filepath.Join(t.TempDir(), "state"), "--log-level", "error"}
	relayUntilDelivered(t, ctx, d, args, 2)
	for _, extra := range [][]string{{"--devnet-committee"}, {"--attesters", "http://127.0.0.1:1"}} {
		a := append(append([]string(nil), args...), extra...)
		_, err := run(t, a...)
		wantUsage(t, err, "--beacon", a)
	}
}

// The sync-committee kinds serve the fork in force: Deneb on the devnet's beacon chain
// (Electra is scheduled far off), Fulu on mainnet today; a devnet hand-over is one chunk in
// one batch, mainnet's chunks of synccommittee.ChunkKeys over 9 batches (8 runs of 64 members,
// then the hand-over), whose kinds fit the aggregation's allow-list.
func TestEthereumSourceCircuitsServeTheForkInForce(t *testing.T) {
	dev := syncConfig(8, nil, 1)
	if len(dev.Forks) != 1 || dev.Forks[0] != "deneb" || dev.ChunkKeys != 8 || dev.SrcDomain != 1 || dev.Runs != 0 {
		t.Fatalf("devnet: %+v", *dev)
	}
	main := syncConfig(0, nil, 1)
	if len(main.Forks) != 1 || main.Forks[0] != "fulu" || main.Beacon.CommitteeSize != 512 || main.ChunkKeys != synccommittee.ChunkKeys || main.Runs != 8 {
		t.Fatalf("mainnet: forks %v, %d members, chunks of %d, %d runs", main.Forks, main.Beacon.CommitteeSize, main.ChunkKeys, main.Runs)
	}
	cfg := aggregator.DefaultConfig()
	cfg.Sync = main
	if err := cfg.Check(); err != nil {
		t.Fatalf("mainnet's kinds: %v", err)
	}
	if got := syncConfig(8, []string{"capella", "deneb"}, 1).Forks; len(got) != 2 || got[0] != "capella" {
		t.Fatalf("--sync-forks capella,deneb: %v", got)
	}
}

// relayUntilDelivered runs the relay command with args until the Inbox has delivered want
// messages of d's lane, then stops it gracefully; the relay must exit cleanly. It returns
// the relay's log.
func relayUntilDelivered(t *testing.T, ctx context.Context, d *devnet.Devnet, args []string, want uint64) string {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	var logs bytes.Buffer
	go func() {
		cmd := NewRootCmd(&bytes.Buffer{}, args)
		cmd.SetErr(&logs)
		done <- cmd.ExecuteContext(runCtx)
	}()
	for {
		st, err := d.Dst.State(ctx, d.Config.SourceDomain)
		if err != nil {
			t.Fatal(err)
		}
		if st.DeliveredCount == want {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("delivered %d of %d", st.DeliveredCount, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("relay after a graceful stop: %v", err)
	}
	return logs.String()
}
