package chain

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Source is a source chain's Outbox.
type Source struct {
	Client *Client
	Outbox common.Address
	Domain uint32
	abi    *bindings.Outbox
	bound  *bind.BoundContract
}

// NewSource binds the Outbox at addr and reads its domain.
func NewSource(ctx context.Context, c *Client, addr common.Address) (*Source, error) {
	s := &Source{Client: c, Outbox: addr, abi: bindings.NewOutbox()}
	s.bound = c.Contract(s.abi, addr)
	var err error
	if s.Domain, err = c.localDomain(ctx, s.bound, s.abi.PackLocalDomain(), s.abi.UnpackLocalDomain, "Outbox"); err != nil {
		return s, err
	}
	// An Inbox has a localDomain too: only an Outbox has lanes.
	if _, err := bind.Call(s.bound, &bind.CallOpts{Context: ctx}, s.abi.PackLane(0), s.abi.UnpackLane); err != nil {
		return s, fmt.Errorf("Outbox %s on %s: %w: it has no lane(): %v", addr, c.URL, ErrNotOutbox, err)
	}
	return s, nil
}

// Send sends one message from key and returns it as the Outbox recorded it, with the receipt.
func (s *Source) Send(ctx context.Context, key *ecdsa.PrivateKey, dst uint32, recipient common.Address, gasLimit uint64, payload []byte) (*protocol.Message, *types.Receipt, error) {
	receipt, err := s.Client.Transact(ctx, key, s.bound, s.abi.PackSend(dst, recipient, gasLimit, payload), 0, s.abi.UnpackError)
	if err != nil {
		return nil, nil, fmt.Errorf("send to domain %d: %w", dst, err)
	}
	for _, l := range receipt.Logs {
		if ev, err := s.abi.UnpackMessageSentEvent(l); err == nil {
			m := messageOf(s.Domain, ev)
			return &m, receipt, nil
		}
	}
	return nil, receipt, fmt.Errorf("send to domain %d: no MessageSent event in %s", dst, receipt.TxHash)
}

// SendMany sends n messages alike from key without waiting for each in turn, so that a chain
// seals as many of them a block as their gas allows (a load of senders, where Send would take
// a block each), and waits for them all: it fails unless every one succeeded. The first is
// sent as Send sends it, its gas estimated; the rest, in nonce order, are given twice the gas
// the first used (a message that closes a segment writes more).
func (s *Source) SendMany(ctx context.Context, key *ecdsa.PrivateKey, dst uint32, recipient common.Address, gasLimit uint64, payload []byte, n int) error {
	if n <= 0 {
		return nil
	}
	_, rc, err := s.Send(ctx, key, dst, recipient, gasLimit, payload)
	if err != nil {
		return err
	}
	data := s.abi.PackSend(dst, recipient, gasLimit, payload)
	opts := s.Client.Transactor(ctx, key)
	nonce, err := s.Client.Eth.PendingNonceAt(ctx, opts.From)
	if err != nil {
		return fmt.Errorf("send to domain %d: nonce: %w", dst, err)
	}
	hashes := make([]common.Hash, 0, n-1)
	for i := 1; i < n; i++ {
		opts.Nonce, opts.GasLimit = new(big.Int).SetUint64(nonce), 2*rc.GasUsed
		tx, err := s.bound.RawTransact(opts, data)
		if err != nil {
			return fmt.Errorf("send to domain %d: message %d of %d: %w", dst, i+1, n, DecodeRevert(err, s.abi.UnpackError))
		}
		hashes = append(hashes, tx.Hash())
		nonce++
	}
	for i, h := range hashes {
		r, err := s.Client.WaitReceipt(ctx, h)
		if err != nil {
			return fmt.Errorf("send to domain %d: message %d of %d: %w", dst, i+2, n, err)
		}
		if r.Status != types.ReceiptStatusSuccessful {
			return fmt.Errorf("send to domain %d: message %d of %d: transaction %s failed (gas used %d)", dst, i+2, n, h, r.GasUsed)
		}
	}
	return nil
}

// messageOf is the message a MessageSent event of the Outbox of domain src carries.
func messageOf(src uint32, ev *bindings.OutboxMessageSent) protocol.Message {
	return protocol.Message{
		SrcDomain: src, DstDomain: ev.DstDomain, Nonce: ev.Nonce, Sender: ev.Sender,
		Recipient: ev.Recipient, GasLimit: ev.GasLimit, Payload: ev.Payload,
	}
}

