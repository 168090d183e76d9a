package verifier

import (
	"errors"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/prover/ceremony"
)

// ceremonyKeys runs a three-party ceremony of sqrtWrap (the wrap's shape: two public
// inputs and a commitment) and returns its keys.
func ceremonyKeys(t *testing.T) *sqrtKeys {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &sqrtWrap{})
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := t.TempDir(), t.TempDir()
	power := 1
	for 1<<power < ccs.GetNbConstraints() {
		power++
	}
	if _, err := ceremony.InitPhase1(filepath.Join(d1, ceremony.FileName(0)), ecc.BN254, power); err != nil {
		t.Fatal(err)
	}
	contribute := func(dir string, n int) []string {
		for i := 0; i < n; i++ {
			if _, err := ceremony.Contribute(filepath.Join(dir, ceremony.FileName(i)), filepath.Join(dir, ceremony.FileName(i+1)), "", nil); err != nil {
				t.Fatal(err)
			}
		}
		files, err := ceremony.Files(dir)
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	f1 := contribute(d1, 3)
	srs, _, err := ceremony.VerifyPhase1(f1, []byte("beacon 1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ceremony.InitPhase2(filepath.Join(d2, ceremony.FileName(0)), "sqrt-wrap", ccs, srs); err != nil {
		t.Fatal(err)
	}
	k, err := ceremony.Finalize("sqrt-wrap", ccs, f1, []byte("beacon 1"), contribute(d2, 3), []byte("beacon 2"))
	if err != nil {
		t.Fatal(err)
	}
	return &sqrtKeys{ccs: constraint.ConstraintSystem(ccs), pk: k.PK, vk: k.VK}
}

// TestCeremonyKeysVerifyOnChain: the Solidity verifier generated from a ceremony's key (γ is
// the generator there, and the commitment's key comes from the ceremony's σ) accepts a
// proof under it on the EVM and refuses another statement, as the native verifier does.
func TestCeremonyKeysVerifyOnChain(t *testing.T) {
	k := ceremonyKeys(t)
	stmt := big.NewInt(123456789 * 123456789)
	proof := k.prove(t, stmt)
	if err := Verify(k.vk, proof, stmt, testConfig); err != nil {
		t.Fatalf("native: %v", err)
	}
	compiled, err := Compile(filepath.Join("..", "contracts"), k.vk, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, client, _, addr := deployOnChain(t, compiled)
	verifyBatch := verifyBatchOn(t, ctx, client, addr)
	data, err := Calldata(proof)
	if err != nil {
		t.Fatal(err)
	}
	if !verifyBatch(data, stmt) {
		t.Fatal("the ceremony key's verifier refuses its proof")
	}
	if verifyBatch(data, new(big.Int).Add(stmt, big.NewInt(1))) {
		t.Fatal("the ceremony key's verifier accepts another statement")
	}
	// A proof under development keys of the same circuit does not verify under the
	// ceremony's key.
	dev := setupSqrt(t)
	other, err := Calldata(dev.prove(t, stmt))
	if err != nil {
		t.Fatal(err)
	}
	if verifyBatch(other, stmt) {
		t.Fatal("a proof under another setup's key verifies")
	}
}

// TestCheckDeployedComparesCode: the verifier deployed from a ceremony's key is recognised
// as that key's; one of another key (a development setup of the same circuit), another
// config, or an address without code is not.
func TestCheckDeployedComparesCode(t *testing.T) {
	k := ceremonyKeys(t)
	compiled, err := Compile(filepath.Join("..", "contracts"), k.vk, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, client, key, addr := deployOnChain(t, compiled)
	if err := CheckDeployed(ctx, client, addr, compiled); err != nil {
		t.Fatalf("the deployed verifier: %v", err)
	}
	for name, other := range map[string]func() (*Compiled, error){
		"another key": func() (*Compiled, error) {
			return Compile(filepath.Join("..", "contracts"), setupSqrt(t).vk, testConfig)
		},
		"another config": func() (*Compiled, error) { return Compile(filepath.Join("..", "contracts"), k.vk, big.NewInt(7)) },
	} {
		c, err := other()
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckDeployed(ctx, client, addr, c); !errors.Is(err, ErrNotDeployed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := CheckDeployed(ctx, client, crypto.PubkeyToAddress(key.PublicKey), compiled); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("an account without code: %v", err)
	}
}
