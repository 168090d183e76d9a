// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IBatchVerifier} from "./IBatchVerifier.sol";

/// @notice The Groth16 verifier gnark exports for the BN254 wrap circuit (one public input:
///         the batch statement). It reverts on an invalid proof.
interface IGroth16Verifier {
    function verifyProof(bytes calldata proof, uint256[1] calldata input) external view;
}

/// @title Groth16 batch verifier
/// @notice Adapts the generated wrap-circuit verifier to IBatchVerifier: a proof is valid
///         when the generated verifier accepts it for the statement's public input.
contract Groth16BatchVerifier is IBatchVerifier {
    IGroth16Verifier public immutable groth16;

    constructor(IGroth16Verifier groth16_) {
        groth16 = groth16_;
    }

    function verifyBatch(bytes calldata proof, uint256 publicInput) external view returns (bool) {
        try groth16.verifyProof(proof, [publicInput]) {
            return true;
        } catch {
            return false;
        }
    }
}
