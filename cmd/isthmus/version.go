package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newVersionCmd(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Example: "  isthmus version",
		Short:   "Print the version and the versions of the proving and chain libraries",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info, ok := debug.ReadBuildInfo()
			if !ok {
				fmt.Fprintf(out, "isthmus %s\n", version)
				return nil
			}
			fmt.Fprintf(out, "isthmus %s\n", versionOf(info))
			fmt.Fprintf(out, "go %s\n", info.GoVersion)
			for _, dep := range info.Deps {
				switch dep.Path {
				case "github.com/consensys/gnark", "github.com/consensys/gnark-crypto", "github.com/ethereum/go-ethereum":
					fmt.Fprintf(out, "%s %s\n", dep.Path, dep.Version)
				}
			}
			return nil
		},
	}
}

// versionOf is the binary's version: the one set at build time, else its module's (what
// `go install …@v1.2.3` records), with the commit it was built from when the build recorded
// one (a build in a checkout: its revision, its time, and whether the tree was modified).
func versionOf(info *debug.BuildInfo) string {
	v := version
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v += " (commit " + rev
	if at != "" {
		v += ", " + at
	}
	if modified {
		v += ", modified"
	}
	return v + ")"
}
