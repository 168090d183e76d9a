// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IBatchVerifier} from "../src/IBatchVerifier.sol";

/// @title TEST ONLY: an insecure stand-in for the batch proof verifier
/// @notice Accepts a "proof" equal to keccak256("isthmus.test-only-verifier" ‖ publicInput),
///         which anyone can compute. It lets tests and the contracts-only demo exercise the
///         Inbox (a proof of another batch is still refused) until the generated Groth16
///         verifier replaces it. Never deploy it where value is at stake.
contract TestOnlyVerifier is IBatchVerifier {
    function verifyBatch(bytes calldata proof, uint256 publicInput) external pure returns (bool) {
        return proof.length == 32
            && bytes32(proof) == keccak256(abi.encodePacked("isthmus.test-only-verifier", publicInput));
    }
}
