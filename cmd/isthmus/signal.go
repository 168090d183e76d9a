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
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
		if parent.Err() == nil {
			slog.Warn("stopping after the current step; interrupt again to quit now")
		}
	}()
	return ctx, stop
}
