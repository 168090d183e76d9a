package main

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	hl "github.com/isthmus-xyz/isthmus/contracts/thirdparty/hyperlane"
)

// deploy hyperlane, layerzero-dvn and layerzero-path on the devnet's chains: the contracts
// hold what the flags say; missing or malformed flags are usage errors.
func TestDeployAdapterCommands(t *testing.T) {
	ctx, d := startDevnet(t)
	src, dst := d.SourceClient, d.DestinationClient
	mailbox, err := src.Deploy(ctx, d.Deployer, common.FromHex(hl.MailboxMetaData.Bin), hl.NewMailbox().PackConstructor(1000))
	if err != nil {
		t.Fatal(err)
	}
	domains := []string{"--origin", "1000", "--destination", "2000",
		"--isthmus-origin", "1", "--isthmus-destination", "2", "--devnet-deployer", "--json"}
	out, err := run(t, append([]string{"deploy", "hyperlane", "--rpc", d.Source.URL, "--destination-rpc", d.Destination.URL,
		"--mailbox", mailbox.Hex(), "--outbox", d.Outbox.Hex(), "--inbox", d.Inbox.Hex()}, domains...)...)
	if err != nil {
		t.Fatal(err)
	}
	var route struct{ Hook, Ism common.Address }
	if err := json.Unmarshal([]byte(out), &route); err != nil {
		t.Fatal(err)
	}
	ism, hook := bindings.NewIsthmusHyperlaneIsm(), bindings.NewIsthmusHyperlaneHook()
	if h, err := bind.Call(dst.Contract(ism, route.Ism), nil, ism.PackHook(), ism.UnpackHook); err != nil || h != route.Hook {
		t.Fatalf("ISM's hook %s, %v; want %s", h, err, route.Hook)
	}
	if o, err := bind.Call(src.Contract(hook, route.Hook), nil, hook.PackOutbox(), hook.UnpackOutbox); err != nil || o != d.Outbox {
		t.Fatalf("hook's Outbox %s, %v; want %s", o, err, d.Outbox)
	}

	dvnOut, err := run(t, "deploy", "layerzero-dvn", "--rpc", d.Destination.URL, "--eid", "40102", "--receive-lib", common.Address{0x42}.Hex(),
		"--inbox", d.Inbox.Hex(), "--devnet-deployer", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ DVN common.Address }
	if err := json.Unmarshal([]byte(dvnOut), &got); err != nil {
		t.Fatal(err)
	}
	peer := common.Address{0x77}
	endpoint := common.Address{0x88}
	if _, err := run(t, "deploy", "layerzero-path", "--rpc", d.Destination.URL, "--dvn", got.DVN.Hex(), "--eid", "40101",
		"--isthmus-domain", "1", "--peer", peer.Hex(), "--endpoint", endpoint.Hex(), "--devnet-deployer"); err != nil {
		t.Fatal(err)
	}
	dvn := bindings.NewIsthmusDVN()
	path, err := bind.Call(dst.Contract(dvn, got.DVN), nil, dvn.PackPaths(40101), dvn.UnpackPaths)
	if err != nil || path.IsthmusDomain != 1 || path.Dvn != peer || path.Endpoint != endpoint {
		t.Fatalf("DVN path to 40101: %+v, %v", path, err)
	}
	if _, err := run(t, "deploy", "layerzero-path", "--rpc", d.Destination.URL, "--dvn", got.DVN.Hex(), "--eid", "40101",
		"--isthmus-domain", "1", "--peer", common.Address{0x78}.Hex(), "--devnet-deployer"); err == nil {
		t.Fatal("a second path to one eid")
	}

	for _, args := range [][]string{
		append([]string{"deploy", "hyperlane", "--rpc", d.Source.URL, "--mailbox", mailbox.Hex(), "--outbox", d.Outbox.Hex(), "--inbox", d.Inbox.Hex()}, domains...),
		append([]string{"deploy", "hyperlane", "--rpc", d.Source.URL, "--destination-rpc", d.Destination.URL, "--mailbox", "0x12", "--outbox", d.Outbox.Hex(), "--inbox", d.Inbox.Hex()}, domains...),
		{"deploy", "layerzero-dvn", "--rpc", d.Source.URL, "--eid", "40101", "--outbox", d.Outbox.Hex(), "--devnet-deployer"},
		{"deploy", "layerzero-dvn", "--rpc", d.Source.URL, "--eid", "40101", "--devnet-deployer"},
		{"deploy", "layerzero-path", "--rpc", d.Source.URL, "--dvn", got.DVN.Hex(), "--eid", "40101", "--peer", peer.Hex(), "--devnet-deployer"},
		{"deploy", "layerzero-path", "--rpc", d.Source.URL, "--dvn", got.DVN.Hex(), "--eid", "40101", "--isthmus-domain", "1", "--endpoint", "0x1", "--devnet-deployer"},
		{"deploy", "layerzero-path", "--rpc", d.Source.URL, "--dvn", got.DVN.Hex(), "--eid", "40101", "--isthmus-domain", "1", "--peer", peer.Hex(), "--gas-price", "-1", "--devnet-deployer"},
	} {
		_, err := run(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("%v: err = %v, want a usage error (exit 2)", args[1:4], err)
		}
	}
}
