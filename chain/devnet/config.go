package devnet

import (
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
)

// ChainConfig is the rule set of the devnet chains: every fork Ethereum mainnet runs, up to and
// including Osaka, and none of the forks go-ethereum's dev config schedules beyond it (their
// gas schedule, e.g. EIP-8037's state-creation pricing, is not what users pay today).
// Chain id 1337.
func ChainConfig() *params.ChainConfig {
	cfg := *params.AllDevChainProtocolChanges
	cfg.BogotaTime = nil
	return &cfg
}

// SimulatedBackend is go-ethereum's in-process simulated backend on ChainConfig, for tests and
// gas benchmarks that need no JSON-RPC.
func SimulatedBackend(alloc types.GenesisAlloc) *simulated.Backend {
	return simulated.NewBackend(alloc, func(_ *node.Config, ethConf *ethconfig.Config) {
		ethConf.Genesis.Config = ChainConfig()
	})
}
