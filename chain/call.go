package chain

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
)

// CallUint calls a contract's view function that returns one unsigned integer.
func CallUint(ctx context.Context, c *Client, instance interface {
	Instance(bind.ContractBackend, common.Address) *bind.BoundContract
}, addr common.Address, data []byte, unpack func([]byte) (*big.Int, error)) (uint64, error) {
	v, err := bind.Call(c.Contract(instance, addr), &bind.CallOpts{Context: ctx}, data, unpack)
	if err != nil {
		return 0, err
	}
	return v.Uint64(), nil
}
