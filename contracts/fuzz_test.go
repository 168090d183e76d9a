package contracts_test

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// harness deploys the Protocol library's test harness on a new simulated chain.
func harness(t testing.TB) (*bind.BoundContract, *testbindings.ProtocolHarness) {
	e := newEnv(t)
	h := testbindings.NewProtocolHarness()
	return h.Instance(e.b.Client(), e.deploy(testbindings.ProtocolHarnessMetaData.Bin, nil)), h
}

// The packed delivery encoding: the Go decoder (protocol.UnpackDelivery, the relay's) and the
// Solidity one (Protocol.unpack, the Inbox's) take and refuse the same bytes, and fold what
// they take to the same accumulator. Seeds run in every `go test`; `go test -fuzz` explores.
func FuzzHardeningPackedDeliveryAgainstSolidity(f *testing.F) {
	msgs := []protocol.Message{
		{Sender: common.Address{1}, Recipient: common.Address{2}, GasLimit: 100_000, Payload: []byte("hello")},
		{Sender: common.Address{3}, Recipient: common.Address{4}, GasLimit: 5_000_000},
	}
	full := protocol.PackDelivery(msgs)
	f.Add(full)
	f.Add(full[:len(full)-1])               // payload cut short
	f.Add(full[:protocol.PackedOverhead-1]) // header cut short
	f.Add([]byte{})                         // nothing
	f.Add(append(bytes.Clone(full), 0xff))  // a trailing byte
	long := bytes.Clone(full)               // a length past the end
	binary.BigEndian.PutUint32(long[48:], 1<<31)
	f.Add(long)
	c, h := harness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		const src, dst, first = 1, 2, 7
		got, goErr := protocol.UnpackDelivery(src, dst, first, data)
		res, solErr := bind.Call(c, nil, h.PackAccumulatePacked(src, dst, first, [32]byte{}, data), h.UnpackAccumulatePacked)
		if (goErr == nil) != (solErr == nil) {
			t.Fatalf("Go: %v; Solidity: %v", goErr, solErr)
		}
		if goErr != nil {
			return
		}
		acc := common.Hash{}
		for i := range got {
			acc = protocol.Fold(acc, got[i].Hash())
		}
		if common.Hash(res.Arg0) != acc || res.Arg1 != first+uint64(len(got)) {
			t.Fatalf("Go folds %d messages to %x, Solidity (%x, next nonce %d)", len(got), acc, res.Arg0, res.Arg1)
		}
		if !bytes.Equal(protocol.PackDelivery(got), data) {
			t.Fatal("what Go decodes does not pack back to the same bytes")
		}
	})
}

// The claim decoder: any bytes are a claim to the Inbox only at the size of their kind
// (protocol.LaneClaimSize, RotationClaimSize, EventClaimSize), and then hash into the statement
// as the Go statement does; a Go-encoded lane claim decodes to its fields.
func FuzzHardeningClaimDecoderAgainstSolidity(f *testing.F) {
	lane := (&protocol.LaneClaim{Kind: protocol.KindLaneHead, SrcDomain: 1, DstDomain: 2, Outbox: common.Address{9},
		Committee: common.Hash{7}, BlockNumber: 3, BlockHash: common.Hash{5}, Count: 4, Acc: common.Hash{6}}).Encode()
	rot := (&protocol.RotationClaim{SrcDomain: 1, Committee: common.Hash{1}, NextEpoch: 2, NextCommittee: common.Hash{2}}).Encode()
	ev := (&protocol.EventClaim{SrcDomain: 1, BlockNumber: 3, TxIndex: 1, Topics: []common.Hash{{1}}}).Encode()
	hand := (&protocol.RotationClaim{SrcDomain: 1, Committee: common.Hash{1}, NextEpoch: 2, NextCommittee: common.Hash{2}, Runs: []common.Hash{{3}, {4}}}).Encode()
	run := protocol.KeyRunClaim(common.Hash{5})
	for _, seed := range [][]byte{lane, rot, ev, hand, run, hand[:len(hand)-1], hand[:protocol.RotationClaimSize], append(bytes.Clone(run), 0),
		lane[:len(lane)-1], append(bytes.Clone(rot), 0), {}, {0}, {6}, {7}, append([]byte{byte(protocol.KindLaneCheckpoint)}, lane[1:]...)} {
		f.Add(seed)
	}
	c, h := harness(f)
	f.Fuzz(func(t *testing.T, claim []byte) {
		if len(claim) > protocol.RotationClaimSize+32*(protocol.MaxHandOverRuns+2) {
			return
		}
		_, goErr := protocol.CheckClaim(claim)
		kind, solErr := bind.Call(c, nil, h.PackKindOf(claim), h.UnpackKindOf)
		if (goErr == nil) != (solErr == nil) {
			t.Fatalf("%d bytes: Go: %v; Solidity: %v", len(claim), goErr, solErr)
		}
		if goErr != nil {
			return
		}
		if kind != claim[0] {
			t.Fatalf("Solidity reads kind %d of a claim of kind %d", kind, claim[0])
		}
		res, err := bind.Call(c, nil, h.PackStatementHash([][]byte{claim}), h.UnpackStatementHash)
		if err != nil {
			t.Fatal(err)
		}
		// One claim: one step of the chain from its genesis.
		stmt := crypto.Keccak256Hash(protocol.ChainGenesis[:], crypto.Keccak256(claim))
		low := new(big.Int).And(new(big.Int).SetBytes(stmt[:]), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 252), big.NewInt(1)))
		if common.Hash(res.Statement) != stmt || res.PublicInput.Cmp(low) != 0 {
			t.Fatalf("Solidity statement %x, Go %x", res.Statement, stmt)
		}
		if !protocol.ClaimKind(claim[0]).IsLane() {
			return
		}
		got, err := bind.Call(c, nil, h.PackDecodeLane(claim), h.UnpackDecodeLane)
		if err != nil {
			t.Fatal(err)
		}
		back := protocol.LaneClaim{Kind: protocol.ClaimKind(got.Kind), SrcDomain: got.SrcDomain, DstDomain: got.DstDomain, Outbox: got.Outbox,
			Committee: got.Committee, BlockNumber: got.BlockNumber, BlockHash: got.BlockHash, Count: got.Count, Acc: got.Acc}
		if !bytes.Equal(back.Encode(), claim) {
			t.Fatal("the Solidity decoding does not encode back to the claim")
		}
	})
}
