// Command gen recompiles the contracts and rewrites their artifacts and Go bindings.
// Run it through `go generate ./contracts` (or `make contracts`).
package main

import (
	"fmt"
	"os"

	"github.com/isthmus-xyz/isthmus/contracts/internal/build"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	out, err := build.Generate(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate contracts:", err)
		os.Exit(1)
	}
	if err := build.Write(dir, out); err != nil {
		fmt.Fprintln(os.Stderr, "write contracts:", err)
		os.Exit(1)
	}
	for _, rel := range build.Diff(dir, out) {
		fmt.Fprintln(os.Stderr, "not written:", rel)
	}
}
