package devnet

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// A send's MessageSent log and a token's Transfer log, proven under their blocks'
// receiptsRoot from eth_getBlockReceipts: the lane claim at nonce + 1 with the twin's
// accumulator, the event claim with the log's fields; and what must fail.
func TestEventReceiptProofsOnTheDevnet(t *testing.T) {
	d := startDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dst := d.Config.DestinationDomain
	var acc, afterTwo protocol.Accumulator
	for i := range 3 {
		m, _, err := d.Src.Send(ctx, DevKey("user"), dst, common.Address{0xbb}, 100_000, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Append(m.Hash()); i == 1 {
			afterTwo = acc
		}
	}
	header, tx, logIndex, err := d.Src.FindSend(ctx, dst, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, header, tx, logIndex)
	if err != nil {
		t.Fatal(err)
	}
	committee := d.Config.Committee
	lane, err := p.LaneByReceipt(d.Outbox, committee)
	if err != nil {
		t.Fatal(err)
	}
	if lane.Count != 2 || lane.Acc != afterTwo.Acc || lane.DstDomain != dst || lane.BlockHash != header.Hash() || lane.Kind != protocol.KindLaneReceipt {
		t.Fatalf("lane by receipt %+v, want count 2 and the twin's accumulator %s", lane, afterTwo.Acc)
	}

	to := common.HexToAddress("0x00000000000000000000000000000000000000c0")
	token, r, err := TokenTransfers(ctx, d, to)
	if err != nil {
		t.Fatal(err)
	}
	th, err := d.SourceClient.Eth.HeaderByHash(ctx, r.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, th, uint32(r.TransactionIndex), 0)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := tp.Event(committee)
	if err != nil {
		t.Fatal(err)
	}
	user := crypto.PubkeyToAddress(DevKey("user").PublicKey)
	want := protocol.EventClaim{
		SrcDomain: d.Config.SourceDomain, Committee: committee, BlockNumber: th.Number.Uint64(), BlockHash: th.Hash(),
		TxIndex: uint32(r.TransactionIndex), Emitter: token,
		Topics:   []common.Hash{crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")), common.BytesToHash(user[:]), common.BytesToHash(to[:])},
		DataHash: crypto.Keccak256Hash(common.LeftPadBytes([]byte{40}, 32)),
	}
	if ev.Hash() != want.Hash() {
		t.Fatalf("event claim %+v, want %+v", ev, want)
	}

	// What cannot be claimed: a log past the receipt's, the token's log as a lane, a
	// transaction past the block's, a reverted transfer's log (reverted calls leave none).
	if _, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, th, uint32(r.TransactionIndex), 1); !errors.Is(err, chain.ErrNoLog) {
		t.Errorf("a second log of the transfer: %v", err)
	}
	if _, err := tp.LaneByReceipt(token, committee); !errors.Is(err, chain.ErrNoLog) {
		t.Errorf("a Transfer as a lane by receipt: %v", err)
	}
	if _, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, th, 5, 0); !errors.Is(err, chain.ErrNoLog) {
		t.Errorf("a transaction the block does not hold: %v", err)
	}
	tk := testbindings.NewTestOnlyToken()
	reverted, err := d.SourceClient.Transact(ctx, DevKey("user"), d.SourceClient.Contract(tk, token), tk.PackTransfer(to, big.NewInt(1000)), 100_000, tk.UnpackError)
	if err == nil || reverted == nil || reverted.Status != types.ReceiptStatusFailed {
		t.Fatalf("an overdrawn transfer was not mined as reverted: %v", err)
	}
	rh, err := d.SourceClient.Eth.HeaderByHash(ctx, reverted.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, rh, uint32(reverted.TransactionIndex), 0); !errors.Is(err, chain.ErrNoLog) {
		t.Errorf("the reverted transfer's log: %v", err)
	}

	// A proof refused: a node changed, another block's header.
	bad := *tp
	bad.Nodes = append([]hexutil.Bytes(nil), tp.Nodes...)
	bad.Nodes[0] = append(hexutil.Bytes(nil), tp.Nodes[0]...)
	bad.Nodes[0][len(bad.Nodes[0])-1] ^= 1
	if _, err := bad.Event(committee); !errors.Is(err, chain.ErrBadProof) {
		t.Errorf("a changed node: %v", err)
	}
	other := *tp
	other.Header = header
	if _, err := other.Event(committee); !errors.Is(err, chain.ErrBadProof) {
		t.Errorf("another block's header: %v", err)
	}
}
