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
		Use:   "version",
		Short: "Print the version and the versions of the proving and chain libraries",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(out, "isthmus %s\n", version)
			info, ok := debug.ReadBuildInfo()
			if !ok {
				return nil
			}
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
