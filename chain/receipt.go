package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/isthmus-xyz/isthmus/protocol"
)

// ErrNoLog: no log of the kind asked for where it was looked for.
var ErrNoLog = errors.New("no such log")

// ReceiptProof is one log of a block with its Merkle-Patricia proof under the block's
// receiptsRoot: the nodes on the path of the transaction's key, rlp(TxIndex), and the log's
// position in the transaction's receipt.
type ReceiptProof struct {
	SrcDomain uint32          `json:"srcDomain"`
	Header    *types.Header   `json:"header"`
	TxIndex   uint32          `json:"txIndex"`
	LogIndex  uint32          `json:"logIndex"` // in the receipt
	Nodes     []hexutil.Bytes `json:"nodes"`
}

// Receipt decodes the proven receipt, after checking the proof against the header's
// receiptsRoot.
func (p *ReceiptProof) Receipt() (*types.Receipt, error) {
	if p.Header == nil {
		return nil, fmt.Errorf("%w: no header", ErrBadProof)
	}
	key, err := rlp.EncodeToBytes(uint64(p.TxIndex))
	if err != nil {
		return nil, err
	}
	db := memorydb.New()
	for _, n := range p.Nodes {
		if err := db.Put(crypto.Keccak256(n), n); err != nil {
			return nil, err
		}
	}
	value, err := trie.VerifyProof(p.Header.ReceiptHash, key, db)
	if err != nil || value == nil {
		return nil, fmt.Errorf("%w: receipt %d under receiptsRoot %s of block %d: %v", ErrBadProof, p.TxIndex, p.Header.ReceiptHash, p.Header.Number, err)
	}
	var r types.Receipt
	if err := r.UnmarshalBinary(value); err != nil {
		return nil, fmt.Errorf("%w: receipt %d of block %d: %v", ErrBadProof, p.TxIndex, p.Header.Number, err)
	}
	return &r, nil
}

// Log is the proven log, after checking the proof.
func (p *ReceiptProof) Log() (*types.Log, error) {
	r, err := p.Receipt()
	if err != nil {
		return nil, err
	}
	if int(p.LogIndex) >= len(r.Logs) {
		return nil, fmt.Errorf("%w: receipt %d of block %d has %d logs, not %d", ErrNoLog, p.TxIndex, p.Header.Number, len(r.Logs), p.LogIndex+1)
	}
	return r.Logs[p.LogIndex], nil
}

// Event is the event claim of the proven log, under the committee whose commitment is
// committee.
func (p *ReceiptProof) Event(committee common.Hash) (protocol.EventClaim, error) {
	l, err := p.Log()
	if err != nil {
		return protocol.EventClaim{}, err
	}
	return protocol.EventClaim{
		SrcDomain: p.SrcDomain, Committee: committee, BlockNumber: p.Header.Number.Uint64(), BlockHash: p.Header.Hash(),
		TxIndex: p.TxIndex, LogIndex: p.LogIndex, Emitter: l.Address, Topics: l.Topics, DataHash: crypto.Keccak256Hash(l.Data),
	}, nil
}

// LaneByReceipt is the lane-by-receipt claim of the proven log, which must be outbox's
// MessageSent: the lane at count nonce + 1, under the committee whose commitment is committee.
func (p *ReceiptProof) LaneByReceipt(outbox common.Address, committee common.Hash) (protocol.LaneClaim, error) {
	l, err := p.Log()
	if err != nil {
		return protocol.LaneClaim{}, err
	}
	if l.Address != outbox || len(l.Topics) != 4 || l.Topics[0] != protocol.MessageSentTopic {
		return protocol.LaneClaim{}, fmt.Errorf("%w: log %d of receipt %d in block %d is not Outbox %s's MessageSent", ErrNoLog,
			p.LogIndex, p.TxIndex, p.Header.Number, outbox)
	}
	dst, nonce := new(big.Int).SetBytes(l.Topics[1][:]), new(big.Int).SetBytes(l.Topics[2][:])
	if !dst.IsUint64() || dst.Uint64() > 1<<32-1 || !nonce.IsUint64() || nonce.Uint64() == 1<<64-1 {
		return protocol.LaneClaim{}, fmt.Errorf("%w: MessageSent with destination %s, nonce %s", ErrNoLog, dst, nonce)
	}
	return protocol.LaneClaim{
		Kind: protocol.KindLaneReceipt, SrcDomain: p.SrcDomain, DstDomain: uint32(dst.Uint64()), Outbox: outbox, Committee: committee,
		BlockNumber: p.Header.Number.Uint64(), BlockHash: p.Header.Hash(), Count: nonce.Uint64() + 1, Acc: l.Topics[3],
	}, nil
}

