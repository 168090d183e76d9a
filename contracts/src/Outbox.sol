// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Protocol} from "./Protocol.sol";

/// @title Isthmus Outbox
/// @notice Source-chain end of Isthmus. Every message sent is folded into the accumulator of
///         its lane (one lane per destination domain). The storage layout is part of the
///         protocol, since provers read it with eth_getProof; it must never change:
///
///         slot 0: mapping(uint32 dstDomain => Lane) with base = keccak256(dst . 0):
///                 base + 0: word = count (bits 0-63) | segMessages (64-95) | segGas (96-159) | segBytes (160-191)
///                 base + 1: acc
///                 base + 2 + count: the checkpoint stored when a segment closed at count
///
///         The checkpoints sit beside the lane (as a dynamic array's elements sit at a hashed
///         base), so that a circuit derives a checkpoint's storage key from the word's slot by
///         one addition: proving a checkpoint costs no more keccak than proving the head.
///
///         A checkpoint stores the accumulator at the end of a segment: before a message would
///         take the open segment past SEGMENT_MAX_MESSAGES, SEGMENT_MAX_GAS (summed gasLimit)
///         or SEGMENT_MAX_BYTES (summed packed size, PACKED_OVERHEAD + payload length), the
///         accumulator so far is stored under the current count and a new segment opens. The
///         messages between two consecutive checkpoints therefore always fit in one
///         destination transaction.
contract Outbox {
    struct Lane {
        uint64 count;
        uint32 segMessages;
        uint64 segGas;
        uint32 segBytes;
        bytes32 acc;
    }

    mapping(uint32 => Lane) private _lanes;

    /// @notice This chain's protocol domain.
    uint32 public immutable localDomain;

    /// @notice Emitted for every message, with everything needed to deliver it (the source
    ///         domain is this Outbox's localDomain) and the lane's accumulator after it: one
    ///         receipt proof of this log proves the lane at count nonce + 1 (a "lane by
    ///         receipt" claim), so every count is provable. Reverted sends leave no log.
    event MessageSent(
        uint32 indexed dstDomain,
        uint64 indexed nonce,
        bytes32 indexed acc,
        address sender,
        address recipient,
        uint64 gasLimit,
        bytes payload
    );

    /// @notice Emitted when a segment closes and its accumulator is stored.
    event Checkpoint(uint32 indexed dstDomain, uint64 count, bytes32 acc);

    error SameDomain(uint32 domain);
    error PayloadTooLarge(uint256 length, uint256 max);
    error GasLimitTooHigh(uint256 gasLimit, uint256 max);

    constructor(uint32 domain) {
        localDomain = domain;
    }

    /// @notice Sends `payload` to `recipient` on `dstDomain`; it will be called with `gasLimit`.
    /// @return nonce the message's position in its lane.
    /// @return msgHash its hash.
    function send(uint32 dstDomain, address recipient, uint64 gasLimit, bytes calldata payload)
        external
        returns (uint64 nonce, bytes32 msgHash)
    {
        if (dstDomain == localDomain) revert SameDomain(dstDomain);
        if (payload.length > Protocol.MAX_PAYLOAD) revert PayloadTooLarge(payload.length, Protocol.MAX_PAYLOAD);
        if (gasLimit > Protocol.MAX_GAS_LIMIT) revert GasLimitTooHigh(gasLimit, Protocol.MAX_GAS_LIMIT);

        Lane memory l = _lanes[dstDomain];
        nonce = l.count;
        if (
            uint256(l.segMessages) + 1 > Protocol.SEGMENT_MAX_MESSAGES
                || uint256(l.segGas) + Protocol.inlineGas(gasLimit) > Protocol.SEGMENT_MAX_GAS
                || uint256(l.segBytes) + Protocol.PACKED_OVERHEAD + payload.length > Protocol.SEGMENT_MAX_BYTES
        ) {
            bytes32 acc = l.acc;
            uint256 slot = _checkpointSlot(dstDomain, nonce);
            assembly ("memory-safe") {
                sstore(slot, acc)
            }
            emit Checkpoint(dstDomain, nonce, l.acc);
            l.segMessages = 0;
            l.segGas = 0;
            l.segBytes = 0;
        }

        msgHash = Protocol.messageHash(localDomain, dstDomain, nonce, msg.sender, recipient, gasLimit, payload);
        l.count = nonce + 1;
        l.segMessages += 1;
        l.segGas += uint64(Protocol.inlineGas(gasLimit));
        l.segBytes += uint32(Protocol.PACKED_OVERHEAD + payload.length);
        l.acc = Protocol.fold(l.acc, msgHash);
        _lanes[dstDomain] = l;

        emit MessageSent(dstDomain, nonce, l.acc, msg.sender, recipient, gasLimit, payload);
    }

    /// @notice The lane's message count and accumulator.
    function lane(uint32 dstDomain) external view returns (uint64 count, bytes32 acc) {
        Lane storage l = _lanes[dstDomain];
        return (l.count, l.acc);
    }

    /// @notice The accumulator stored when the lane's segment closed at `count` (zero if none).
    function checkpoint(uint32 dstDomain, uint64 count) external view returns (bytes32 acc) {
        uint256 slot = _checkpointSlot(dstDomain, count);
        assembly ("memory-safe") {
            acc := sload(slot)
        }
    }

    /// @dev base + 2 + count, base being the lane's slot (keccak256(dst . 0)).
    function _checkpointSlot(uint32 dstDomain, uint64 count) private pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, dstDomain)
            mstore(0x20, _lanes.slot)
            slot := add(keccak256(0x00, 0x40), add(2, count))
        }
    }
}
