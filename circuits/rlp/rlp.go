package rlp

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"
)

// readSlack is how far past the data a read may land: zero bytes, so that decoding an
// inactive item at the end, or reading a field's bytes from it, stays in the table.
const readSlack = 40

// boundBits bounds every offset and length the decoder compares.
const boundBits = 18

// CItem is a decoded RLP item in-circuit: the payload is data[PayloadOffset:End].
type CItem struct {
	Offset        frontend.Variable
	IsList        frontend.Variable // 1 for a list, 0 for a string
	PayloadOffset frontend.Variable
	PayloadLen    frontend.Variable
	End           frontend.Variable
}

// Decoder decodes RLP items from a bounded byte string inside a circuit.
type Decoder struct {
	api   frontend.API
	table logderivlookup.Table
	cmp   *cmp.BoundedComparator
}

// New returns a decoder over data. Every element of data must already be constrained to a
// byte (e.g. through uints.Bytes.Value); the decoder does not check it. Items are not checked
// against the end of data: the caller bounds them (e.g. a list's End equals the data length).
func New(api frontend.API, data []frontend.Variable) *Decoder {
	t := logderivlookup.New(api)
	for _, b := range data {
		t.Insert(b)
	}
	for i := 0; i < readSlack; i++ {
		t.Insert(0)
	}
	return &Decoder{api: api, table: t, cmp: cmp.NewBoundedComparator(api, new(big.Int).Lsh(big.NewInt(1), boundBits), false)}
}

// At returns data[i] for a variable index i (reads up to readSlack past the end give 0).
func (d *Decoder) At(i frontend.Variable) frontend.Variable {
	return d.table.Lookup(i)[0]
}

// Bytes returns data[offset:offset+n].
func (d *Decoder) Bytes(offset frontend.Variable, n int) []frontend.Variable {
	idx := make([]frontend.Variable, n)
	for k := range idx {
		idx[k] = d.api.Add(offset, k)
	}
	return d.table.Lookup(idx...)
}

// Item decodes the item at offset. Its canonical-form checks are enforced when active is 1
// and ignored when it is 0 (an item past the end of a list).
func (d *Decoder) Item(offset, active frontend.Variable) CItem {
	api := d.api
	v := d.Bytes(offset, 3)
	b, b1, b2 := v[0], v[1], v[2]
	bits := api.ToBinary(b, 8)
	isPrefixed := bits[7]                                                   // b >= 0x80
	isList := api.Mul(bits[7], bits[6])                                     // b >= 0xc0
	isLong := api.Mul(bits[7], api.Mul(bits[5], api.Mul(bits[4], bits[3]))) // b&0x3f >= 0x38
	isShort := api.Sub(isPrefixed, isLong)
	low6 := api.FromBinary(bits[:6]...)

	// Long form: length of length = (b&7)+1, at most MaxLenOfLen = 2, no leading zero, >= 56.
	activeLong := api.Mul(active, isLong)
	api.AssertIsEqual(api.Mul(activeLong, api.Add(bits[1], bits[2])), 0)
	longLen := api.Select(bits[0], api.Add(api.Mul(b1, 256), b2), b1)
	api.AssertIsEqual(api.Mul(activeLong, api.IsZero(b1)), 0)
	d.cmp.AssertIsLessEq(api.Mul(activeLong, 56), api.Mul(activeLong, longLen))

	// A one-byte string holds a byte >= 0x80 (below that the byte is its own encoding).
	oneByteString := api.Mul(api.Mul(active, isShort), api.Mul(api.Sub(1, bits[6]), api.IsZero(api.Sub(low6, 1))))
	b1High := api.ToBinary(b1, 8)[7]
	api.AssertIsEqual(api.Mul(oneByteString, api.Sub(1, b1High)), 0)

	headerLen := api.Mul(isPrefixed, api.Add(1, api.Mul(isLong, api.Add(1, bits[0]))))
	payloadLen := api.Select(isPrefixed, api.Select(isLong, longLen, low6), 1)
	payloadOffset := api.Add(offset, headerLen)
	return CItem{
		Offset: offset, IsList: isList, PayloadOffset: payloadOffset, PayloadLen: payloadLen,
		End: api.Add(payloadOffset, payloadLen),
	}
}

// List decodes the list at offset and up to maxItems items, which must fill it exactly. It
// returns the list, the items (those at index >= count are inactive placeholders) and count.
func (d *Decoder) List(offset frontend.Variable, maxItems int) (CItem, []CItem, frontend.Variable) {
	return d.ListIf(offset, maxItems, 1)
}

