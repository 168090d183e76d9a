// Package receipt reads one log of an Ethereum transaction receipt inside a circuit: its
// emitter, topics and data, from the receipt's consensus encoding (an EIP-2718 type byte then
// the RLP list [status, cumulativeGasUsed, logsBloom, logs], or the bare list for legacy
// receipts), as a receipt-trie leaf holds it. It is the base of event mode: with the receipt
// trie's node steps (circuits/mpt) it proves that a log is in a block. DecodeLogNative is its
// native twin, checked against go-ethereum's receipt decoding.
package receipt

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// Bounds of what the gadget reads.
const (
	// MaxLogs is how many logs a receipt may hold for the gadget, which checks every one of
	// them (a mainnet block's receipts reach 27 logs in the test data).
	MaxLogs = 32
	// MaxTopics is the EVM's limit.
	MaxTopics = 4
)

// ErrReceipt: bytes that are not a receipt, or a log the gadget cannot read.
var ErrReceipt = errors.New("invalid receipt")

// ErrTooManyLogs: a valid receipt of more logs than the gadget reads (MaxLogs).
var ErrTooManyLogs = errors.New("more logs than the gadget reads")

// Log is one log of a receipt.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// TxTypes are the EIP-2718 receipt types go-ethereum v1.17.10 decodes: access list, dynamic
// fee, blob and set code. A receipt starting with another byte below 0x80 is refused.
var TxTypes = []byte{1, 2, 3, 4}

// DecodeLogNative decodes log index of a receipt's consensus encoding, after checking the
// whole receipt as go-ethereum decodes it (types.Receipt.UnmarshalBinary): a known type, the
// status (empty, 0x01 or a 32-byte post-state root), a canonical cumulative gas of at most 8
// bytes, a 256-byte bloom, and every log of three fields (a 20-byte emitter, at most
// MaxTopics 32-byte topics, a data string). Unlike go-ethereum it takes at most MaxLogs logs
// and MaxTopics topics a log (the EVM emits no more), as the gadget does.
func DecodeLogNative(enc []byte, index int) (*Log, error) {
	logs, _, err := decodeReceipt(enc, MaxLogs)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(logs) {
		return nil, fmt.Errorf("%w: log %d of %d", ErrReceipt, index, len(logs))
	}
	return logs[index], nil
}

// DecodeLogsNative decodes every log of a receipt's consensus encoding, after the same checks
// as DecodeLogNative but with no bound on the number of logs, and returns where each log's
// item lies in enc (the chunked receipt leaves read receipts of any number of logs).
func DecodeLogsNative(enc []byte) ([]*Log, []rlp.Item, error) {
	return decodeReceipt(enc, -1)
}

// decodeReceipt decodes a receipt of at most maxLogs logs (any number if maxLogs < 0).
func decodeReceipt(enc []byte, maxLogs int) ([]*Log, []rlp.Item, error) {
	if len(enc) == 0 {
		return nil, nil, fmt.Errorf("%w: empty", ErrReceipt)
	}
	off := 0
	if enc[0] < 0x80 {
		if !slices.Contains(TxTypes, enc[0]) {
			return nil, nil, fmt.Errorf("%w: type %d (known: %v)", ErrReceipt, enc[0], TxTypes)
		}
		off = 1
	}
	list, items, err := rlp.DecodeList(enc, off)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrReceipt, err)
	}
	if list.End != len(enc) || len(items) != 4 {
		return nil, nil, fmt.Errorf("%w: a list of %d fields ending at %d of %d bytes, want 4 fields to the end", ErrReceipt, len(items), list.End, len(enc))
	}
	status, err := rlp.String(enc, items[0], 32)
	if err != nil || !(len(status) == 0 || len(status) == 32 || len(status) == 1 && status[0] == 1) {
		return nil, nil, fmt.Errorf("%w: status %x (%v)", ErrReceipt, status, err)
	}
	if err := rlp.CanonicalUint(enc, items[1], 8); err != nil {
		return nil, nil, fmt.Errorf("%w: cumulative gas: %v", ErrReceipt, err)
	}
	if _, err := rlp.Fixed(enc, items[2], 256); err != nil {
		return nil, nil, fmt.Errorf("%w: bloom: %v", ErrReceipt, err)
	}
	if !items[3].IsList {
		return nil, nil, fmt.Errorf("%w: logs are not a list", ErrReceipt)
	}
	_, logItems, err := rlp.DecodeList(enc[:items[3].End], items[3].Offset)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: logs: %v", ErrReceipt, err)
	}
	if maxLogs >= 0 && len(logItems) > maxLogs {
		return nil, nil, fmt.Errorf("%w: %w: %d logs (the gadget reads receipts of at most %d)", ErrReceipt, ErrTooManyLogs, len(logItems), maxLogs)
	}
	logs := make([]*Log, len(logItems))
	for i, li := range logItems {
		if logs[i], err = decodeLog(enc, li); err != nil {
			return nil, nil, fmt.Errorf("%w: log %d: %v", ErrReceipt, i, err)
		}
	}
	return logs, logItems, nil
}

func decodeLog(enc []byte, it rlp.Item) (*Log, error) {
	if !it.IsList {
		return nil, fmt.Errorf("%w: a log is a list", rlp.ErrKind)
	}
	_, fields, err := rlp.DecodeList(enc[:it.End], it.Offset)
	if err != nil {
		return nil, err
	}
	if len(fields) != 3 || !fields[1].IsList {
		return nil, fmt.Errorf("%w: %d fields, want [emitter, [topics], data]", rlp.ErrKind, len(fields))
	}
	addr, err := rlp.Fixed(enc, fields[0], 20)
	if err != nil {
		return nil, fmt.Errorf("emitter: %w", err)
	}
	_, topics, err := rlp.DecodeList(enc[:fields[1].End], fields[1].Offset)
	if err != nil || len(topics) > MaxTopics {
		return nil, fmt.Errorf("%w: %d topics (%v)", rlp.ErrKind, len(topics), err)
	}
	data, err := rlp.String(enc, fields[2], len(enc))
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	l := &Log{Address: common.BytesToAddress(addr), Data: data}
	for _, tp := range topics {
		b, err := rlp.Fixed(enc, tp, 32)
		if err != nil {
			return nil, fmt.Errorf("topic: %w", err)
		}
		l.Topics = append(l.Topics, common.BytesToHash(b))
	}
	return l, nil
}
