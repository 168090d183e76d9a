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

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// Bounds of what the gadget reads.
const (
	// MaxLogs is how many logs of a receipt the gadget walks: a log at a higher index cannot
	// be read (a mainnet block's receipts reach 27 logs in the test data).
	MaxLogs = 32
	// MaxTopics is the EVM's limit.
	MaxTopics = 4
)

// ErrReceipt: bytes that are not a receipt, or a log the gadget cannot read.
var ErrReceipt = errors.New("invalid receipt")

// Log is one log of a receipt.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// DecodeLogNative decodes log index of a receipt's consensus encoding.
func DecodeLogNative(enc []byte, index int) (*Log, error) {
	if len(enc) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrReceipt)
	}
	off := 0
	if enc[0] < 0x80 {
		if enc[0] == 0 {
			return nil, fmt.Errorf("%w: type byte 0", ErrReceipt)
		}
		off = 1
	}
	list, items, err := rlp.DecodeList(enc, off)
	if err != nil || list.End != len(enc) || len(items) != 4 || !items[3].IsList {
		return nil, fmt.Errorf("%w: %v", ErrReceipt, err)
	}
	_, logs, err := rlp.DecodeList(enc[:items[3].End], items[3].Offset)
	if err != nil {
		return nil, fmt.Errorf("%w: logs: %v", ErrReceipt, err)
	}
	if index < 0 || index >= len(logs) || index >= MaxLogs {
		return nil, fmt.Errorf("%w: log %d of %d (the gadget reads the first %d)", ErrReceipt, index, len(logs), MaxLogs)
	}
	_, fields, err := rlp.DecodeList(enc[:logs[index].End], logs[index].Offset)
	if err != nil || len(fields) != 3 || !fields[1].IsList || fields[2].IsList {
		return nil, fmt.Errorf("%w: log %d: %v", ErrReceipt, index, err)
	}
	addr, err := rlp.Fixed(enc, fields[0], 20)
	if err != nil {
		return nil, fmt.Errorf("%w: log %d address: %v", ErrReceipt, index, err)
	}
	_, topics, err := rlp.DecodeList(enc[:fields[1].End], fields[1].Offset)
	if err != nil || len(topics) > MaxTopics {
		return nil, fmt.Errorf("%w: log %d: %d topics (%v)", ErrReceipt, index, len(topics), err)
	}
	l := &Log{Address: common.BytesToAddress(addr), Data: enc[fields[2].PayloadOffset:fields[2].End]}
	for _, tp := range topics {
		b, err := rlp.Fixed(enc, tp, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: log %d topic: %v", ErrReceipt, index, err)
		}
		l.Topics = append(l.Topics, common.BytesToHash(b))
	}
	return l, nil
}
