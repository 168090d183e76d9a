package chain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Client is a JSON-RPC connection to one chain.
type Client struct {
	URL     string
	Eth     *ethclient.Client
	ChainID *big.Int
	// PollInterval is how often a pending transaction's receipt is asked for.
	PollInterval time.Duration
	rpc          *rpc.Client
}

// Dial connects to a JSON-RPC endpoint and reads its chain id.
func Dial(ctx context.Context, url string) (*Client, error) {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c := &Client{URL: url, Eth: ethclient.NewClient(rc), PollInterval: time.Second, rpc: rc}
	if c.ChainID, err = c.Eth.ChainID(ctx); err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: %w: %w", url, ErrUnreachable, err)
	}
	return c, nil
}

// Close closes the connection.
func (c *Client) Close() { c.rpc.Close() }

// Transactor returns signing options for key on this chain.
func (c *Client) Transactor(ctx context.Context, key *ecdsa.PrivateKey) *bind.TransactOpts {
	opts := bind.NewKeyedTransactor(key, c.ChainID)
	opts.Context = ctx
	return opts
}

// Contract binds a contract's ABI at addr on this chain.
func (c *Client) Contract(instance interface {
	Instance(bind.ContractBackend, common.Address) *bind.BoundContract
}, addr common.Address) *bind.BoundContract {
	return instance.Instance(c.Eth, addr)
}

// localDomain reads the localDomain of an Outbox or Inbox (kind), which also checks that the
// address holds one.
func (c *Client) localDomain(ctx context.Context, bound *bind.BoundContract, data []byte, unpack func([]byte) (uint32, error), kind string) (uint32, error) {
	code, err := c.Eth.CodeAt(ctx, bound.Address(), nil)
	if err != nil {
		return 0, fmt.Errorf("%s %s on %s: %w", kind, bound.Address(), c.URL, err)
	}
	if len(code) == 0 {
		return 0, fmt.Errorf("%s %s on %s: %w", kind, bound.Address(), c.URL, ErrNoContract)
	}
	domain, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, data, unpack)
	if err != nil {
		return 0, fmt.Errorf("%s %s on %s: read localDomain (is it an %s?): %w", kind, bound.Address(), c.URL, kind, err)
	}
	return domain, nil
}

// Revert is a transaction or call that the contract refused, with its decoded custom error
// when the ABI knows it.
type Revert struct {
	Data    []byte // raw revert data
	Decoded any    // the contract's custom error, or nil
}

func (r *Revert) Error() string {
	if r.Decoded != nil {
		return fmt.Sprintf("contract reverted: %T%+v", r.Decoded, r.Decoded)
	}
	return fmt.Sprintf("contract reverted: data %x", r.Data)
}

// Unpacker decodes a contract's custom errors (the generated bindings' UnpackError).
type Unpacker func(raw []byte) (any, error)

// DecodeRevert turns an RPC error that carries revert data into a *Revert; other errors pass
// through unchanged.
func DecodeRevert(err error, unpack Unpacker) error {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return err
	}
	hexData, ok := de.ErrorData().(string)
	if !ok {
		return err
	}
	data := common.FromHex(hexData)
	r := &Revert{Data: data}
	if unpack != nil && len(data) >= 4 {
		if decoded, uerr := unpack(data); uerr == nil {
			r.Decoded = decoded
		}
	}
	return r
}

// Transact sends calldata to contract from key, waits for the receipt, and turns a refusal
// into a *Revert (the error a gas estimate or a failed receipt reports). gas 0 estimates.
func (c *Client) Transact(ctx context.Context, key *ecdsa.PrivateKey, contract *bind.BoundContract, data []byte, gas uint64, unpack Unpacker) (*types.Receipt, error) {
	opts := c.Transactor(ctx, key)
	opts.GasLimit = gas
	tx, err := contract.RawTransact(opts, data)
	if err != nil {
		return nil, DecodeRevert(err, unpack)
	}
	receipt, err := c.WaitReceipt(ctx, tx.Hash())
	if err != nil {
		return nil, err
	}
	if receipt.Status != types.ReceiptStatusSuccessful {
		// Replay the call at the parent block to recover the revert data.
		from := opts.From
		to := contract.Address()
		_, callErr := c.Eth.CallContract(ctx, ethereum.CallMsg{From: from, To: &to, Gas: tx.Gas(), Data: data},
			new(big.Int).Sub(receipt.BlockNumber, big.NewInt(1)))
		if callErr != nil {
			return receipt, DecodeRevert(callErr, unpack)
		}
		return receipt, fmt.Errorf("transaction %s failed (gas used %d of %d)", tx.Hash(), receipt.GasUsed, tx.Gas())
	}
	return receipt, nil
}

// Deploy sends a contract creation and waits for it.
func (c *Client) Deploy(ctx context.Context, key *ecdsa.PrivateKey, bytecode []byte, constructorArgs []byte) (common.Address, error) {
	addr, tx, err := bind.DeployContract(c.Transactor(ctx, key), bytecode, c.Eth, constructorArgs)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy: %w", err)
	}
	receipt, err := c.WaitReceipt(ctx, tx.Hash())
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy: %w", err)
	}
	if receipt.Status != types.ReceiptStatusSuccessful {
		return common.Address{}, fmt.Errorf("deploy: creation %s failed", tx.Hash())
	}
	return addr, nil
}

// WaitReceipt polls for a transaction's receipt until it is mined or ctx ends, then until the
// node's head has reached the receipt's block: go-ethereum writes a new head's transaction
// index before it moves its head, so a receipt can be served while calls at "latest" still
// run on the parent block, and a caller would read the state from before its own
// transaction (a relay would deliver from a stale count).
func (c *Client) WaitReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	ticker := time.NewTicker(c.PollInterval)
	defer ticker.Stop()
	var receipt *types.Receipt
	for {
		var err error
		if receipt == nil {
			receipt, err = c.Eth.TransactionReceipt(ctx, hash)
		}
		if err == nil {
			head, err := c.Eth.BlockNumber(ctx)
			if err != nil {
				return nil, fmt.Errorf("head after %s: %w", hash, err)
			}
			if head >= receipt.BlockNumber.Uint64() {
				return receipt, nil
			}
		} else if !errors.Is(err, ethereum.NotFound) && !txIndexing(err) {
			return nil, fmt.Errorf("receipt of %s: %w", hash, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s: %w", hash, ctx.Err())
		case <-ticker.C:
		}
	}
}

// txIndexing reports geth's "transaction indexing is in progress" answer, which a node gives
// for receipts while it (re)builds its transaction index: the receipt may come later.
func txIndexing(err error) bool {
	var de rpc.DataError
	return errors.As(err, &de) && de.ErrorData() == "transaction indexing is in progress"
}
