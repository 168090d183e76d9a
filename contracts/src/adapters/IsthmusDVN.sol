// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILayerZeroDVN} from "@layerzerolabs/lz-evm-messagelib-v2/contracts/uln/interfaces/ILayerZeroDVN.sol";
import {IReceiveUlnE2} from "@layerzerolabs/lz-evm-messagelib-v2/contracts/uln/interfaces/IReceiveUlnE2.sol";

import {IMessageRecipient} from "../IMessageRecipient.sol";
import {Outbox} from "../Outbox.sol";

/// @notice The fee withdrawal of LayerZero's send libraries (SendLibBaseE2.withdrawFee).
interface ISendLibFees {
    function withdrawFee(address to, uint256 amount) external;
}

/// @title LayerZero v2 DVN over Isthmus lanes
/// @notice One contract per chain, as LayerZero's DVNs. On a source chain its send library
///         (SendUln302) assigns it each packet of the OApps that name it in their ULN config;
///         it sends the packet's header and payload hash through the Isthmus Outbox to its
///         peer DVN on the destination chain. There the Isthmus Inbox delivers them once a
///         proof of the source chain's state holds them, and the peer calls
///         `ReceiveUln302.verify`: the packet is verified by the source chain's own state,
///         not by an RPC node's word. `commitVerification` and `lzReceive` stay permissionless
///         as LayerZero made them.
contract IsthmusDVN is ILayerZeroDVN, IMessageRecipient {
    /// @notice The Isthmus Outbox of this chain (zero where it is only a destination).
    Outbox public immutable outbox;
    /// @notice The Isthmus Inbox of this chain (zero where it is only a source).
    address public immutable inbox;
    /// @notice The send library allowed to assign jobs (zero where only a destination).
    address public immutable sendLib;
    /// @notice The receive library this DVN verifies packets in (zero where only a source).
    IReceiveUlnE2 public immutable receiveLib;
    /// @notice LayerZero's endpoint id of this chain.
    uint32 public immutable localEid;

    /// @notice Gas the Inbox gives handleMessage, which calls ReceiveUln302.verify.
    uint64 public constant VERIFY_GAS = 100_000;
    /// @notice Destination gas a packet costs besides its share of a batch: the Inbox's
    ///         delivery of it, verify included (measured by TestLayerZeroPacketThroughIsthmus).
    uint64 public constant PACKET_GAS = 140_000;

    /// @notice The remote end of a path: the Isthmus domain of the chain of LayerZero's eid,
    ///         the DVN there, and what a packet costs on that destination.
    struct Path {
        uint32 isthmusDomain;
        address dvn;
        uint128 gasPrice; // destination gas price the fee is quoted at (wei)
        uint64 batchShareGas; // a packet's share of a batch's submitBatch gas
    }

    mapping(uint32 eid => Path) public paths;
    address public owner;

    error NotSendLib(address caller);
    error NotInbox(address caller);
    error NotOwner(address caller);
    error UnknownPath(uint32 eid);
    error PathSet(uint32 eid);
    error WrongSource(uint32 srcDomain, address sender);
    error WrongDestination(uint32 dstEid);
    error BadPacketHeader(uint256 length);

    event PathLinked(uint32 indexed eid, uint32 isthmusDomain, address dvn);
    event FeeSet(uint32 indexed eid, uint128 gasPrice, uint64 batchShareGas);
    event OwnerSet(address owner);
    event PacketSent(uint32 indexed dstEid, bytes32 indexed headerHash, bytes32 payloadHash, uint64 isthmusNonce);
    event PacketVerified(uint32 indexed srcEid, bytes32 indexed headerHash, bytes32 payloadHash);

    constructor(Outbox _outbox, address _inbox, address _sendLib, IReceiveUlnE2 _receiveLib, uint32 _localEid, address _owner) {
        outbox = _outbox;
        inbox = _inbox;
        sendLib = _sendLib;
        receiveLib = _receiveLib;
        localEid = _localEid;
        owner = _owner;
        emit OwnerSet(_owner);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Links the path to `eid`: the Isthmus domain of that chain and the DVN there.
    ///         Once per eid: a path cannot be pointed elsewhere after applications trust it.
    function setPath(uint32 eid, uint32 isthmusDomain, address dvn) external onlyOwner {
        if (paths[eid].dvn != address(0)) revert PathSet(eid);
        if (dvn == address(0) || isthmusDomain == 0 || eid == localEid) revert UnknownPath(eid);
        paths[eid].isthmusDomain = isthmusDomain;
        paths[eid].dvn = dvn;
        emit PathLinked(eid, isthmusDomain, dvn);
    }

    /// @notice Sets what a packet to `eid` is quoted at.
    function setFee(uint32 eid, uint128 gasPrice, uint64 batchShareGas) external onlyOwner {
        if (paths[eid].dvn == address(0)) revert UnknownPath(eid);
        paths[eid].gasPrice = gasPrice;
        paths[eid].batchShareGas = batchShareGas;
        emit FeeSet(eid, gasPrice, batchShareGas);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        owner = newOwner;
        emit OwnerSet(newOwner);
    }

    /// @notice Withdraws the fees the send library holds for this DVN.
    function withdrawFee(address to, uint256 amount) external onlyOwner {
        ISendLibFees(sendLib).withdrawFee(to, amount);
    }

    // ---------------------------------------------------------------- source side

    /// @inheritdoc ILayerZeroDVN
    function getFee(uint32 dstEid, uint64, address, bytes calldata) public view returns (uint256) {
        Path storage p = paths[dstEid];
        if (p.dvn == address(0)) revert UnknownPath(dstEid);
        return uint256(p.gasPrice) * (uint256(p.batchShareGas) + PACKET_GAS);
    }

    /// @inheritdoc ILayerZeroDVN
    /// @dev Only the send library: anyone else could have any header verified.
    function assignJob(AssignJobParam calldata param, bytes calldata options) external payable returns (uint256 fee) {
        if (msg.sender != sendLib) revert NotSendLib(msg.sender);
        fee = getFee(param.dstEid, param.confirmations, param.sender, options);
        Path storage p = paths[param.dstEid];
        (uint64 nonce,) =
            outbox.send(p.isthmusDomain, p.dvn, VERIFY_GAS, abi.encode(param.packetHeader, param.payloadHash, param.confirmations));
        emit PacketSent(param.dstEid, keccak256(param.packetHeader), param.payloadHash, nonce);
    }

    // ----------------------------------------------------------- destination side

    /// @notice The Inbox delivers a packet the peer DVN sent through the Isthmus lane; this
    ///         DVN verifies it in the receive library.
    function handleMessage(uint32 srcDomain, address sender, uint64, bytes calldata payload) external {
        if (msg.sender != inbox) revert NotInbox(msg.sender);
        (bytes memory header, bytes32 payloadHash, uint64 confirmations) = abi.decode(payload, (bytes, bytes32, uint64));
        // PacketV1Codec: version (1) | nonce (8) | srcEid (4) | sender (32) | dstEid (4) | receiver (32)
        if (header.length != 81) revert BadPacketHeader(header.length);
        uint32 srcEid;
        uint32 dstEid;
        assembly {
            srcEid := shr(224, mload(add(header, 41))) // 32 + 9
            dstEid := shr(224, mload(add(header, 77))) // 32 + 45
        }
        Path storage p = paths[srcEid];
        if (p.dvn == address(0) || p.dvn != sender || p.isthmusDomain != srcDomain) revert WrongSource(srcDomain, sender);
        if (dstEid != localEid) revert WrongDestination(dstEid);
        receiveLib.verify(header, payloadHash, confirmations);
        emit PacketVerified(srcEid, keccak256(header), payloadHash);
    }
}
