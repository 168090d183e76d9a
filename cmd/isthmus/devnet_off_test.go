//go:build !devnet

package main

import (
	"strings"
	"testing"
)

// A production build has no devnet: its devnet command says how to build one, as misuse
// (exit 2), whatever flags it is given.
func TestProductionBuildNamesTheDevnetBuild(t *testing.T) {
	for _, args := range [][]string{{"devnet"}, {"devnet", "--test-only-verifier"}, {"devnet", "--messages", "many"}} {
		_, err := run(t, args...)
		if got := exitCode(err); got != exitUsage || err == nil || !strings.Contains(err.Error(), "-tags devnet") {
			t.Errorf("%v: exit %d, %v; want exit %d naming the devnet build", args, got, err, exitUsage)
		}
	}
}
