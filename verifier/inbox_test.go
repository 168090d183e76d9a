package verifier

import (
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// sqrtWrap is a test double of the wrap circuit with its shape (one public input, one
// commitment from a range check) that proves any statement with a square root mod r.
type sqrtWrap struct {
	Statement frontend.Variable `gnark:",public"`
	Root      frontend.Variable
	Small     frontend.Variable
}

func (c *sqrtWrap) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.Root, c.Root), c.Statement)
	rangecheck.New(api).Check(c.Small, 64)
	return nil
}

// The Inbox behind the generated verifier (of a circuit of the wrap's shape) takes a batch
// proven for its statement and refuses one with a claim changed; the gas of submitBatch is
// that of the real pipeline's, whose verifier does the same work.
func TestInboxWithGeneratedVerifier(t *testing.T) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &sqrtWrap{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := Compile(filepath.Join("..", "contracts"), vk)
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
				SrcDomain: src, DstDomain: dst, Outbox: outbox, Committee: committee,
				BlockNumber: 100 + count, BlockHash: crypto.Keccak256Hash(big.NewInt(i).Bytes()),
				Count: count, Acc: crypto.Keccak256Hash([]byte{byte(count)}),
			}}}
			root := new(big.Int).ModSqrt(s.PublicInput(), ecc.BN254.ScalarField())
			if root == nil {
				continue
			}
			w, err := frontend.NewWitness(&sqrtWrap{Statement: s.PublicInput(), Root: root, Small: 5}, ecc.BN254.ScalarField())
			if err != nil {
				t.Fatal(err)
			}
			proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
			if err != nil {
				t.Fatal(err)
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
		if _, err := inbox.SubmitBatch(ctx, key, proof, &s); err == nil {
			t.Fatal("a batch replayed")
		}
	}
}
