package devkeys

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/secp256k1"
)

func TestDevKeysAreValid(t *testing.T) {
	for _, role := range []string{"deployer", "relayer", "user"} {
		d := crypto.Keccak256([]byte("isthmus devnet key: " + role))
		if v := new(big.Int).SetBytes(d); v.Sign() == 0 || v.Cmp(secp256k1.S256().Params().N) >= 0 {
			t.Errorf("devnet key %q is not a valid secp256k1 scalar", role)
		}
	}
}
