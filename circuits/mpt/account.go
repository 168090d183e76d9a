package mpt

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// Account is an account leaf's value: [nonce, balance, storageRoot, codeHash].
type Account struct {
	Nonce       uint64
	Balance     *big.Int
	StorageRoot common.Hash
	CodeHash    common.Hash
}

// DecodeAccountNative decodes an account leaf's value (the twin of DecodeAccount).
func DecodeAccountNative(value []byte) (*Account, error) {
	list, items, err := rlp.DecodeList(value, 0)
	if err != nil || list.End != len(value) || len(items) != 4 {
		return nil, fmt.Errorf("%w: account %x: %v", ErrProof, value, err)
	}
	nonce, err := rlp.Uint(value, items[0], 8)
	if err != nil {
		return nil, fmt.Errorf("%w: account nonce: %v", ErrProof, err)
	}
	b := items[1]
	if b.IsList || b.PayloadLen > 32 || b.PayloadLen > 0 && value[b.PayloadOffset] == 0 {
		return nil, fmt.Errorf("%w: account balance is not a canonical word", ErrProof)
	}
	root, err := rlp.Fixed(value, items[2], 32)
	if err != nil {
		return nil, fmt.Errorf("%w: account storageRoot: %v", ErrProof, err)
	}
	code, err := rlp.Fixed(value, items[3], 32)
	if err != nil {
		return nil, fmt.Errorf("%w: account codeHash: %v", ErrProof, err)
	}
	return &Account{Nonce: nonce, Balance: new(big.Int).SetBytes(value[b.PayloadOffset:b.End]),
		StorageRoot: common.BytesToHash(root), CodeHash: common.BytesToHash(code)}, nil
}

// AccountStorageRoot decodes an account leaf's value and returns its storageRoot.
func AccountStorageRoot(value []byte) (common.Hash, error) {
	a, err := DecodeAccountNative(value)
	if err != nil {
		return common.Hash{}, err
	}
	return a.StorageRoot, nil
}

// CAccount is an account decoded in-circuit; words are 32 bytes, big-endian.
type CAccount struct {
	Nonce       frontend.Variable
	Balance     []frontend.Variable
	StorageRoot []frontend.Variable
	CodeHash    []frontend.Variable
}

// DecodeAccount decodes the account list at offset, which must end at end, when active is 1
// (with active 0 nothing is enforced: offset should then be 0, the node's own list, so that
// every read stays in the node).
func DecodeAccount(api frontend.API, d *rlp.Decoder, offset, end, active frontend.Variable) *CAccount {
	list, items, count := d.ListIf(offset, 4, active)
	api.AssertIsEqual(api.Mul(active, api.Sub(count, 4)), 0)
	api.AssertIsEqual(api.Mul(active, api.Sub(list.End, end)), 0)
	// Balance: a canonical word of up to 32 bytes (zero is the empty string).
	b := items[1]
	api.AssertIsEqual(api.Mul(active, b.IsList), 0)
	bLen := api.Mul(active, b.PayloadLen)
	cmp.NewBoundedComparator(api, big.NewInt(1<<16), false).AssertIsLessEq(bLen, 32)
	nonEmpty := api.Sub(1, api.IsZero(bLen))
	api.AssertIsEqual(api.Mul(nonEmpty, api.IsZero(d.At(api.Mul(active, b.PayloadOffset)))), 0)
	return &CAccount{
		Nonce:       d.Uint(items[0], 8, active),
		Balance:     LeftPad32(api, d, api.Mul(active, b.PayloadOffset), bLen),
		StorageRoot: d.Fixed(items[2], 32, active),
		CodeHash:    d.Fixed(items[3], 32, active),
	}
}
