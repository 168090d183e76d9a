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
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := struct {
				Version string            `json:"version"`
				Go      string            `json:"go,omitempty"`
				Deps    map[string]string `json:"dependencies,omitempty"`
			}{Version: version}
			info, ok := debug.ReadBuildInfo()
			var deps []string
			if ok {
				v.Version, v.Go, v.Deps = versionOf(info), info.GoVersion, map[string]string{}
				for _, dep := range info.Deps {
					switch dep.Path {
					case "github.com/consensys/gnark", "github.com/consensys/gnark-crypto", "github.com/ethereum/go-ethereum":
						v.Deps[dep.Path] = dep.Version
						deps = append(deps, dep.Path)
					}
				}
			}
			return emit(cmd, out, v, func() error {
				fmt.Fprintf(out, "isthmus %s\n", v.Version)
				if v.Go != "" {
					fmt.Fprintf(out, "go %s\n", v.Go)
				}
				for _, d := range deps {
					fmt.Fprintf(out, "%s %s\n", d, v.Deps[d])
				}
				return nil
			})
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
