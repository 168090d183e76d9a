package verifier

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"text/template"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// verifyBatchSolidity is IBatchVerifier's verifyBatch, added to the verifier gnark exports for
// the wrap key (two public inputs, the statement and the config, one commitment) with the
// config fixed. It makes the checks of gnark's verifyProof with one pairing call instead of
// two:
//
//	verifyProof:  e(A,B)·e(C,−δ)·e(α,−β)·e(L,−γ) = 1  and  e(D,−σG)·e(PoK,G) = 1
//	verifyBatch:  e(A,B)·e(C,−δ)·e(α,−β)·e(L,−γ) · e(ρD,−σG)·e(ρPoK,G) = 1
//
// where L = (K₀ + c·K₂) + D + x·K₁ + h·K₃ (x the statement, c the config, folded into one
// constant point when the verifier is generated, h = keccak(D ‖ committed inputs) mod r)
// and ρ = keccak(proof ‖ x) mod r. Both products lie in the pairing's target group, of prime
// order r; ρ is fixed only once every point is, so when the commitment's product P₂ is not
// 1 the folded check holds for a single ρ out of r (P₁·P₂^ρ = 1), and when P₂ is 1 it is the
// Groth16 check itself. One 6-pair call costs 45,000 + 6·34,000 = 249,000 gas against
// 113,000 + 181,000 for the two calls: with the two scalar multiplications by ρ (12,000),
// ~33,000 less.
//
// A point off its curve or outside its group makes a precompile fail and the proof is
// refused; as in gnark's verifier, the failing call uses up the gas it was given (all but a
// 64th), so the caller may run out of gas instead of reading false. Either way the batch is
// refused.
const verifyBatchSolidity = `
    /// @notice The deployment's configuration this verifier takes, the wrap's second public
    ///         input, fixed: Poseidon2(the leaf kinds' allow-list root, the aggregation keys).
    uint256 public constant CONFIG = {{.Config}};
    // K0 + CONFIG·K2, folded when the verifier is generated.
    uint256 constant FOLDED_X = {{.FoldedX}};
    uint256 constant FOLDED_Y = {{.FoldedY}};

    /// @notice IBatchVerifier: whether ` + "`proof`" + ` (A, B, C, the commitment D and its proof of
    ///         knowledge, {{.ProofSize}} bytes as verifyProof takes them) proves the statement
    ///         ` + "`publicInput`" + `. The checks of verifyProof, its two pairing equations folded
    ///         into one by a random linear combination (ρ = keccak(proof ‖ input) mod R).
    function verifyBatch(bytes calldata proof, uint256 publicInput) external view returns (bool ok) {
        if (proof.length != {{.ProofSize}} || publicInput >= R) return false;
        // The commitment's public input, as gnark's prover derives it.
        uint256 h = uint256(keccak256(abi.encodePacked(proof[0x100:0x140]{{range .Committed}}, {{.}}{{end}}))) % R;
        uint256 rho = uint256(keccak256(abi.encodePacked(proof, publicInput))) % R;
        assembly ("memory-safe") {
            let f := mload(0x40)
            let g := add(f, 0x40)
            // L = (K0 + CONFIG·K2) + D + publicInput·K1 + h·K3, accumulated at f.
            mstore(f, FOLDED_X)
            mstore(add(f, 0x20), FOLDED_Y)
            calldatacopy(g, add(proof.offset, 0x100), 0x40)
            ok := staticcall(gas(), PRECOMPILE_ADD, f, 0x80, f, 0x40)
            mstore(g, PUB_0_X)
            mstore(add(g, 0x20), PUB_0_Y)
            mstore(add(g, 0x40), publicInput)
            ok := and(ok, staticcall(gas(), PRECOMPILE_MUL, g, 0x60, g, 0x40))
            ok := and(ok, staticcall(gas(), PRECOMPILE_ADD, f, 0x80, f, 0x40))
            mstore(g, PUB_2_X)
            mstore(add(g, 0x20), PUB_2_Y)
            mstore(add(g, 0x40), h)
            ok := and(ok, staticcall(gas(), PRECOMPILE_MUL, g, 0x60, g, 0x40))
            ok := and(ok, staticcall(gas(), PRECOMPILE_ADD, f, 0x80, f, 0x40))
            let lx := mload(f)
            let ly := mload(add(f, 0x20))

            // Six pairs of 0xc0 bytes from f: (A, B), (C, −δ), (α, −β), (L, −γ), (ρD, −σG), (ρPoK, G).
            calldatacopy(f, proof.offset, 0x100)
            mstore(add(f, 0x100), DELTA_NEG_X_1)
            mstore(add(f, 0x120), DELTA_NEG_X_0)
            mstore(add(f, 0x140), DELTA_NEG_Y_1)
            mstore(add(f, 0x160), DELTA_NEG_Y_0)
            mstore(add(f, 0x180), ALPHA_X)
            mstore(add(f, 0x1a0), ALPHA_Y)
            mstore(add(f, 0x1c0), BETA_NEG_X_1)
            mstore(add(f, 0x1e0), BETA_NEG_X_0)
            mstore(add(f, 0x200), BETA_NEG_Y_1)
            mstore(add(f, 0x220), BETA_NEG_Y_0)
            mstore(add(f, 0x240), lx)
            mstore(add(f, 0x260), ly)
            mstore(add(f, 0x280), GAMMA_NEG_X_1)
            mstore(add(f, 0x2a0), GAMMA_NEG_X_0)
            mstore(add(f, 0x2c0), GAMMA_NEG_Y_1)
            mstore(add(f, 0x2e0), GAMMA_NEG_Y_0)
            calldatacopy(add(f, 0x300), add(proof.offset, 0x100), 0x40)
            mstore(add(f, 0x340), rho)
            ok := and(ok, staticcall(gas(), PRECOMPILE_MUL, add(f, 0x300), 0x60, add(f, 0x300), 0x40))
            mstore(add(f, 0x340), PEDERSEN_GSIGMANEG_X_1)
            mstore(add(f, 0x360), PEDERSEN_GSIGMANEG_X_0)
            mstore(add(f, 0x380), PEDERSEN_GSIGMANEG_Y_1)
            mstore(add(f, 0x3a0), PEDERSEN_GSIGMANEG_Y_0)
            calldatacopy(add(f, 0x3c0), add(proof.offset, 0x140), 0x40)
            mstore(add(f, 0x400), rho)
            ok := and(ok, staticcall(gas(), PRECOMPILE_MUL, add(f, 0x3c0), 0x60, add(f, 0x3c0), 0x40))
            mstore(add(f, 0x400), PEDERSEN_G_X_1)
            mstore(add(f, 0x420), PEDERSEN_G_X_0)
            mstore(add(f, 0x440), PEDERSEN_G_Y_1)
            mstore(add(f, 0x460), PEDERSEN_G_Y_0)
            if ok {
                // Yul evaluates arguments right to left: the call first, then its output.
                ok := staticcall(gas(), PRECOMPILE_VERIFY, f, 0x480, f, 0x20)
                ok := and(ok, mload(f))
            }
        }
    }`

