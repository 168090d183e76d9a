// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Message recipient
/// @notice Contracts that receive Isthmus messages implement this. The Inbox calls it with the
///         message's gasLimit; a revert marks the message failed (retryable), never the batch.
///         Check that msg.sender is the Inbox you trust.
interface IMessageRecipient {
    function handleMessage(uint32 srcDomain, address sender, uint64 nonce, bytes calldata payload) external;
}
