package contracts_test

import (
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The Solidity Protocol library gives the golden vectors' hashes, as the Go package does.
func TestSolidityMatchesGoldenVectors(t *testing.T) {
	v, err := protocol.LoadVectors(filepath.Join("..", protocol.VectorsFile))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	h := testbindings.NewProtocolHarness()
	c := h.Instance(e.b.Client(), e.deploy(testbindings.ProtocolHarnessMetaData.Bin, nil))
	conv := func(m protocol.Message) testbindings.ProtocolMessage {
		return testbindings.ProtocolMessage(chain.ToBindingMessages([]protocol.Message{m})[0])
	}

	var all []testbindings.ProtocolMessage
	for i, mv := range v.Messages {
		got, err := bind.Call(c, nil, h.PackMessageHash(conv(mv.Message)), h.UnpackMessageHash)
		if err != nil || common.Hash(got) != mv.Hash {
			t.Fatalf("message %d: solidity hash %x (%v), vector %x", i, got, err, mv.Hash)
		}
		all = append(all, conv(mv.Message))
		acc, err := bind.Call(c, nil, h.PackAccumulate([32]byte{}, all), h.UnpackAccumulate)
		if err != nil || common.Hash(acc) != mv.AccAfter {
			t.Fatalf("accumulator after message %d: solidity %x (%v), vector %x", i, acc, err, mv.AccAfter)
		}
	}
	packed, err := bind.Call(c, nil, h.PackAccumulatePacked(1, 2, 0, [32]byte{}, v.Delivery), h.UnpackAccumulatePacked)
	if last := v.Messages[len(v.Messages)-1]; err != nil || common.Hash(packed.Arg0) != last.AccAfter || packed.Arg1 != uint64(len(v.Messages)) {
		t.Fatalf("packed delivery: solidity (%x, %d) (%v), vector (%x, %d)", packed.Arg0, packed.Arg1, err, last.AccAfter, len(v.Messages))
	}
	for i, lv := range v.LaneClaims {
		got, err := bind.Call(c, nil, h.PackDecodeLane(lv.Encoded), h.UnpackDecodeLane)
		want := lv.Claim
		if err != nil || got.Kind != uint8(want.Kind) || got.SrcDomain != want.SrcDomain || got.DstDomain != want.DstDomain ||
			got.Outbox != want.Outbox || got.Committee != want.Committee || got.BlockNumber != want.BlockNumber ||
			got.BlockHash != want.BlockHash || got.Count != want.Count || got.Acc != want.Acc {
			t.Fatalf("lane claim %d: solidity decodes %+v (%v), vector %+v", i, got, err, want)
		}
	}
	for i, rv := range v.RotationClaims {
		got, err := bind.Call(c, nil, h.PackDecodeRotation(rv.Encoded), h.UnpackDecodeRotation)
		want := rv.Claim
		if err != nil || got.SrcDomain != want.SrcDomain || got.Committee != want.Committee || got.NextEpoch != want.NextEpoch || got.NextCommittee != want.NextCommittee {
			t.Fatalf("rotation claim %d: solidity decodes %+v (%v), vector %+v", i, got, err, want)
		}
	}
	for i, ev := range v.EventClaims {
		got, err := bind.Call(c, nil, h.PackDecodeEvent(ev.Encoded), h.UnpackDecodeEvent)
		if err != nil || got.SrcDomain != ev.Claim.SrcDomain || got.Committee != ev.Claim.Committee || common.Hash(got.Id) != ev.ID {
			t.Fatalf("event claim %d: solidity decodes (%d, %x, id %x) (%v), vector %+v id %x", i, got.SrcDomain, got.Committee, got.Id, err, ev.Claim, ev.ID)
		}
	}
	if len(v.EventClaims) == 0 || v.LaneClaims[len(v.LaneClaims)-1].Claim.Kind != protocol.KindLaneReceipt {
		t.Fatal("the vectors hold no event claim or no lane by receipt")
	}
	for i, sv := range v.Statements {
		s := v.Statement(i)
		got, err := bind.Call(c, nil, h.PackStatementHash(s.Claims()), h.UnpackStatementHash)
		if err != nil || common.Hash(got.Statement) != sv.Hash || got.PublicInput.Cmp(sv.PublicInput.ToInt()) != 0 {
			t.Fatalf("statement %d: solidity (%x, %x) (%v), vector (%x, %x)", i, got.Statement, got.PublicInput, err, sv.Hash, sv.PublicInput.ToInt())
		}
	}
	// Malformed claims are refused by name: an unknown kind, a lane kind at a rotation's length.
	for _, bad := range [][]byte{{}, append([]byte{0}, v.LaneClaims[0].Encoded[1:]...), append([]byte{byte(protocol.KindLaneHead)}, v.RotationClaims[0].Encoded[1:]...)} {
		if _, err := bind.Call(c, nil, h.PackDecodeLane(bad), h.UnpackDecodeLane); err == nil {
			t.Fatalf("claim %x decoded", bad)
		}
	}
}
