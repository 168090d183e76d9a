package devnet

import (
	"context"
	"testing"
	"time"
)

// StartForTest starts a devnet of the default configuration for a test (or fails it), and
// closes it when the test ends.
func StartForTest(tb testing.TB) *Devnet {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := Start(ctx, DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close devnet: %v", err)
		}
	})
	return d
}
