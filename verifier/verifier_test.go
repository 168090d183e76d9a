package verifier

import (
	"context"
	"math/big"
	"os"
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
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// smallWrap is a test double of the wrap circuit: one public input (the statement), one
// commitment (from a range check), as the wrap has; it knows a square root of the statement.
type smallWrap struct {
	Statement frontend.Variable `gnark:",public"`
	Root      frontend.Variable
}

func (c *smallWrap) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.Root, c.Root), c.Statement)
	rangecheck.New(api).Check(c.Root, 120)
	return nil
}

// proveSmall proves smallWrap for root² with the Solidity target, and returns its key.
func proveSmall(t *testing.T, root int64) (groth16.VerifyingKey, groth16.Proof, *big.Int) {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &smallWrap{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	stmt := big.NewInt(root * root)
	w, err := frontend.NewWitness(&smallWrap{Statement: stmt, Root: root}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	return vk, proof, stmt
}

func TestCalldataRoundTripAndNativeVerify(t *testing.T) {
	vk, proof, stmt := proveSmall(t, 12345)
	if err := Verify(vk, proof, stmt); err != nil {
		t.Fatal(err)
	}
	if Verify(vk, proof, new(big.Int).Add(stmt, big.NewInt(1))) == nil {
		t.Fatal("verified for another statement")
	}
	data, err := Calldata(proof)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != ProofSize {
		t.Fatalf("calldata of %d bytes, want %d", len(data), ProofSize)
	}
	back, err := FromCalldata(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(vk, back, stmt); err != nil {
		t.Fatalf("decoded proof: %v", err)
	}
	for name, bad := range map[string][]byte{
		"truncated":         data[:ProofSize-1],
		"one byte too many": append(append([]byte(nil), data...), 0),
		"a point off curve": func() []byte { b := append([]byte(nil), data...); b[63] ^= 1; return b }(),
		"empty":             nil,
	} {
		if _, err := FromCalldata(bad); err == nil {
			t.Errorf("%s calldata decoded", name)
		}
	}
}

// The generated verifier, compiled with the pinned solc and deployed behind the
// Groth16BatchVerifier adapter, accepts the proof for its statement only.
func TestGeneratedVerifierOnChain(t *testing.T) {
	vk, proof, stmt := proveSmall(t, 987654321)
	compiled, err := Compile(filepath.Join("..", "contracts"), vk)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(compiled.Source, "pragma solidity "+Pragma) {
		t.Fatal("the exported verifier does not pin the compiler version")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key := devnet.DevKey("deployer")
	c, err := devnet.StartChain(9, types.GenesisAlloc{crypto.PubkeyToAddress(key.PublicKey): {Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client, err := chain.Dial(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.PollInterval = devnet.BlockInterval / 2
	dep, err := Deploy(ctx, client, key, compiled)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Calldata(proof)
	if err != nil {
		t.Fatal(err)
	}
	adapter := bindings.NewGroth16BatchVerifier()
	bound := client.Contract(adapter, dep.BatchVerifier)
	call := func(proof []byte, input *big.Int) bool {
		ok, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, adapter.PackVerifyBatch(proof, input), adapter.UnpackVerifyBatch)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !call(data, stmt) {
		t.Fatal("the generated verifier refused a valid proof")
	}
	if call(data, new(big.Int).Add(stmt, big.NewInt(1))) {
		t.Fatal("the generated verifier accepted another statement")
	}
	bad := append([]byte(nil), data...)
	bad[300] ^= 1
	if call(bad, stmt) {
		t.Fatal("the generated verifier accepted a tampered commitment")
	}
	if call(data[:200], stmt) {
		t.Fatal("the generated verifier accepted a truncated proof")
	}
	// Gas of a verification, as a call would use it inside submitBatch: through the adapter
	// and the generated verifier alone (without the transaction's 21,000 and calldata).
	for name, msg := range map[string]ethereum.CallMsg{
		"adapter": {To: &dep.BatchVerifier, Data: adapter.PackVerifyBatch(data, stmt)},
	} {
		gas, err := client.Eth.EstimateGas(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("verifyBatch through the %s: %d gas (estimate, with the 21,000 of a transaction and its calldata)", name, gas)
	}
}

func TestBatchFileRefusesBadInput(t *testing.T) {
	_, proof, _ := proveSmall(t, 5)
	stmt := protocol.Statement{Lanes: []protocol.LaneClaim{{SrcDomain: 1, DstDomain: 2, Count: 3, BlockNumber: 7}}}
	b, err := NewBatch("wrap-test", stmt, proof)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "batch.json")
	if err := WriteBatch(path, b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadBatch(path); err != nil {
		t.Fatalf("a valid batch file: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated":      {data[:len(data)/2], "truncated"},
		"another count":  {[]byte(strings.Replace(string(data), `"count": 3`, `"count": 4`, 1)), "hashes to"},
		"a short proof":  {[]byte(strings.Replace(string(data), `"proof": "0x`, `"proof": "0x00`, 1)), "proof"},
		"another format": {[]byte(strings.Replace(string(data), BatchFormat, "isthmus.batch.v0", 1)), "format"},
	}
	for name, tc := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(p, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadBatch(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tc.want)
		}
	}
	if _, _, err := ReadBatch(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file read")
	}
}
