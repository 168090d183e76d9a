package devnet

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
)

// TokenTransfers deploys a plain ERC-20 (TestOnlyToken) on the source chain, mints 100 to the
// user and has the user transfer 40 to to: the transfer's receipt, whose one log is Transfer.
func TokenTransfers(ctx context.Context, d *Devnet, to common.Address) (common.Address, *types.Receipt, error) {
	user := DevKey("user")
	token, err := d.SourceClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestOnlyTokenMetaData.Bin), nil)
	if err != nil {
		return common.Address{}, nil, err
	}
	tk := testbindings.NewTestOnlyToken()
	bound := d.SourceClient.Contract(tk, token)
	if _, err := d.SourceClient.Transact(ctx, d.Deployer, bound, tk.PackMint(crypto.PubkeyToAddress(user.PublicKey), big.NewInt(100)), 0, tk.UnpackError); err != nil {
		return common.Address{}, nil, err
	}
	r, err := d.SourceClient.Transact(ctx, user, bound, tk.PackTransfer(to, big.NewInt(40)), 0, tk.UnpackError)
	return token, r, err
}
