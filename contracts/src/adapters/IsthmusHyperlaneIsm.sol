// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AbstractMessageIdAuthorizedIsm} from "@hyperlane-xyz/core/contracts/isms/hook/AbstractMessageIdAuthorizedIsm.sol";
import {IInterchainSecurityModule} from "@hyperlane-xyz/core/contracts/interfaces/IInterchainSecurityModule.sol";
import {LibBit} from "@hyperlane-xyz/core/contracts/libs/LibBit.sol";
import {Message} from "@hyperlane-xyz/core/contracts/libs/Message.sol";
import {TypeCasts} from "@hyperlane-xyz/core/contracts/libs/TypeCasts.sol";

import {IMessageRecipient} from "../IMessageRecipient.sol";

/// @title Hyperlane ISM over an Isthmus lane
/// @notice A Hyperlane recipient that names this ISM accepts a message once the Isthmus Inbox
///         delivered its id from the IsthmusHyperlaneHook of the message's origin chain: the
///         id is in a proven state of that chain, not in a signer's word. Only the Inbox, for
///         the configured Isthmus source domain and hook, marks ids; Hyperlane's own
///         `preVerifyMessage` path is closed.
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

    error NotInbox(address caller);
    error WrongSource(uint32 srcDomain, address sender);
    error AlreadyVerified(bytes32 messageId);
    error HookSet(address hook);

    event HookLinked(address hook);

    constructor(address _inbox, uint32 _isthmusOrigin, uint32 _origin) {
        inbox = _inbox;
        isthmusOrigin = _isthmusOrigin;
        origin = _origin;
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
        bytes32 id = abi.decode(payload, (bytes32));
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
