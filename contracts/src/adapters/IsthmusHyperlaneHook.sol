// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AbstractMessageIdAuthHook} from "@hyperlane-xyz/core/contracts/hooks/libs/AbstractMessageIdAuthHook.sol";
import {StandardHookMetadata} from "@hyperlane-xyz/core/contracts/hooks/libs/StandardHookMetadata.sol";
import {Message} from "@hyperlane-xyz/core/contracts/libs/Message.sol";
import {TypeCasts} from "@hyperlane-xyz/core/contracts/libs/TypeCasts.sol";

import {Outbox} from "../Outbox.sol";

/// @title Hyperlane post-dispatch hook over an Isthmus lane
/// @notice Set on a Hyperlane Mailbox (as its required or default hook, or by a sender), it
///         sends the id of each message the Mailbox dispatches to `destinationDomain` through
///         the Isthmus Outbox to the IsthmusHyperlaneIsm on the destination chain. There the
///         Isthmus Inbox delivers the id once a proof of this chain's state holds it, and the
///         ISM accepts the message: the pattern of Hyperlane's hook-based ISMs (OP Stack,
///         Arbitrum), so Hyperlane's relayer needs no new metadata. Isthmus carries no value:
///         a dispatch asking the hook to forward msg.value is refused.
contract IsthmusHyperlaneHook is AbstractMessageIdAuthHook {
    using StandardHookMetadata for bytes;
    using Message for bytes;

    /// @notice The Isthmus Outbox of this chain.
    Outbox public immutable outbox;
    /// @notice The Isthmus domain of the destination chain (Hyperlane's `destinationDomain`
    ///         numbers the same chain in Hyperlane's registry).
    uint32 public immutable isthmusDestination;
    /// @notice Gas the Inbox gives the ISM's handleMessage.
    uint64 public constant HANDLE_GAS = 60_000;

    error ValueNotCarried(uint256 msgValue);

    constructor(address mailbox, uint32 destinationDomain, address ism, Outbox _outbox, uint32 _isthmusDestination)
        AbstractMessageIdAuthHook(mailbox, destinationDomain, TypeCasts.addressToBytes32(ism))
    {
        outbox = _outbox;
        isthmusDestination = _isthmusDestination;
    }

    /// @dev Isthmus charges no fee: the relayer is paid by the lane's operator, not per message.
    function _quoteDispatch(bytes calldata, bytes calldata) internal pure override returns (uint256) {
        return 0;
    }

    function _sendMessageId(bytes calldata metadata, bytes calldata message) internal override {
        uint256 value = metadata.msgValue(0);
        if (value != 0) revert ValueNotCarried(value);
        outbox.send(isthmusDestination, TypeCasts.bytes32ToAddress(ism), HANDLE_GAS, abi.encode(message.id()));
    }
}