// FinalizedHeader is the newest header the chain has finalized.
func (s *Source) FinalizedHeader(ctx context.Context) (*types.Header, error) {
	h, err := s.Client.Eth.HeaderByNumber(ctx, big.NewInt(int64(rpc.FinalizedBlockNumber)))
	if err != nil {
		return nil, fmt.Errorf("finalized header: %w", err)
	}
	return h, nil
}

// ProveLane reads the lane towards dst at the block header, with the storage proofs of its
// word, its accumulator and the stored checkpoints at the given counts, and verifies them
// against the header's stateRoot.
func (s *Source) ProveLane(ctx context.Context, header *types.Header, dst uint32, checkpoints []uint64) (*LaneProof, error) {
	keys := []string{protocol.LaneWordSlot(dst).Hex(), protocol.LaneAccSlot(dst).Hex()}
	for _, c := range checkpoints {
		keys = append(keys, protocol.CheckpointSlot(dst, c).Hex())
	}
	res, err := s.Client.getProof(ctx, s.Outbox, keys, header.Number)
	if err != nil {
		return nil, fmt.Errorf("eth_getProof of outbox %s at block %d: %w", s.Outbox, header.Number, err)
	}
	if len(res.StorageProof) != len(keys) {
		return nil, fmt.Errorf("eth_getProof returned %d storage proofs for %d keys", len(res.StorageProof), len(keys))
	}
	p := &LaneProof{
		SrcDomain: s.Domain, DstDomain: dst, Outbox: s.Outbox, Header: header,
		StorageRoot: res.StorageHash, AccountProof: hexNodes(res.AccountProof),
		Word: storageProofOf(res.StorageProof[0]), Acc: storageProofOf(res.StorageProof[1]),
	}
	for i, c := range checkpoints {
		p.Checkpoints = append(p.Checkpoints, CheckpointProof{Count: c, StorageProof: storageProofOf(res.StorageProof[2+i])})
	}
	if err := p.Verify(); err != nil {
		return nil, err
	}
	return p, nil
}

// Messages returns the lane's messages with nonces in [from, to), read from MessageSent events
// up to block toBlock, in nonce order. It fails unless every nonce is found exactly once.
func (s *Source) Messages(ctx context.Context, dst uint32, from, to uint64, toBlock *big.Int) ([]protocol.Message, error) {
	logs, err := s.laneLogs(ctx, bindings.OutboxMessageSentEventName, dst, toBlock)
	if err != nil {
		return nil, err
	}
	byNonce := map[uint64]protocol.Message{}
	for i := range logs {
		ev, err := s.abi.UnpackMessageSentEvent(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("decode MessageSent in %s: %w", logs[i].TxHash, err)
		}
		if ev.Nonce >= from && ev.Nonce < to {
			byNonce[ev.Nonce] = messageOf(s.Domain, ev)
		}
	}
	msgs := make([]protocol.Message, 0, to-from)
	for n := from; n < to; n++ {
		m, ok := byNonce[n]
		if !ok {
			return nil, fmt.Errorf("lane %d→%d nonce %d: %w: no MessageSent event", s.Domain, dst, n, ErrMissingMessages)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// Checkpoints returns the counts of the lane's stored checkpoints in (after, upTo], from its
// Checkpoint events up to block toBlock, ascending.
func (s *Source) Checkpoints(ctx context.Context, dst uint32, after, upTo uint64, toBlock *big.Int) ([]uint64, error) {
	logs, err := s.laneLogs(ctx, bindings.OutboxCheckpointEventName, dst, toBlock)
	if err != nil {
		return nil, err
	}
	var counts []uint64
	for i := range logs {
		ev, err := s.abi.UnpackCheckpointEvent(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("decode Checkpoint in %s: %w", logs[i].TxHash, err)
		}
		if ev.Count > after && ev.Count <= upTo {
			counts = append(counts, ev.Count)
		}
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i] < counts[j] })
	return counts, nil
}

// laneLogs returns the Outbox's events of one kind whose first topic is the lane's dstDomain,
// from genesis to toBlock.
func (s *Source) laneLogs(ctx context.Context, event string, dst uint32, toBlock *big.Int) ([]types.Log, error) {
	logs, err := s.Client.Eth.FilterLogs(ctx, ethereum.FilterQuery{
		ToBlock: toBlock, Addresses: []common.Address{s.Outbox},
		Topics: [][]common.Hash{{s.abi.GetABI().Events[event].ID}, {common.BigToHash(new(big.Int).SetUint64(uint64(dst)))}},
	})
	if err != nil {
		return nil, fmt.Errorf("read %s events: %w", event, err)
	}
	return logs, nil
}
