//go:build !devnet

package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// newDevnetCmd, in a production build, names the build that has the devnet: its chains are
// go-ethereum nodes in this process, whose packages (p2p, the databases, the node's
// services) a production binary does not carry.
func newDevnetCmd(io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "devnet",
		Short: "Run the end-to-end demo on two local chains (built with -tags devnet)",
		Long: `This binary is a production build: it does not carry the devnet's go-ethereum
nodes. Build the devnet in with the devnet tag (make demo and make build-devnet do).`,
		Example: `  make build-devnet && bin/isthmus devnet
  go install -tags devnet github.com/isthmus-xyz/isthmus/cmd/isthmus@latest && isthmus devnet`,
		Args:               cobra.ArbitraryArgs,
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return usageError(errors.New("this isthmus is a production build, without the devnet: build it with -tags devnet (make build-devnet)"))
		},
	}
}
