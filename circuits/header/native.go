package header

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// Bounds of the headers the gadget takes.
const (
	// MaxLen: six keccak blocks of 136 bytes, less the one byte of padding.
	MaxLen = 6*136 - 1
	// MinLen: no mainnet header is shorter (the smallest, pre-London, are ~508 bytes).
	MinLen = 3 * 136
	// MinFields: the 15 fields of the original header; later forks append fields.
	MinFields = 15
	// MaxFields: every field of the schema, Amsterdam's 23.
	MaxFields = 23
)

// Positions of fields in schema.
const (
	fieldParentHash   = 0
	fieldCoinbase     = 2
	fieldStateRoot    = 3
	fieldTxRoot       = 4
	fieldReceiptsRoot = 5
	fieldBloom        = 6
	fieldDifficulty   = 7
	fieldNumber       = 8
	fieldGasUsed      = 10
	fieldTimestamp    = 11
	fieldExtra        = 12
	fieldNonce        = 14
)

// ErrBounds: a header outside the gadget's bounds.
var ErrBounds = errors.New("header outside the gadget's bounds")

// Fields are what the gadget exposes of a header.
type Fields struct {
	Hash         common.Hash
	ParentHash   common.Hash
	StateRoot    common.Hash
	ReceiptsRoot common.Hash
	Number       uint64
	Timestamp    uint64
}

// DecodeNative is the native twin of Decode: it refuses what the gadget refuses.
func DecodeNative(enc []byte) (*Fields, error) {
	if len(enc) < MinLen || len(enc) > MaxLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d to %d", ErrBounds, len(enc), MinLen, MaxLen)
	}
	list, items, err := rlp.DecodeList(enc, 0)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if list.End != len(enc) {
		return nil, fmt.Errorf("header: %w: %d bytes after the list", rlp.ErrKind, len(enc)-list.End)
	}
	if !slices.Contains(ForkFields, len(items)) {
		return nil, fmt.Errorf("%w: %d fields, no fork's header has that many (%v)", rlp.ErrKind, len(items), ForkFields)
	}
	for i, it := range items {
		r := schema[i]
		var err error
		switch r.kind {
		case kindFixed:
			_, err = rlp.Fixed(enc, it, r.size)
		case kindUint:
			err = rlp.CanonicalUint(enc, it, r.size)
		case kindBytes:
			_, err = rlp.String(enc, it, r.size)
		}
		if err != nil {
			return nil, fmt.Errorf("header field %d (%s): %w", i, r.name, err)
		}
	}
	f := &Fields{Hash: crypto.Keccak256Hash(enc)}
	for _, h := range []struct {
		dst   *common.Hash
		index int
	}{{&f.ParentHash, fieldParentHash}, {&f.StateRoot, fieldStateRoot}, {&f.ReceiptsRoot, fieldReceiptsRoot}} {
		b, err := rlp.Fixed(enc, items[h.index], 32)
		if err != nil {
			return nil, fmt.Errorf("header field %d: %w", h.index, err)
		}
		*h.dst = common.BytesToHash(b)
	}
	if f.Number, err = rlp.Uint(enc, items[fieldNumber], 8); err != nil {
		return nil, fmt.Errorf("header number: %w", err)
	}
	if f.Timestamp, err = rlp.Uint(enc, items[fieldTimestamp], 8); err != nil {
		return nil, fmt.Errorf("header timestamp: %w", err)
	}
	return f, nil
}
