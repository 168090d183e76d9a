package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// interruptible is parent (or the background) cancelled by the first interrupt or SIGTERM:
// the command winds down. A Groth16 setup or proof cannot stop midway, so the first signal
// also restores the default handling: a second one quits at once.
func interruptible(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case <-sigs:
			slog.Warn("stopping after the current step; interrupt again to quit now")
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
