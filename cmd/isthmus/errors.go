package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command was called wrongly
)

// exitError carries the process exit code of a failure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// exitCode is the process exit code of a command's error: 0 for none, the code an
// exitError carries, 2 for cobra's own misuse errors (an unknown command), else 1.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if strings.HasPrefix(err.Error(), "unknown command ") {
		return exitUsage
	}
	return exitFailure
}

// required refuses, as misuse, the flags of values that are empty (naming them) and the
// address flags that do not hold an address; addresses are the flags whose names are in
// addrs.
func required(values map[string]string, addrs ...string) error {
	var missing []string
	for _, name := range sortedKeys(values) {
		if values[name] == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		verb := "are"
		if len(missing) == 1 {
			verb = "is"
		}
		return usageError(fmt.Errorf("%s %s required", strings.Join(missing, ", "), verb))
	}
	for _, name := range addrs {
		if v := values[name]; !common.IsHexAddress(v) {
			return usageError(fmt.Errorf("--%s %q is not an address (0x and 40 hex digits)", name, v))
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unused refuses, as misuse, the flags of cmd among names that were given although the
// command's mode (why) does not read them.
func unused(cmd *cobra.Command, why string, names ...string) error {
	var given []string
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			given = append(given, "--"+n)
		}
	}
	if len(given) > 0 {
		return usageError(fmt.Errorf("%s: %s would be ignored", why, strings.Join(given, ", ")))
	}
	return nil
}

// emit writes v as indented JSON when the command runs with --json, and else its text
// form.
func emit(cmd *cobra.Command, out io.Writer, v any, text func() error) error {
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSONTo(out, v)
	}
	return text()
}

// usageArgs makes every argument-count error of the tree under cmd a usage error.
func usageArgs(cmd *cobra.Command) {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return usageError(err)
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
}
