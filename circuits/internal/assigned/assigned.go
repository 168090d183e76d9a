// Package assigned reads the integers that circuits' assignments hold.
package assigned

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
)

// Big is an assigned integer's value: a *big.Int, int, uint32 or uint64.
func Big(v frontend.Variable) *big.Int {
	switch x := v.(type) {
	case *big.Int:
		return x
	case int:
		return big.NewInt(int64(x))
	case uint32:
		return new(big.Int).SetUint64(uint64(x))
	case uint64:
		return new(big.Int).SetUint64(x)
	}
	panic(fmt.Sprintf("assigned: a %T in an assignment", v))
}

// Equal is whether two assigned integers have the same value.
func Equal(a, b frontend.Variable) bool { return Big(a).Cmp(Big(b)) == 0 }
