package main

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// The first SIGTERM cancels the command's context (and hands the next one back to the
// default handling, which would end this test's process: not sent here).
func TestInterruptibleCancelsOnTheFirstSignal(t *testing.T) {
	ctx, stop := interruptible(context.Background())
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the context outlived a SIGTERM")
	}
}
