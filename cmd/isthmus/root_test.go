package main

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := NewRootCmd(&out, args)
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), err
}

func TestDevnetCommandDeliversEveryMessage(t *testing.T) {
	out, err := run(t, "devnet", "--messages", "4", "--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^lane count\s+4$`, `recipient recorded 4$`, `verified against the state root`} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(out) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	for _, args := range [][]string{
		{"devnet", "--messages", "0"},
		{"devnet", "--messages", "many"},
		{"--log-level", "loud", "version"},
		{"--log-format", "xml", "version"},
	} {
		_, err := run(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("%v: err = %v, want a usage error (exit 2)", args, err)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "isthmus ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}
