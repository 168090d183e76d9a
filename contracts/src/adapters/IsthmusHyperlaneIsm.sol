// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AbstractMessageIdAuthorizedIsm} from "@hyperlane-xyz/core/contracts/isms/hook/AbstractMessageIdAuthorizedIsm.sol";
import {IInterchainSecurityModule} from "@hyperlane-xyz/core/contracts/interfaces/IInterchainSecurityModule.sol";
import {LibBit} from "@hyperlane-xyz/core/contracts/libs/LibBit.sol";
import {Message} from "@hyperlane-xyz/core/contracts/libs/Message.sol";
import {TypeCasts} from "@hyperlane-xyz/core/contracts/libs/TypeCasts.sol";

import {IMessageRecipient} from "../IMessageRecipient.sol";

/// @notice The Inbox's record of logs proven by event claims.
interface IProvenEvents {
    function provenEvents(bytes32 id) external view returns (bool);
}

/// @title Hyperlane ISM over an Isthmus lane
/// @notice A Hyperlane recipient that names this ISM accepts a message once the Isthmus Inbox
///         delivered its id from the IsthmusHyperlaneHook of the message's origin chain: the
///         id is in a proven state of that chain, not in a signer's word. Only the Inbox, for
///         the configured Isthmus source domain and hook, marks ids; Hyperlane's own
///         `preVerifyMessage` path is closed.
///         Event mode needs no hook: anyone marks a message's id with `verifyByEvent` once the
///         Inbox holds an event claim of the origin Mailbox's `DispatchId` log of it.
contract IsthmusHyperlaneIsm is AbstractMessageIdAuthorizedIsm, IMessageRecipient {
    using LibBit for uint256;
    using Message for bytes;

    /// @notice The Isthmus Inbox of this chain.
    address public immutable inbox;
    /// @notice The Isthmus domain of the origin chain, and its hook there (set once, by the
    ///         deployer, after the hook is deployed with this ISM's address).
    uint32 public immutable isthmusOrigin;
    address public hook;
    address private immutable deployer;
    /// @notice The Hyperlane domain of the origin chain: messages from another are refused.
    uint32 public immutable origin;
    /// @notice The origin chain's Hyperlane Mailbox, whose DispatchId logs event mode reads.
    address public immutable originMailbox;
    /// @notice Mailbox's `event DispatchId(bytes32 indexed messageId)`.
    bytes32 public constant DISPATCH_ID = keccak256("DispatchId(bytes32)");

    error NotInbox(address caller);
    error WrongSource(uint32 srcDomain, address sender);
    error AlreadyVerified(bytes32 messageId);
    error HookSet(address hook);
    error EventNotProven(bytes32 eventId);

    event HookLinked(address hook);

    constructor(address _inbox, uint32 _isthmusOrigin, uint32 _origin, address _originMailbox) {
        inbox = _inbox;
        isthmusOrigin = _isthmusOrigin;
        origin = _origin;
        originMailbox = _originMailbox;
        deployer = msg.sender;
        _disableInitializers(); // Hyperlane's setAuthorizedHook stays closed: setHook instead
    }

    /// @notice Names the hook on the origin chain whose ids this ISM takes: once, by the
    ///         deployer.
    function setHook(address _hook) external {
        if (msg.sender != deployer || hook != address(0) || _hook == address(0)) revert HookSet(hook);
        hook = _hook;
        authorizedHook = TypeCasts.addressToBytes32(_hook);
        emit HookLinked(_hook);
    }

    function moduleType() external pure returns (uint8) {
        return uint8(IInterchainSecurityModule.Types.NULL);
    }

    /// @notice The Inbox delivers a message id the hook sent through the Isthmus lane.
    function handleMessage(uint32 srcDomain, address sender, uint64, bytes calldata payload) external {
        if (msg.sender != inbox) revert NotInbox(msg.sender);
        if (srcDomain != isthmusOrigin || sender != hook || sender == address(0)) revert WrongSource(srcDomain, sender);
        _markVerified(abi.decode(payload, (bytes32)));
    }

    /// @notice Event mode: marks `messageId` verified once the Inbox holds an event claim of
    ///         the origin Mailbox's DispatchId log of it, at the given place (block, transaction
    ///         and log index of the origin chain). Anyone may call it.
    function verifyByEvent(uint64 blockNumber, bytes32 blockHash, uint32 txIndex, uint32 logIndex, bytes32 messageId) external {
        bytes32 eventId = dispatchEventId(blockNumber, blockHash, txIndex, logIndex, messageId);
        if (!IProvenEvents(inbox).provenEvents(eventId)) revert EventNotProven(eventId);
        _markVerified(messageId);
    }

    /// @notice The Inbox's ID (Protocol.eventId) of a DispatchId log of the origin Mailbox.
    function dispatchEventId(uint64 blockNumber, bytes32 blockHash, uint32 txIndex, uint32 logIndex, bytes32 messageId)
        public
        view
        returns (bytes32)
    {
        // srcDomain ‖ blockNumber ‖ blockHash ‖ txIndex ‖ logIndex ‖ emitter ‖ #topics ‖ 4 topics ‖ dataHash
        return keccak256(
            abi.encodePacked(
                isthmusOrigin, blockNumber, blockHash, txIndex, logIndex, originMailbox, uint8(2),
                DISPATCH_ID, messageId, bytes32(0), bytes32(0), keccak256("")
            )
        );
    }

    function _markVerified(bytes32 id) private {
        if (verifiedMessages[id] != 0) revert AlreadyVerified(id);
        verifiedMessages[id] = uint256(0).setBit(VERIFIED_MASK_INDEX);
        emit ReceivedMessage(id, 0);
    }

    /// @notice A message of the configured origin whose id the Inbox delivered.
    ///         The metadata is unused (module type NULL).
    function verify(bytes calldata, bytes calldata message) external view override returns (bool) {
        return message.origin() == origin && isVerified(message);
    }

    /// @dev Nobody calls preVerifyMessage: ids come through the Inbox only.
    function _isAuthorized() internal pure override returns (bool) {
        return false;
    }
}