// ProveReceipt reads the receipts of the block of header (eth_getBlockReceipts), rebuilds its
// receipts trie, checks its root against the header's receiptsRoot, and returns the proof of
// log logIndex of transaction txIndex.
func (c *Client) ProveReceipt(ctx context.Context, src uint32, header *types.Header, txIndex, logIndex uint32) (*ReceiptProof, error) {
	receipts, err := c.Eth.BlockReceipts(ctx, rpc.BlockNumberOrHashWithHash(header.Hash(), false))
	if err != nil {
		return nil, fmt.Errorf("eth_getBlockReceipts of block %d: %w", header.Number, err)
	}
	if int(txIndex) >= len(receipts) {
		return nil, fmt.Errorf("%w: block %d has %d receipts, not %d", ErrNoLog, header.Number, len(receipts), txIndex+1)
	}
	tr := trie.NewEmpty(triedb.NewDatabase(rawdb.NewMemoryDatabase(), nil))
	for i, r := range receipts {
		key, err := rlp.EncodeToBytes(uint64(i))
		if err != nil {
			return nil, err
		}
		enc, err := r.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("receipt %d of block %d: %w", i, header.Number, err)
		}
		if err := tr.Update(key, enc); err != nil {
			return nil, err
		}
	}
	if root := tr.Hash(); root != header.ReceiptHash {
		return nil, fmt.Errorf("%w: the receipts %s served for block %d build root %s, the header's receiptsRoot is %s",
			ErrBadProof, c.URL, header.Number, root, header.ReceiptHash)
	}
	key, _ := rlp.EncodeToBytes(uint64(txIndex))
	db := memorydb.New()
	if err := tr.Prove(key, db); err != nil {
		return nil, err
	}
	p := &ReceiptProof{SrcDomain: src, Header: header, TxIndex: txIndex, LogIndex: logIndex}
	it := db.NewIterator(nil, nil)
	for it.Next() {
		p.Nodes = append(p.Nodes, append(hexutil.Bytes(nil), it.Value()...))
	}
	it.Release()
	if _, err := p.Log(); err != nil {
		return nil, err
	}
	return p, nil
}

// FindSend returns where the Outbox emitted MessageSent for nonce on the lane towards dst, at
// or before block toBlock: the block, the transaction's index and the log's position in its
// receipt.
func (s *Source) FindSend(ctx context.Context, dst uint32, nonce uint64, toBlock *big.Int) (*types.Header, uint32, uint32, error) {
	logs, err := s.Client.Eth.FilterLogs(ctx, ethereum.FilterQuery{
		ToBlock: toBlock, Addresses: []common.Address{s.Outbox},
		Topics: [][]common.Hash{{protocol.MessageSentTopic}, {common.BigToHash(new(big.Int).SetUint64(uint64(dst)))},
			{common.BigToHash(new(big.Int).SetUint64(nonce))}},
	})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read MessageSent events: %w", err)
	}
	if len(logs) != 1 {
		return nil, 0, 0, fmt.Errorf("%w: %d MessageSent logs of lane %d→%d nonce %d", ErrNoLog, len(logs), s.Domain, dst, nonce)
	}
	l := logs[0]
	header, err := s.Client.Eth.HeaderByHash(ctx, l.BlockHash)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("header of block %s: %w", l.BlockHash, err)
	}
	receipt, err := s.Client.Eth.TransactionReceipt(ctx, l.TxHash)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("receipt of %s: %w", l.TxHash, err)
	}
	for i, rl := range receipt.Logs {
		if rl.Index == l.Index {
			return header, uint32(l.TxIndex), uint32(i), nil
		}
	}
	return nil, 0, 0, fmt.Errorf("%w: log %d is not in transaction %s's receipt", ErrNoLog, l.Index, l.TxHash)
}
