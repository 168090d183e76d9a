// Command isthmus is the Isthmus prover's command line: the devnet demo today; setup,
// proving, aggregation, relaying and attesting as they land.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	cmd := NewRootCmd(os.Stdout, os.Args[1:])
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}
