// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Batch proof verifier
/// @notice What the Inbox asks of a verifier: does `proof` attest the batch statement whose
///         public input is `publicInput` (Protocol.publicInput of the statement hash)?
interface IBatchVerifier {
    function verifyBatch(bytes calldata proof, uint256 publicInput) external view returns (bool);
}
