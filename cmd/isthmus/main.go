// Command isthmus is the Isthmus prover's command line: the devnet demo, key setup, proving,
// aggregation, relaying, attesting and deployment. Failures exit 1, misuse exits 2.
package main

import (
	"fmt"
	"os"
)

func main() {
	cmd := NewRootCmd(os.Stdout, os.Args[1:])
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitCode(err))
	}
}
