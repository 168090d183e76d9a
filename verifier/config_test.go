package verifier

import (
	"bytes"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
)

// TestVerifierConfigOnChain: the generated verifier takes the statement alone under the
// deployment's config it was generated for, and refuses a proof made under another config
// or of another statement.
func TestVerifierConfigOnChain(t *testing.T) {
	k := setupSqrt(t)
	vk, config := k.vk, testConfig
	prove := func(stmt, config *big.Int) []byte {
		data, err := Calldata(k.proveUnder(t, stmt, config))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	compiled, err := Compile(filepath.Join("..", "contracts"), vk, config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(compiled.Source, "CONFIG = "+config.String()) {
		t.Fatal("the verifier does not name its config")
	}
	ctx, client, _, addr := deployOnChain(t, compiled)
	batch := bindings.NewIBatchVerifier()
	verifyBatch := verifyBatchOn(t, ctx, client, addr)
	gnarkABI, err := abi.JSON(bytes.NewReader(compiled.ABI))
	if err != nil {
		t.Fatal(err)
	}
	verifyProof := func(proof []byte, stmt, config *big.Int) bool {
		call, err := gnarkABI.Pack("verifyProof", proof, [2]*big.Int{stmt, config})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Eth.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: call}, nil)
		return err == nil
	}

	stmt := big.NewInt(987654321 * 987654321)
	valid := prove(stmt, config)
	other := prove(stmt, new(big.Int).Add(config, big.NewInt(1)))
	if !verifyBatch(valid, stmt) || !verifyProof(valid, stmt, config) {
		t.Fatal("the valid proof is refused")
	}
	for name, ok := range map[string]bool{
		"another statement":                      verifyBatch(valid, new(big.Int).Add(stmt, big.NewInt(1))),
		"a proof under another config":           verifyBatch(other, stmt),
		"the statement in the config's place":    verifyBatch(valid, config),
		"gnark's verifyProof, another config":    verifyProof(valid, stmt, new(big.Int).Add(config, big.NewInt(1))),
		"gnark's verifyProof, the other's proof": verifyProof(other, stmt, config),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
	if !verifyProof(other, stmt, new(big.Int).Add(config, big.NewInt(1))) {
		t.Fatal("the proof under the other config does not verify under it: the refusals above prove nothing")
	}
	gas, err := client.Eth.EstimateGas(ctx, ethereum.CallMsg{To: &addr, Data: batch.PackVerifyBatch(valid, stmt)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verifyBatch (two inputs, the config folded): %d gas", gas)
	if _, err := Compile(filepath.Join("..", "contracts"), vk, nil); err == nil {
		t.Error("a verifier generated for no config")
	}
	if _, err := Compile(filepath.Join("..", "contracts"), vk, ecc.BN254.ScalarField()); err == nil {
		t.Error("a verifier generated for a config outside the field")
	}
}