// ListIf is List whose checks are enforced only when active is 1 (count is then 0 otherwise).
func (d *Decoder) ListIf(offset frontend.Variable, maxItems int, active frontend.Variable) (CItem, []CItem, frontend.Variable) {
	api := d.api
	list := d.Item(offset, active)
	api.AssertIsEqual(api.Mul(active, api.Sub(list.IsList, 1)), 0)
	items, count, end := d.Items(list, maxItems, active)
	// Items that overrun the list, or a list with more than maxItems items, end elsewhere.
	api.AssertIsEqual(api.Mul(active, api.Sub(end, list.End)), 0)
	return list, items, count
}

// Items decodes the first maxItems items of a list (fewer if it has fewer: count says how
// many; the rest are inactive placeholders) and returns where the last active one ends. It
// does not require the list to end there: the caller checks that, or that an item it uses
// ends within the list.
func (d *Decoder) Items(list CItem, maxItems int, active frontend.Variable) ([]CItem, frontend.Variable, frontend.Variable) {
	api := d.api
	p := list.PayloadOffset
	var count frontend.Variable = 0
	items := make([]CItem, maxItems)
	for i := range items {
		itemActive := api.Mul(active, d.cmp.IsLess(p, list.End))
		items[i] = d.Item(p, itemActive)
		p = api.Select(itemActive, items[i].End, p)
		count = api.Add(count, itemActive)
	}
	return items, count, p
}

// Uint decodes a canonical big-endian integer of at most maxBytes (<= 8) bytes from a string
// item, when active is 1.
func (d *Decoder) Uint(it CItem, maxBytes int, active frontend.Variable) frontend.Variable {
	api := d.api
	api.AssertIsEqual(api.Mul(active, it.IsList), 0)
	d.cmp.AssertIsLessEq(api.Mul(active, it.PayloadLen), maxBytes)
	bs := d.Bytes(it.PayloadOffset, maxBytes)
	// No leading zero: zero is the empty string.
	nonEmpty := api.Sub(1, api.IsZero(it.PayloadLen))
	api.AssertIsEqual(api.Mul(api.Mul(active, nonEmpty), api.IsZero(bs[0])), 0)
	var v frontend.Variable = 0
	for k, b := range bs {
		v = api.Select(d.cmp.IsLess(k, it.PayloadLen), api.Add(api.Mul(v, 256), b), v)
	}
	return v
}

// AssertCanonicalUint asserts, when active is 1, that a string item is a canonical integer
// of at most maxBytes bytes (any size; it reads only the first byte). See Uint for its value.
func (d *Decoder) AssertCanonicalUint(it CItem, maxBytes int, active frontend.Variable) {
	api := d.api
	api.AssertIsEqual(api.Mul(active, it.IsList), 0)
	d.cmp.AssertIsLessEq(api.Mul(active, it.PayloadLen), maxBytes)
	nonEmpty := api.Sub(1, api.IsZero(it.PayloadLen))
	api.AssertIsEqual(api.Mul(api.Mul(active, nonEmpty), api.IsZero(d.At(it.PayloadOffset))), 0)
}

// AssertString asserts, when active is 1, that an item is a string of at most maxLen bytes.
func (d *Decoder) AssertString(it CItem, maxLen int, active frontend.Variable) {
	api := d.api
	api.AssertIsEqual(api.Mul(active, it.IsList), 0)
	d.cmp.AssertIsLessEq(api.Mul(active, it.PayloadLen), maxLen)
}

// AssertFixed asserts, when active is 1, that an item is a string of exactly n bytes (see
// Fixed for its bytes).
func (d *Decoder) AssertFixed(it CItem, n int, active frontend.Variable) {
	api := d.api
	api.AssertIsEqual(api.Mul(active, it.IsList), 0)
	api.AssertIsEqual(api.Mul(active, api.Sub(it.PayloadLen, n)), 0)
}

// Fixed returns the payload of a string item of exactly n bytes, when active is 1.
func (d *Decoder) Fixed(it CItem, n int, active frontend.Variable) []frontend.Variable {
	d.AssertFixed(it, n, active)
	return d.Bytes(it.PayloadOffset, n)
}

// Values range-checks bytes and returns their values, as New and the hash outputs' users
// take them.
func Values(api frontend.API, data []uints.U8) ([]frontend.Variable, error) {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return nil, fmt.Errorf("rlp: bytes: %w", err)
	}
	vals := make([]frontend.Variable, len(data))
	for i := range data {
		vals[i] = bf.Value(data[i])
	}
	return vals, nil
}
