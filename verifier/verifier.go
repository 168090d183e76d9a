// Package verifier checks batch proofs natively, exports and deploys their Solidity
// verifier, and encodes proofs as the destination Inbox takes them.
package verifier

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/solc"
)

// Pragma is the Solidity version the verifier is exported for: the pinned compiler's.
const Pragma = "0.8.30"

// ErrInvalid is returned for a proof that does not verify.
var ErrInvalid = errors.New("invalid batch proof")

// ErrEncoding is returned for proof bytes that do not decode.
var ErrEncoding = errors.New("malformed batch proof")

// publicWitness is the wrap circuit's public witness: the statement, the deployment's
// config.
func publicWitness(publicInput, config *big.Int) (witness.Witness, error) {
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	values := make(chan any, 2)
	values <- publicInput
	values <- config
	close(values)
	if err := w.Fill(2, 0, values); err != nil {
		return nil, fmt.Errorf("public inputs %s, %s: %w", publicInput, config, err)
	}
	return w, nil
}

// Verify checks a wrap proof natively for a statement's public input under a deployment's
// config, as the Solidity verifier generated for that config does.
func Verify(vk groth16.VerifyingKey, proof groth16.Proof, publicInput, config *big.Int) error {
	w, err := publicWitness(publicInput, config)
	if err != nil {
		return err
	}
	if err := groth16.Verify(proof, vk, w, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// Calldata is the proof as the Inbox's submitBatch takes it (the generated verifier's
// uncompressed encoding: A, B, C, then the commitment and its proof of knowledge).
func Calldata(proof groth16.Proof) ([]byte, error) {
	p, ok := proof.(*groth16bn254.Proof)
	if !ok {
		return nil, fmt.Errorf("%w: a %T, want a BN254 proof", ErrEncoding, proof)
	}
	return p.MarshalSolidity(), nil
}

// ProofSize is the calldata size of a wrap proof with one commitment.
const ProofSize = 256 + 2*64

// FromCalldata decodes a proof from its calldata encoding.
func FromCalldata(data []byte) (groth16.Proof, error) {
	if len(data) != ProofSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrEncoding, len(data), ProofSize)
	}
	// MarshalSolidity is gnark's raw encoding without the commitments' 4-byte count.
	p := new(groth16bn254.Proof)
	var raw bytes.Buffer
	raw.Write(data[:256])
	raw.Write([]byte{0, 0, 0, 1})
	raw.Write(data[256:])
	if _, err := p.ReadFrom(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	return p, nil
}

// ExportSolidity writes the Solidity verifier of the wrap key (wrap.KeyedCircuit: the
// statement, then the deployment's config) for one config: the verifier gnark generates,
// with IBatchVerifier's verifyBatch added (one pairing call instead of two, see fold.go), so
// that the Inbox calls it directly. Its verifyBatch takes the statement alone, the config
// being fixed in the contract (CONFIG) and folded into its constant point. Another
// allow-list or aggregation key is another verifier of the same wrap key, which the Inbox
// takes behind its upgrade delay.
func ExportSolidity(vk groth16.VerifyingKey, config *big.Int, w io.Writer) error {
	fn, err := renderVerifyBatch(vk, config)
	if err != nil {
		return fmt.Errorf("wrap key: %w", err)
	}
	return vk.ExportSolidity(w, solidity.WithPragmaVersion(Pragma), solidity.WithFunctions(strings.NewReader(fn)))
}

// Compiled is the generated verifier's creation code.
type Compiled struct {
	Source   string          `json:"source"`
	ABI      json.RawMessage `json:"abi"` // gnark's verifyProof and friends, and IBatchVerifier's verifyBatch
	Bytecode hexutil.Bytes   `json:"bytecode"`
	Compiler string          `json:"compiler"`
}

// Compile exports the wrap key's verifier for a config and compiles it with the pinned
// compiler found in contractsDir (see ContractsDir).
func Compile(contractsDir string, vk groth16.VerifyingKey, config *big.Int) (*Compiled, error) {
	var src bytes.Buffer
	if err := ExportSolidity(vk, config, &src); err != nil {
		return nil, fmt.Errorf("export verifier: %w", err)
	}
	return compileVerifier(contractsDir, src.String())
}

func compileVerifier(contractsDir string, src string) (*Compiled, error) {
	out, version, err := solc.Compile(contractsDir, map[string]string{"Groth16Verifier.sol": src},
		solc.Settings{EVMVersion: "cancun", OptimizerRuns: 200, AllowWarnings: true})
	if err != nil {
		return nil, fmt.Errorf("compile verifier: %w", err)
	}
	c, ok := out["Groth16Verifier.sol"]["Verifier"]
	if !ok {
		return nil, errors.New("compile verifier: no contract Verifier in the exported source")
	}
	return &Compiled{Source: src, ABI: c.ABI, Bytecode: common.FromHex(c.EVM.Bytecode.Object), Compiler: version}, nil
}

// ContractsDir finds the repository's contracts folder (with solc.js and the pinned
// compiler) from the working directory upwards, or ISTHMUS_CONTRACTS_DIR.
func ContractsDir() (string, error) {
	if d := os.Getenv("ISTHMUS_CONTRACTS_DIR"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "contracts", "solc.js")); err == nil {
			return filepath.Join(dir, "contracts"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("contracts/solc.js not found above the working directory: run from the repository or set ISTHMUS_CONTRACTS_DIR")
		}
		dir = parent
	}
}

// ErrNotDeployed: the code at an address is not the verifier compiled from the keys.
var ErrNotDeployed = errors.New("the deployed code is not this verifier")

// CheckDeployed checks that the contract at addr runs exactly the compiled verifier's code:
// the runtime code its creation code returns (run in an eth_call) against the chain's code
// at addr. The generated verifier has its key's points and the config as constants, so equal
// code means the deployed verifier checks proofs under those keys and that config.
func CheckDeployed(ctx context.Context, c *chain.Client, addr common.Address, compiled *Compiled) error {
	want, err := c.Eth.CallContract(ctx, ethereum.CallMsg{Data: compiled.Bytecode}, nil)
	if err != nil {
		return fmt.Errorf("run the verifier's creation code: %w", err)
	}
	got, err := c.Eth.CodeAt(ctx, addr, nil)
	if err != nil {
		return fmt.Errorf("code at %s: %w", addr, err)
	}
	if len(got) == 0 {
		return fmt.Errorf("%w: no code at %s", ErrNotDeployed, addr)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%w: %s runs %d bytes of code (keccak %s), the verifier of these keys %d (keccak %s)", ErrNotDeployed,
			addr, len(got), crypto.Keccak256Hash(got), len(want), crypto.Keccak256Hash(want))
	}
	return nil
}

// Deploy deploys a compiled verifier and returns its address: the IBatchVerifier the Inbox
// calls.
func Deploy(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey, compiled *Compiled) (common.Address, error) {
	addr, err := c.Deploy(ctx, key, compiled.Bytecode, nil)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy Groth16 verifier: %w", err)
	}
	return addr, nil
}
