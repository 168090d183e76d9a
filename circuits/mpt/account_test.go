package mpt

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/core/types"
	gethrlp "github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

const accountBuf = 128

// accountCircuit decodes the account in Value[:End] and asserts its fields.
type accountCircuit struct {
	Value                          [accountBuf]frontend.Variable
	End                            frontend.Variable
	Nonce                          frontend.Variable
	Balance, StorageRoot, CodeHash [32]frontend.Variable
}

func (c *accountCircuit) Define(api frontend.API) error {
	for _, b := range c.Value {
		api.ToBinary(b, 8)
	}
	a := DecodeAccount(api, rlp.New(api, c.Value[:]), 0, c.End, 1)
	api.AssertIsEqual(a.Nonce, c.Nonce)
	for k := 0; k < 32; k++ {
		api.AssertIsEqual(a.Balance[k], c.Balance[k])
		api.AssertIsEqual(a.StorageRoot[k], c.StorageRoot[k])
		api.AssertIsEqual(a.CodeHash[k], c.CodeHash[k])
	}
	return nil
}

func accountAssignment(value []byte, a *Account) *accountCircuit {
	c := &accountCircuit{End: len(value), Nonce: a.Nonce}
	for k := range c.Value {
		c.Value[k] = 0
		if k < len(value) {
			c.Value[k] = value[k]
		}
	}
	balance := a.Balance.FillBytes(make([]byte, 32))
	for k := 0; k < 32; k++ {
		c.Balance[k], c.StorageRoot[k], c.CodeHash[k] = balance[k], a.StorageRoot[k], a.CodeHash[k]
	}
	return c
}

// Every mainnet account leaf decodes as go-ethereum decodes it, natively and in-circuit.
func TestDecodeAccount(t *testing.T) {
	state, err := mainnet.StateProofs()
	if err != nil {
		t.Fatal(err)
	}
	ccs := circuittest.Compile(t, "account", field, &accountCircuit{})
	accounts := 0
	for _, p := range state {
		if !p.Account {
			continue
		}
		value, _, err := VerifyNative(p.Root, p.Key, p.Nodes)
		if err != nil {
			t.Fatal(err)
		}
		var want types.StateAccount
		if err := gethrlp.DecodeBytes(value, &want); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeAccountNative(value)
		if err != nil || got.Nonce != want.Nonce || got.Balance.Cmp(want.Balance.ToBig()) != 0 ||
			got.StorageRoot != want.Root || got.CodeHash != [32]byte(want.CodeHash) {
			t.Fatalf("%s: twin %+v (%v), go-ethereum %+v", p.Name, got, err, want)
		}
		if err := circuittest.Solve(ccs, field, accountAssignment(value, got)); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		bad := accountAssignment(value, got)
		bad.Nonce = got.Nonce + 1
		if circuittest.Solve(ccs, field, bad) == nil {
			t.Fatalf("%s: another nonce accepted", p.Name)
		}
		accounts++
	}
	if accounts < 4 {
		t.Fatalf("%d accounts checked", accounts)
	}

	// Non-canonical or malformed accounts, refused by both.
	a := &Account{Nonce: 7, Balance: big.NewInt(1000), StorageRoot: [32]byte{1}, CodeHash: [32]byte{2}}
	enc := func(fields ...any) []byte {
		b, err := gethrlp.EncodeToBytes(fields)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := enc(a.Nonce, a.Balance, a.StorageRoot, a.CodeHash)
	if err := circuittest.Solve(ccs, field, accountAssignment(good, a)); err != nil {
		t.Fatalf("a well-formed account: %v", err)
	}
	for name, v := range map[string][]byte{
		"balance with a leading zero": enc(a.Nonce, []byte{0x00, 0x03, 0xe8}, a.StorageRoot, a.CodeHash),
		"a fifth field":               enc(a.Nonce, a.Balance, a.StorageRoot, a.CodeHash, uint64(1)),
		"a 31-byte storageRoot":       enc(a.Nonce, a.Balance, a.StorageRoot[:31], a.CodeHash),
	} {
		if _, err := DecodeAccountNative(v); err == nil {
			t.Errorf("%s: the twin accepts it", name)
		}
		if circuittest.Solve(ccs, field, accountAssignment(v, a)) == nil {
			t.Errorf("%s: the gadget accepts it", name)
		}
	}
}
