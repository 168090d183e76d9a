// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Protocol} from "../src/Protocol.sol";

/// @title TEST ONLY: exposes the Protocol library so tests can check it against golden vectors
contract ProtocolHarness {
    function messageHash(Protocol.Message calldata m) external pure returns (bytes32) {
        return Protocol.hash(m);
    }

    function accumulate(bytes32 acc, Protocol.Message[] calldata messages) external pure returns (bytes32) {
        for (uint256 i = 0; i < messages.length; ++i) {
            acc = Protocol.fold(acc, Protocol.hash(messages[i]));
        }
        return acc;
    }

    function laneClaimHash(Protocol.LaneClaim calldata c) external pure returns (bytes32) {
        return Protocol.hash(c);
    }

    function rotationClaimHash(Protocol.RotationClaim calldata c) external pure returns (bytes32) {
        return Protocol.hash(c);
    }

    function statementHash(Protocol.LaneClaim[] calldata lanes, Protocol.RotationClaim[] calldata rotations)
        external
        pure
        returns (bytes32 statement, uint256 publicInput)
    {
        statement = Protocol.statementHash(lanes, rotations);
        publicInput = Protocol.publicInput(statement);
    }
}
