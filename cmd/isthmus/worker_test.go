package main

import (
	"testing"

	"github.com/isthmus-xyz/isthmus/aggregator"
)

// The worker command: it needs a server, and it refuses to start with no key it can serve,
// naming the circuits and the store.
func TestWorkerCommandRefusesBadInput(t *testing.T) {
	args := []string{"worker"}
	_, err := run(t, args...)
	wantUsage(t, err, "--nats", args)

	srv, err := aggregator.StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	keys := t.TempDir()
	args = []string{"worker", "--nats", srv.URL, "--key-dir", keys, "--circuits", "universal-step,wrap"}
	_, err = run(t, args...)
	wantFailure(t, err, "no circuit to serve", args)
	for _, want := range []string{"universal-step", "wrap", keys} {
		wantFailure(t, err, want, args)
	}
	args = []string{"worker", "--nats", "nats://127.0.0.1:1", "--key-dir", keys}
	_, err = run(t, args...)
	wantFailure(t, err, "127.0.0.1:1", args)
}
