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

    function accumulatePacked(uint32 srcDomain, uint32 dstDomain, uint64 nonce, bytes32 acc, bytes calldata data)
        external
        pure
        returns (bytes32, uint64)
    {
        for (uint256 p = 0; p < data.length; ++nonce) {
            bytes32 h;
            (h, p) = Protocol.hashPacked(data, p, srcDomain, dstDomain, nonce);
            acc = Protocol.fold(acc, h);
        }
        return (acc, nonce);
    }

    function decodeLane(bytes calldata c) external pure returns (Protocol.LaneClaim memory) {
        Protocol.kindOf(c, 0);
        return Protocol.decodeLane(c);
    }

    function decodeRotation(bytes calldata c) external pure returns (Protocol.RotationClaim memory) {
        Protocol.kindOf(c, 0);
        return Protocol.decodeRotation(c);
    }

    function decodeEvent(bytes calldata c) external pure returns (uint32 srcDomain, bytes32 committee, bytes32 id) {
        Protocol.kindOf(c, 0);
        return Protocol.decodeEvent(c);
    }

    function kindOf(bytes calldata c) external pure returns (uint8) {
        return Protocol.kindOf(c, 0);
    }

    function statementHash(bytes[] calldata claims) external pure returns (bytes32 statement, uint256 publicInput) {
        statement = Protocol.statementHash(claims);
        publicInput = Protocol.publicInput(statement);
    }
}
