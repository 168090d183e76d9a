package receipt

import (
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/math/cmp"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// CLog is a log read in-circuit. Bytes past NumTopics topics and past DataLen are zero.
type CLog struct {
	Address   []frontend.Variable   // 20 bytes
	NumTopics frontend.Variable     // at most MaxTopics
	Topics    [][]frontend.Variable // MaxTopics × 32 bytes
	Data      []frontend.Variable   // maxData bytes
	DataLen   frontend.Variable
}

// LogAt reads log index of the receipt whose consensus encoding is data[offset:end], read
// through d (a decoder over the bytes holding it, e.g. a receipt-trie leaf's). The log's data
// must fit maxData bytes and its index be below MaxLogs and the receipt's log count.
func LogAt(api frontend.API, d *rlp.Decoder, offset, end, index frontend.Variable, maxData int) *CLog {
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)

	// An EIP-2718 type byte (1..0x7f) or none (legacy: the list's own prefix, >= 0xc0).
	first := d.At(offset)
	typed := api.Sub(1, api.ToBinary(first, 8)[7])
	api.AssertIsEqual(api.Mul(typed, api.IsZero(first)), 0)
	list, fields, count := d.List(api.Add(offset, typed), 4)
	api.AssertIsEqual(count, 4)
	api.AssertIsEqual(list.End, end)

	// The logs: walk the first MaxLogs, take the one at index.
	logs := fields[3]
	api.AssertIsEqual(logs.IsList, 1)
	items, nLogs, _ := d.Items(logs, MaxLogs, 1)
	bound.AssertIsLess(index, nLogs)
	offsets := logderivlookup.New(api)
	for _, it := range items {
		offsets.Insert(it.Offset)
	}
	logList, lf, lc := d.List(offsets.Lookup(index)[0], 3)
	api.AssertIsEqual(lc, 3)
	bound.AssertIsLessEq(logList.End, logs.End)

	l := &CLog{Address: d.Fixed(lf[0], 20, 1)}
	// Topics: a list of up to MaxTopics 32-byte strings, read in full.
	api.AssertIsEqual(lf[1].IsList, 1)
	topics, nTopics, tEnd := d.Items(lf[1], MaxTopics, 1)
	api.AssertIsEqual(tEnd, lf[1].End)
	l.NumTopics = nTopics
	for i, tp := range topics {
		in := bound.IsLess(i, nTopics)
		api.AssertIsEqual(api.Mul(in, tp.IsList), 0)
		api.AssertIsEqual(api.Mul(in, api.Sub(tp.PayloadLen, 32)), 0)
		b := d.Bytes(api.Mul(in, tp.PayloadOffset), 32)
		for k := range b {
			b[k] = api.Mul(in, b[k])
		}
		l.Topics = append(l.Topics, b)
	}
	// Data: a string of at most maxData bytes.
	api.AssertIsEqual(lf[2].IsList, 0)
	bound.AssertIsLessEq(lf[2].PayloadLen, maxData)
	l.DataLen = lf[2].PayloadLen
	l.Data = make([]frontend.Variable, maxData)
	for k := range l.Data {
		// Past the data, read its first byte again (an index that stays in the table) and zero it.
		in := bound.IsLess(k, l.DataLen)
		l.Data[k] = api.Mul(in, d.At(api.Add(lf[2].PayloadOffset, api.Mul(in, k))))
	}
	return l
}
