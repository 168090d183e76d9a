package verifier

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// sqrtWrap is a test double of the wrap circuit with its shape: two public inputs (the
// statement and the deployment's config) and one commitment (from a range check). It proves
// a statement that has a square root mod r, under any config.
type sqrtWrap struct {
	Statement frontend.Variable `gnark:",public"`
	Config    frontend.Variable `gnark:",public"`
	Root      frontend.Variable
	Small     frontend.Variable
}

func (c *sqrtWrap) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.Root, c.Root), c.Statement)
	api.AssertIsEqual(api.Mul(c.Config, 1), c.Config)
	rangecheck.New(api).Check(c.Small, 64)
	return nil
}

// testConfig is the config the tests' verifiers are generated for: 2^248 − 12345.
var testConfig = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 248), big.NewInt(12345))

// sqrtKeys is sqrtWrap compiled and set up.
type sqrtKeys struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  groth16.VerifyingKey
}

func setupSqrt(t testing.TB) *sqrtKeys {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &sqrtWrap{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &sqrtKeys{ccs, pk, vk}
}

// prove proves stmt under testConfig with the Solidity target, or returns nil if it has no
// square root.
func (k *sqrtKeys) prove(t testing.TB, stmt *big.Int) groth16.Proof {
	return k.proveUnder(t, stmt, testConfig)
}

// proveUnder proves stmt under config.
func (k *sqrtKeys) proveUnder(t testing.TB, stmt, config *big.Int) groth16.Proof {
	t.Helper()
	root := new(big.Int).ModSqrt(stmt, ecc.BN254.ScalarField())
	if root == nil {
		return nil
	}
	w, err := frontend.NewWitness(&sqrtWrap{Statement: stmt, Config: config, Root: root, Small: 5}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(k.ccs, k.pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	return proof
}

// proveSmall proves the statement root² and returns the key, the proof and the statement.
func proveSmall(t testing.TB, root int64) (groth16.VerifyingKey, groth16.Proof, *big.Int) {
	t.Helper()
	k := setupSqrt(t)
	stmt := big.NewInt(root * root)
	return k.vk, k.prove(t, stmt), stmt
}

func TestCalldataRoundTripAndNativeVerify(t *testing.T) {
	vk, proof, stmt := proveSmall(t, 12345)
	if err := Verify(vk, proof, stmt, testConfig); err != nil {
		t.Fatal(err)
	}
	if Verify(vk, proof, new(big.Int).Add(stmt, big.NewInt(1)), testConfig) == nil {
		t.Fatal("verified for another statement")
	}
	if Verify(vk, proof, stmt, new(big.Int).Add(testConfig, big.NewInt(1))) == nil {
		t.Fatal("verified under another config")
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
	if err := Verify(vk, back, stmt, testConfig); err != nil {
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

// The generated verifier, compiled with the pinned solc, accepts through verifyBatch (the
// Inbox's IBatchVerifier) exactly what gnark's own verifyProof and the native verifier
// accept: the proof for its statement, and none of its tamperings, in any of its points.
func TestGeneratedVerifierOnChain(t *testing.T) {
	vk, proof, stmt := proveSmall(t, 987654321)
	compiled, err := Compile(filepath.Join("..", "contracts"), vk, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(compiled.Source, "pragma solidity "+Pragma) {
		t.Fatal("the exported verifier does not pin the compiler version")
	}
	ctx, client, _, addr := deployOnChain(t, compiled)
	data, err := Calldata(proof)
	if err != nil {
		t.Fatal(err)
	}
	gnarkABI, err := abi.JSON(bytes.NewReader(compiled.ABI))
	if err != nil {
		t.Fatal(err)
	}
	batch := bindings.NewIBatchVerifier()
	verifyBatch := verifyBatchOn(t, ctx, client, addr)
	verifyProof := func(proof []byte, input *big.Int) bool {
		call, err := gnarkABI.Pack("verifyProof", proof, [2]*big.Int{input, testConfig})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Eth.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: call}, nil)
		return err == nil
	}
	// The native verifier reduces the input; the contracts refuse one that is not reduced.
	native := func(data []byte, input *big.Int) bool {
		p, err := FromCalldata(data)
		return err == nil && input.Cmp(ecc.BN254.ScalarField()) < 0 && Verify(vk, p, input, testConfig) == nil
	}

	type tc struct {
		proof []byte
		input *big.Int
	}
	cases := map[string]tc{
		"valid":             {data, stmt},
		"another statement": {data, new(big.Int).Add(stmt, big.NewInt(1))},
		"statement + r":     {data, new(big.Int).Add(stmt, ecc.BN254.ScalarField())},
		"truncated":         {data[:200], stmt},
		"one byte more":     {append(append([]byte(nil), data...), 0), stmt},
	}
	// A flipped bit in each coordinate: A (0x00), B (0x40), C (0xc0), the commitment D
	// (0x100) and its proof of knowledge (0x140).
	for _, at := range []int{0x1f, 0x3f, 0x5f, 0x7f, 0x9f, 0xbf, 0xdf, 0xff, 0x11f, 0x13f, 0x15f, 0x17f} {
		bad := append([]byte(nil), data...)
		bad[at] ^= 1
		cases[fmt.Sprintf("bit flipped at byte %#x", at)] = tc{bad, stmt}
	}
	// Points that stay on their curves: A negated, and the commitment swapped with its proof
	// of knowledge.
	negA := append([]byte(nil), data...)
	copy(negA[0x20:0x40], negY(data[0x20:0x40]))
	cases["A negated"] = tc{negA, stmt}
	swapped := append([]byte(nil), data...)
	copy(swapped[0x100:0x140], data[0x140:0x180])
	copy(swapped[0x140:0x180], data[0x100:0x140])
	cases["commitment and proof of knowledge swapped"] = tc{swapped, stmt}
	// The Groth16 equation intact and the commitment's proof of knowledge off by the
	// generator: only the commitment check refuses it.
	var pok, gen bn254.G1Affine
	if err := pok.Unmarshal(data[0x140:0x180]); err != nil {
		t.Fatal(err)
	}
	_, _, gen, _ = bn254.Generators()
	pok.Add(&pok, &gen)
	badPok := append([]byte(nil), data...)
	copy(badPok[0x140:0x180], pok.Marshal())
	cases["proof of knowledge moved"] = tc{badPok, stmt}

	for name, c := range cases {
		want := native(c.proof, c.input)
		if got := verifyProof(c.proof, c.input); got != want {
			t.Errorf("%s: gnark's verifyProof says %v, native %v", name, got, want)
		}
		if got := verifyBatch(c.proof, c.input); got != want {
			t.Errorf("%s: verifyBatch says %v, native %v", name, got, want)
		}
	}
	if !native(data, stmt) {
		t.Fatal("the valid proof does not verify natively")
	}

	// Gas of a verification as the Inbox makes it, and through gnark's verifyProof, each in a
	// transaction of its own (with the 21,000 and the calldata).
	call, err := gnarkABI.Pack("verifyProof", data, [2]*big.Int{stmt, testConfig})
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range map[string]ethereum.CallMsg{
		"verifyBatch (one pairing call)":  {To: &addr, Data: batch.PackVerifyBatch(data, stmt)},
		"gnark's verifyProof (two calls)": {To: &addr, Data: call},
	} {
		gas, err := client.Eth.EstimateGas(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d gas", name, gas)
	}
}

// verifyBatchOn calls a deployed verifier's verifyBatch.
func verifyBatchOn(t *testing.T, ctx context.Context, client *chain.Client, addr common.Address) func(proof []byte, input *big.Int) bool {
	batch := bindings.NewIBatchVerifier()
	bound := client.Contract(batch, addr)
	return func(proof []byte, input *big.Int) bool {
		ok, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, batch.PackVerifyBatch(proof, input), batch.UnpackVerifyBatch)
		if err != nil {
			t.Fatalf("verifyBatch reverted: %v", err)
		}
		return ok
	}
}

// deployOnChain starts a chain with a funded deployer (closed with the test) and deploys a
// compiled verifier on it.
func deployOnChain(t testing.TB, compiled *Compiled) (context.Context, *chain.Client, *ecdsa.PrivateKey, common.Address) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	key := devnet.DevKey("deployer")
	c, err := devnet.StartChain(9, types.GenesisAlloc{crypto.PubkeyToAddress(key.PublicKey): {Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	client, err := chain.Dial(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.PollInterval = devnet.BlockInterval / 2
	addr, err := Deploy(ctx, client, key, compiled)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, client, key, addr
}

// negY is p − y for a big-endian coordinate y of BN254's base field.
func negY(y []byte) []byte {
	v := new(big.Int).Sub(ecc.BN254.BaseField(), new(big.Int).SetBytes(y))
	return v.FillBytes(make([]byte, 32))
}

func TestBatchFileRefusesBadInput(t *testing.T) {
	_, proof, _ := proveSmall(t, 5)
	stmt := protocol.Statement{Lanes: []protocol.LaneClaim{{Kind: protocol.KindLaneHead, SrcDomain: 1, DstDomain: 2, Count: 3, BlockNumber: 7}}}
	b, err := NewBatch("wrap-test", testConfig, stmt, proof)
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
