package contracts_test

import (
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
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
		s := protocol.Statement{Lanes: []protocol.LaneClaim{lv.Claim}}
		lanes, _ := chain.ToBindingStatement(&s)
		got, err := bind.Call(c, nil, h.PackLaneClaimHash(testbindings.ProtocolLaneClaim(lanes[0])), h.UnpackLaneClaimHash)
		if err != nil || common.Hash(got) != lv.Hash {
			t.Fatalf("lane claim %d: solidity %x (%v), vector %x", i, got, err, lv.Hash)
		}
	}
	for i, rv := range v.RotationClaims {
		s := protocol.Statement{Rotations: []protocol.RotationClaim{rv.Claim}}
		_, rots := chain.ToBindingStatement(&s)
		got, err := bind.Call(c, nil, h.PackRotationClaimHash(testbindings.ProtocolRotationClaim(rots[0])), h.UnpackRotationClaimHash)
		if err != nil || common.Hash(got) != rv.Hash {
			t.Fatalf("rotation claim %d: solidity %x (%v), vector %x", i, got, err, rv.Hash)
		}
	}
	for i, sv := range v.Statements {
		s := v.Statement(i)
		lanes, rots := chain.ToBindingStatement(&s)
		got, err := bind.Call(c, nil, h.PackStatementHash(toHarnessLanes(lanes), toHarnessRotations(rots)), h.UnpackStatementHash)
		if err != nil || common.Hash(got.Statement) != sv.Hash || got.PublicInput.Cmp(sv.PublicInput.ToInt()) != 0 {
			t.Fatalf("statement %d: solidity (%x, %x) (%v), vector (%x, %x)", i, got.Statement, got.PublicInput, err, sv.Hash, sv.PublicInput.ToInt())
		}
	}
}

func toHarnessLanes(in []bindings.ProtocolLaneClaim) []testbindings.ProtocolLaneClaim {
	out := make([]testbindings.ProtocolLaneClaim, len(in))
	for i, c := range in {
		out[i] = testbindings.ProtocolLaneClaim(c)
	}
	return out
}

func toHarnessRotations(in []bindings.ProtocolRotationClaim) []testbindings.ProtocolRotationClaim {
	out := make([]testbindings.ProtocolRotationClaim, len(in))
	for i, c := range in {
		out[i] = testbindings.ProtocolRotationClaim(c)
	}
	return out
}
