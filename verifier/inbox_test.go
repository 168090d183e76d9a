package verifier

import (
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// The Inbox behind the generated verifier (of a circuit of the wrap's shape) takes a batch
// proven for its statement and refuses one with a claim changed; the gas of submitBatch is
// that of the real pipeline's, whose verifier does the same work.
func TestInboxWithGeneratedVerifier(t *testing.T) {
	k := setupSqrt(t)
	compiled, err := Compile(filepath.Join("..", "contracts"), k.vk, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, client, key, v := deployOnChain(t, compiled)
	const src, dst = 7, 9
	addr, err := chain.DeployInbox(ctx, client, key, chain.InboxConfig{Domain: dst, Verifier: v, UpgradeDelay: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := chain.NewDestination(ctx, client, addr)
	if err != nil {
		t.Fatal(err)
	}
	outbox, committee := common.HexToAddress("0x0b0b"), common.HexToHash("0xc0")
	if err := inbox.AddDomain(ctx, key, chain.SourceDomain{Domain: src, Outbox: outbox, Committee: committee}); err != nil {
		t.Fatal(err)
	}

	// A statement whose public input has a square root (half of them do), and its proof.
	prove := func(count uint64) (protocol.Statement, []byte) {
		for i := int64(0); ; i++ {
			s := protocol.Statement{Lanes: []protocol.LaneClaim{{
				Kind: protocol.KindLaneHead, SrcDomain: src, DstDomain: dst, Outbox: outbox, Committee: committee,
				BlockNumber: 100 + count, BlockHash: crypto.Keccak256Hash(big.NewInt(i).Bytes()),
				Count: count, Acc: crypto.Keccak256Hash([]byte{byte(count)}),
			}}}
			proof := k.prove(t, s.PublicInput())
			if proof == nil {
				continue
			}
			data, err := Calldata(proof)
			if err != nil {
				t.Fatal(err)
			}
			return s, data
		}
	}

	for i, count := range []uint64{3, 8} {
		s, proof := prove(count)
		changed := s
		changed.Lanes = []protocol.LaneClaim{s.Lanes[0]}
		changed.Lanes[0].Count++
		if _, err := inbox.SubmitBatch(ctx, key, proof, &changed); err == nil || !strings.Contains(err.Error(), "InvalidProof") {
			t.Fatalf("a claim changed under a valid proof: %v, want InvalidProof", err)
		}
		r, err := inbox.SubmitBatch(ctx, key, proof, &s)
		if err != nil {
			t.Fatalf("a valid batch: %v", err)
		}
		which := map[int]string{0: "a domain's first batch", 1: "a later batch"}[i]
		t.Logf("submitBatch, one lane claim, %s: %d gas", which, r.GasUsed)
		// Replayed, it changes nothing: the Inbox skips a claim it holds already.
		before, err := inbox.State(ctx, s.Lanes[0].SrcDomain)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inbox.SubmitBatch(ctx, key, proof, &s); err != nil {
			t.Fatal(err)
		}
		if after, err := inbox.State(ctx, s.Lanes[0].SrcDomain); err != nil || after != before {
			t.Fatalf("a replayed batch changed the domain: %+v, was %+v (%v)", after, before, err)
		}
	}
}
