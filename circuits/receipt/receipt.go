package receipt

import (
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/math/cmp"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// Fields checks, as DecodeLogNative does, the receipt whose consensus encoding is
// data[offset:end], read through d, up to its logs: a known type, the status, the cumulative
// gas and the bloom. It returns the logs' list item (ending at end). It reads the receipt's
// fields' headers only: d may hold a prefix of the receipt that reaches the logs' header.
func Fields(api frontend.API, d *rlp.Decoder, offset, end frontend.Variable) rlp.CItem {
	// An EIP-2718 type byte go-ethereum knows (TxTypes) or none (legacy: the list's own
	// prefix, >= 0x80).
	first := d.At(offset)
	typed := api.Sub(1, api.ToBinary(first, 8)[7])
	var known frontend.Variable = 1
	for _, t := range TxTypes {
		known = api.Mul(known, api.Sub(first, t))
	}
	api.AssertIsEqual(api.Mul(typed, known), 0)
	list, fields, count := d.List(api.Add(offset, typed), 4)
	api.AssertIsEqual(count, 4)
	api.AssertIsEqual(list.End, end)

	// Status: empty (failed), the byte 1 (success) or a 32-byte post-state root.
	d.AssertString(fields[0], 32, 1)
	sl := fields[0].PayloadLen
	api.AssertIsEqual(api.Mul(sl, api.Mul(api.Sub(sl, 1), api.Sub(sl, 32))), 0)
	api.AssertIsEqual(api.Mul(api.IsZero(api.Sub(sl, 1)), api.Sub(d.At(fields[0].PayloadOffset), 1)), 0)
	d.AssertCanonicalUint(fields[1], 8, 1) // cumulative gas used
	d.AssertFixed(fields[2], 256, 1)       // bloom

	logs := fields[3]
	api.AssertIsEqual(logs.IsList, 1)
	return logs
}

// LogFields are a log's decoded items: its list, its emitter, its topics' list, its topics
// (the first NumTopics active) and its data.
type LogFields struct {
	List, Emitter, TopicList rlp.CItem
	Topics                   []rlp.CItem
	NumTopics                frontend.Variable
	Data                     rlp.CItem
}

// CheckLog checks, when active is 1, that the item at offset is a log as go-ethereum decodes
// it: a list of exactly three items, a 20-byte emitter, a list of at most MaxTopics 32-byte
// topics and a data string. It reads the headers only (up to 164 bytes past offset).
func CheckLog(api frontend.API, d *rlp.Decoder, bound *cmp.BoundedComparator, offset, active frontend.Variable) LogFields {
	list, lf, lc := d.ListIf(offset, 3, active) // at most three fields: ListIf ends on the list's end
	api.AssertIsEqual(api.Mul(active, api.Sub(lc, 3)), 0)
	lfTopics, nt, tEnd := d.Items(lf[1], MaxTopics, api.Mul(active, lf[1].IsList))
	api.AssertIsEqual(api.Mul(active, api.Sub(lf[1].IsList, 1)), 0)
	api.AssertIsEqual(api.Mul(active, api.Sub(tEnd, lf[1].End)), 0) // at most MaxTopics
	d.AssertFixed(lf[0], 20, active)
	for k, tp := range lfTopics {
		d.AssertFixed(tp, 32, api.Mul(active, bound.IsLess(k, nt)))
	}
	api.AssertIsEqual(api.Mul(active, lf[2].IsList), 0)
	return LogFields{List: list, Emitter: lf[0], TopicList: lf[1], Topics: lfTopics, NumTopics: nt, Data: lf[2]}
}

// CLog is a log read in-circuit. Bytes past NumTopics topics and past DataLen are zero. When
// the data is longer than the gadget's bound, DataFits is 0 and Data holds its first bytes.
type CLog struct {
	Address   []frontend.Variable   // 20 bytes
	NumTopics frontend.Variable     // at most MaxTopics
	Topics    [][]frontend.Variable // MaxTopics × 32 bytes
	Data      []frontend.Variable   // maxData bytes
	DataLen   frontend.Variable
	DataFits  frontend.Variable // 1 when DataLen <= maxData
}

// LogAt reads log index of the receipt whose consensus encoding is data[offset:end], read
// through d (a decoder over the bytes holding it, e.g. a receipt-trie leaf's). The log's index
// must be below the receipt's log count; its data is read up to maxData bytes (DataFits says
// whether that is all of it: a caller that needs the data asserts it). The whole receipt
// is checked as DecodeLogNative checks it: a known type, status, cumulative gas, bloom, and
// each of at most MaxLogs logs (~870 constraints a log slot: with a 2,048-byte receipt and
// 1,024 data bytes, 80,399 constraints, of which 27,713 check the other logs and fields).
func LogAt(api frontend.API, d *rlp.Decoder, offset, end, index frontend.Variable, maxData int) *CLog {
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)

	logs := Fields(api, d, offset, end)

	// The logs: at most MaxLogs, every one well formed; take the one at index.
	items, nLogs, logsEnd := d.Items(logs, MaxLogs, 1)
	api.AssertIsEqual(logsEnd, logs.End)
	bound.AssertIsLess(index, nLogs)
	for i, it := range items {
		CheckLog(api, d, bound, it.Offset, bound.IsLess(i, nLogs))
	}
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
	// Data: a string, read up to maxData bytes.
	api.AssertIsEqual(lf[2].IsList, 0)
	l.DataLen = lf[2].PayloadLen
	l.DataFits = bound.IsLess(l.DataLen, maxData+1)
	l.Data = make([]frontend.Variable, maxData)
	for k := range l.Data {
		// Past the data, read its first byte again (an index that stays in the table) and zero it.
		in := bound.IsLess(k, l.DataLen)
		l.Data[k] = api.Mul(in, d.At(api.Add(lf[2].PayloadOffset, api.Mul(in, k))))
	}
	return l
}
