package header

import (
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	gethrlp "github.com/ethereum/go-ethereum/rlp"
)

// withinBounds reports whether a header go-ethereum decoded lies within the twin's documented
// bounds, which are Ethereum's rules where go-ethereum's RLP decoder is laxer: the encoding's
// size, a fork's field count, number below 2^64, uint256 difficulty and base fee, extraData
// of at most 32 bytes.
func withinBounds(h *types.Header, enc []byte) bool {
	content, _, err := gethrlp.SplitList(enc)
	if err != nil {
		return false
	}
	n, err := gethrlp.CountValues(content)
	if err != nil {
		return false
	}
	u256 := func(x *big.Int) bool { return x == nil || x.BitLen() <= 256 }
	return len(enc) >= MinLen && len(enc) <= MaxLen && slices.Contains(ForkFields, n) &&
		h.Number.IsUint64() && u256(h.Difficulty) && u256(h.BaseFee) && len(h.Extra) <= MaxExtraData
}

// The twin never accepts what go-ethereum refuses, gives go-ethereum's fields and hash for
// what it accepts, and accepts every header go-ethereum accepts within its bounds. The seed
// corpus (every mainnet header, and the refused re-encodings) runs with go test; go test
// -fuzz explores from it.
func FuzzHardeningHeaderTwinAgainstGoEthereum(f *testing.F) {
	for _, h := range loadHeaders(f) {
		f.Add([]byte(h.RLP))
		enc := append([]byte(nil), h.RLP...)
		enc[len(enc)-1] ^= 0x80
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, enc []byte) {
		got, err := DecodeNative(enc)
		var gh types.Header
		gethErr := gethrlp.DecodeBytes(enc, &gh)
		if err == nil {
			if gethErr != nil {
				t.Fatalf("the twin accepts what go-ethereum refuses: %v", gethErr)
			}
			want := Fields{Hash: gh.Hash(), ParentHash: gh.ParentHash, StateRoot: gh.Root, ReceiptsRoot: gh.ReceiptHash,
				Number: gh.Number.Uint64(), Timestamp: gh.Time}
			if *got != want {
				t.Fatalf("twin %+v, go-ethereum %+v", got, want)
			}
			return
		}
		if gethErr == nil && withinBounds(&gh, enc) {
			t.Fatalf("go-ethereum accepts a header within the twin's bounds; the twin: %v", err)
		}
	})
}
