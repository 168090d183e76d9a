package verifier

import (
	"context"
	"crypto/ecdsa"
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

// inboxWithGeneratedVerifier deploys an Inbox behind the generated verifier of a circuit of
// the wrap's shape (one public input, the config, one commitment: verifyBatch does the
// same work as the real wrap's), trusting one source domain, and returns it with a prover of
// batches of one lane claim at count.
func inboxWithGeneratedVerifier(tb testing.TB) (context.Context, *chain.Destination, *ecdsa.PrivateKey, func(count uint64) (protocol.Statement, []byte)) {
	k := setupSqrt(tb)
	compiled, err := Compile(filepath.Join("..", "contracts"), k.vk, testConfig)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, client, key, v := deployOnChain(tb, compiled)
	const src, dst = 7, 9
	addr, err := chain.DeployInbox(ctx, client, key, chain.InboxConfig{Domain: dst, Verifier: v, UpgradeDelay: 24 * time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	inbox, err := chain.NewDestination(ctx, client, addr)
	if err != nil {
		tb.Fatal(err)
	}
	outbox, committee := common.HexToAddress("0x0b0b"), common.HexToHash("0xc0")
	if err := inbox.AddDomain(ctx, key, chain.SourceDomain{Domain: src, Outbox: outbox, Committee: committee}); err != nil {
		tb.Fatal(err)
	}
	// A statement whose public input has a square root (half of them do), and its proof.
	prove := func(count uint64) (protocol.Statement, []byte) {
		for i := int64(0); ; i++ {
			s := protocol.Statement{Lanes: []protocol.LaneClaim{{
				Kind: protocol.KindLaneHead, SrcDomain: src, DstDomain: dst, Outbox: outbox, Committee: committee,
				BlockNumber: 100 + count, BlockHash: crypto.Keccak256Hash(big.NewInt(i).Bytes()),
				Count: count, Acc: crypto.Keccak256Hash([]byte{byte(count)}),
			}}}
			proof := k.prove(tb, s.PublicInput())
			if proof == nil {
				continue
			}
			data, err := Calldata(proof)
			if err != nil {
				tb.Fatal(err)
			}
			return s, data
		}
	}
	return ctx, inbox, key, prove
}

// The Inbox behind the generated verifier (of a circuit of the wrap's shape) takes a batch
// proven for its statement and refuses one with a claim changed; the gas of submitBatch is
// that of the real pipeline's, whose verifier does the same work.
func TestInboxWithGeneratedVerifier(t *testing.T) {
	ctx, inbox, key, prove := inboxWithGeneratedVerifier(t)
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

// BenchmarkGasSubmitBatchWrapShape: submitBatch of one lane claim through the generated
// verifier of a circuit of the wrap's shape, for a domain's first batch and a later one: the
// gas the real wrap's verifier costs (it does the same work), in seconds and without its keys
// (bench --quick plots it when the real pipeline's BenchmarkGasSubmitBatch did not run).
func BenchmarkGasSubmitBatchWrapShape(b *testing.B) {
	ctx, inbox, key, prove := inboxWithGeneratedVerifier(b)
	var gas [2]uint64
	for i, count := range []uint64{3, 8} {
		s, proof := prove(count)
		r, err := inbox.SubmitBatch(ctx, key, proof, &s)
		if err != nil {
			b.Fatal(err)
		}
		gas[i] = r.GasUsed
	}
	for i := 0; i < b.N; i++ {
		b.ReportMetric(float64(gas[1]), "gas/batch")
		b.ReportMetric(float64(gas[0]), "first-gas/batch")
	}
}
