package header

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/hash/sha3"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// Decoded is what the gadget exposes of a header. Hashes are 32 bytes, big-endian.
type Decoded struct {
	Hash         []uints.U8
	ParentHash   []frontend.Variable
	StateRoot    []frontend.Variable
	ReceiptsRoot []frontend.Variable
	Number       frontend.Variable
	Timestamp    frontend.Variable
}

// Decode checks that enc[:length] is a canonical RLP header (DecodeFields), hashes it, and
// returns its fields. enc has MaxLen bytes; those past length are ignored.
func Decode(api frontend.API, enc []uints.U8, length frontend.Variable) (*Decoded, error) {
	if len(enc) != MaxLen {
		return nil, fmt.Errorf("header: %d input bytes, want %d", len(enc), MaxLen)
	}
	vals, err := rlp.Values(api, enc)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	dec := DecodeFields(api, vals, length)
	h, err := sha3.NewLegacyKeccak256(api, hash.WithMinimalLength(MinLen))
	if err != nil {
		return nil, fmt.Errorf("header: keccak: %w", err)
	}
	h.Write(enc)
	dec.Hash = h.FixedLengthSum(length)
	return dec, nil
}

// DecodeFields checks that vals[:length] (bytes, already range-checked) is a canonical RLP
// header with a fork's field count (ForkFields), each field of the kind and size of schema,
// and returns its fields; it does not hash it.
func DecodeFields(api frontend.API, vals []frontend.Variable, length frontend.Variable) *Decoded {
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<12), false)
	bound.AssertIsLessEq(MinLen, length)
	bound.AssertIsLessEq(length, MaxLen)

	d := rlp.New(api, vals)
	list, items, count := d.List(0, MaxFields)
	api.AssertIsEqual(list.End, length)
	// A field count that some fork's header has.
	var forks frontend.Variable = 1
	for _, n := range ForkFields {
		forks = api.Mul(forks, api.Sub(count, n))
	}
	api.AssertIsEqual(forks, 0)
	// Every present field of its kind and size, as go-ethereum decodes it: one changed length
	// prefix would otherwise shift the later fields' boundaries and still decode.
	for i, r := range schema {
		var present frontend.Variable = 1
		if i >= MinFields {
			present = bound.IsLess(i, count)
		}
		switch r.kind {
		case kindFixed:
			d.AssertFixed(items[i], r.size, present)
		case kindUint:
			d.AssertCanonicalUint(items[i], r.size, present)
		case kindBytes:
			d.AssertString(items[i], r.size, present)
		}
	}
	return &Decoded{
		ParentHash:   d.Fixed(items[fieldParentHash], 32, 1),
		StateRoot:    d.Fixed(items[fieldStateRoot], 32, 1),
		ReceiptsRoot: d.Fixed(items[fieldReceiptsRoot], 32, 1),
		Number:       d.Uint(items[fieldNumber], 8, 1),
		Timestamp:    d.Uint(items[fieldTimestamp], 8, 1),
	}
}

// AssertChain asserts that each header's parent is the one before it: its parentHash is the
// previous header's hash and its number the previous number plus one.
func AssertChain(api frontend.API, headers []*Decoded) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return fmt.Errorf("header chain: bytes: %w", err)
	}
	for i := 1; i < len(headers); i++ {
		for k := 0; k < 32; k++ {
			api.AssertIsEqual(headers[i].ParentHash[k], bf.Value(headers[i-1].Hash[k]))
		}
		api.AssertIsEqual(headers[i].Number, api.Add(headers[i-1].Number, 1))
	}
	return nil
}
