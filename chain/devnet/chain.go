// Package devnet runs two in-process go-ethereum chains (a source and a destination) with
// JSON-RPC served on loopback, deploys the Isthmus contracts on them, and runs the devnet demo.
// Everything above it talks to these chains over JSON-RPC, as it would to real ones.
package devnet

import (
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"
)

// epochLength is how far behind the head finality moves on a simulated chain: a block is
// finalized once the head passes the next multiple of 32.
const epochLength = 32

// Chain is one simulated chain with JSON-RPC on a loopback port. It seals a block whenever
// transactions are pending, every BlockInterval.
type Chain struct {
	Domain uint32
	URL    string

	stack  *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	mu     sync.Mutex // serialises sealing
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
	err    error // of the first Close
}

// BlockInterval is how often a chain checks for pending transactions to seal.
const BlockInterval = 20 * time.Millisecond

// StartChain starts a chain whose genesis funds alloc, serving JSON-RPC on 127.0.0.1.
func StartChain(domain uint32, alloc types.GenesisAlloc) (*Chain, error) {
	nodeConf := node.DefaultConfig
	nodeConf.DataDir = ""
	nodeConf.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0}
	nodeConf.HTTPHost = "127.0.0.1"
	nodeConf.HTTPPort = 0
	nodeConf.HTTPModules = []string{"eth", "net", "web3"}
	nodeConf.AuthPort = 0

	genesisAlloc := core.SystemContractAllocs()
	maps.Copy(genesisAlloc, alloc)
	ethConf := ethconfig.Defaults
	ethConf.Genesis = &core.Genesis{
		Config:   ChainConfig(),
		GasLimit: ethconfig.Defaults.Miner.GasCeil,
		Alloc:    genesisAlloc,
	}
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true

	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, fmt.Errorf("domain %d: new node: %w", domain, err)
	}
	backend, err := eth.New(stack, &ethConf)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("domain %d: new eth service: %w", domain, err)
	}
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(filters.NewFilterSystem(backend.APIBackend, filters.Config{}))}})
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("domain %d: start node: %w", domain, err)
	}
	beacon, err := catalyst.NewSimulatedBeacon(0, common.Address{}, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("domain %d: simulated beacon: %w", domain, err)
	}
	if err := beacon.Fork(backend.BlockChain().GetCanonicalHash(0)); err != nil {
		stack.Close()
		return nil, fmt.Errorf("domain %d: reset to genesis: %w", domain, err)
	}
	c := &Chain{
		Domain: domain, URL: stack.HTTPEndpoint(), stack: stack, eth: backend, beacon: beacon,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go c.produce()
	return c, nil
}

func (c *Chain) produce() {
	defer close(c.done)
	ticker := time.NewTicker(BlockInterval)
	defer ticker.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-ticker.C:
			if pending, _ := c.eth.TxPool().Stats(); pending > 0 {
				c.Commit()
			}
		}
	}
}

// Commit seals a block now, with whatever transactions are pending.
func (c *Chain) Commit() common.Hash {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.beacon.Commit()
}

// Head is the current block number.
func (c *Chain) Head() uint64 { return c.eth.BlockChain().CurrentBlock().Number.Uint64() }

// Finalize seals empty blocks until block n is finalized.
func (c *Chain) Finalize(n uint64) {
	target := (n + epochLength - 1) / epochLength * epochLength
	for c.Head() < target {
		c.Commit()
	}
}

// Close stops block production and the node; closing it again returns the first Close's
// error (a test stops a chain to take its node down, then closes the devnet).
func (c *Chain) Close() error {
	c.closed.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.beacon.Stop()
		if cerr := c.stack.Close(); c.err == nil {
			c.err = cerr
		}
	})
	return c.err
}
