package verifier

import (
	"bytes"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/isthmus-xyz/isthmus/contracts/bindings"
)

// sqrtUniversalWrap is a test double of the universal wrap with its shape: two public inputs
// (the statement and the deployment's config) and one commitment. It proves a statement that has
// a square root mod r, under any config.
type sqrtUniversalWrap struct {
	Statement frontend.Variable `gnark:",public"`
	Config    frontend.Variable `gnark:",public"`
	Root      frontend.Variable
	Small     frontend.Variable
}

func (c *sqrtUniversalWrap) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.Root, c.Root), c.Statement)
	api.AssertIsEqual(api.Mul(c.Config, 1), c.Config)
	rangecheck.New(api).Check(c.Small, 64)
	return nil
}

// TestUniversalVerifierOnChain: the universal wrap's generated verifier takes the statement
// alone under the deployment's config it was generated for, and refuses a proof made under
// another root or of another statement; its verifyBatch costs what the one-input one costs.
func TestUniversalVerifierOnChain(t *testing.T) {
	field := ecc.BN254.ScalarField()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &sqrtUniversalWrap{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	config := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 248), big.NewInt(12345))
	prove := func(stmt, config *big.Int) []byte {
		w, err := frontend.NewWitness(&sqrtUniversalWrap{Statement: stmt, Config: config, Root: new(big.Int).ModSqrt(stmt, field), Small: 5}, field)
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
		return data
	}
	compiled, err := CompileUniversal(filepath.Join("..", "contracts"), vk, config)
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
	if _, err := CompileUniversal(filepath.Join("..", "contracts"), setupSqrt(t).vk, config); err == nil {
		t.Error("a key of one public input made a universal verifier")
	}
}
