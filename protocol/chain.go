package protocol

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ChainGenesis opens every statement chain: keccak256("isthmus.statement.chain.v1").
var ChainGenesis = crypto.Keccak256Hash([]byte("isthmus.statement.chain.v1"))

// ClaimsPerFold is how many claim hashes one step of a statement chain absorbs at most.
const ClaimsPerFold = 3

// ChainStep is one step of a statement chain: keccak256(prev ‖ hashes…), over 1 to
// ClaimsPerFold claim hashes.
func ChainStep(prev common.Hash, hashes []common.Hash) common.Hash {
	buf := append([]byte{}, prev[:]...)
	for _, h := range hashes {
		buf = append(buf, h[:]...)
	}
	return crypto.Keccak256Hash(buf)
}

// ChainStatement is the statement of the universal aggregation over claim hashes (each the
// keccak256 of a claim's encoding), in order: from ChainGenesis, one ChainStep for each
// ClaimsPerFold of them, the last step taking what is left. It binds the claims, their order
// and their number (each step's input length is its number of claims). Zero claims have no
// statement: it returns ChainGenesis, which no batch proves.
func ChainStatement(hashes []common.Hash) common.Hash {
	s := ChainGenesis
	for len(hashes) > 0 {
		n := min(ClaimsPerFold, len(hashes))
		s, hashes = ChainStep(s, hashes[:n]), hashes[n:]
	}
	return s
}

// ClaimHashes are the keccak256 of the statement's claims (Claims), in order.
func (s *Statement) ClaimHashes() []common.Hash {
	claims := s.Claims()
	out := make([]common.Hash, len(claims))
	for i, c := range claims {
		out[i] = crypto.Keccak256Hash(c)
	}
	return out
}

// ChainInputBits is how many low bits of a statement chain the universal aggregation exports
// and its wrap takes: the most that every such value is a BLS12-377 scalar (r > 2^252).
const ChainInputBits = 252

var chainInputMask = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), ChainInputBits), big.NewInt(1))

// ChainInput is a statement chain's public input: its low ChainInputBits bits.
func ChainInput(s common.Hash) *big.Int {
	return new(big.Int).And(new(big.Int).SetBytes(s[:]), chainInputMask)
}