var verifyBatchTemplate = template.Must(template.New("verifyBatch").Parse(verifyBatchSolidity))

// renderVerifyBatch renders verifyBatch for a wrap key of two public inputs, the statement
// and the deployment's config (the wrap's Config: the allow-list root and the aggregation
// keys), with config folded into the constant point when the verifier is generated: the
// call then costs what a one-input call costs.
func renderVerifyBatch(vk groth16.VerifyingKey, config *big.Int) (string, error) {
	k, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return "", fmt.Errorf("a %T, want a BN254 verifying key", vk)
	}
	if config == nil {
		return "", errors.New("no config to fix in the verifier")
	}
	const inputs = 2
	if n := len(k.G1.K) - 1 - len(k.CommitmentKeys); n != inputs {
		return "", fmt.Errorf("the key has %d public inputs, want %d", n, inputs)
	}
	if len(k.CommitmentKeys) != 1 || len(k.PublicAndCommitmentCommitted) != 1 {
		return "", fmt.Errorf("the key has %d commitments, want 1", len(k.CommitmentKeys))
	}
	names := []string{"publicInput", "CONFIG"}
	var committed []string
	for i, c := range k.PublicAndCommitmentCommitted[0] {
		if c != i+1 || c > inputs {
			return "", fmt.Errorf("the commitment binds public inputs %v, want a prefix of the %d inputs", k.PublicAndCommitmentCommitted[0], inputs)
		}
		committed = append(committed, names[c-1])
	}
	if config.Sign() < 0 || config.Cmp(ecc.BN254.ScalarField()) >= 0 {
		return "", fmt.Errorf("a config %v outside the BN254 scalar field", config)
	}
	var p bn254.G1Affine
	p.ScalarMultiplication(&k.G1.K[2], config)
	p.Add(&p, &k.G1.K[0])
	data := struct {
		ProofSize                int
		Committed                []string
		Config, FoldedX, FoldedY string
	}{ProofSize: ProofSize, Committed: committed, Config: config.String(),
		FoldedX: p.X.BigInt(new(big.Int)).String(), FoldedY: p.Y.BigInt(new(big.Int)).String()}
	var out bytes.Buffer
	err := verifyBatchTemplate.Execute(&out, data)
	return out.String(), err
}
