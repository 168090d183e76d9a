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
///         Event mode needs nothing sent on the source: anyone calls `verifyByEvent` with a
///         packet once the Inbox holds an event claim of the source EndpointV2's PacketSent
///         log of it. A source path with no peer DVN is in event mode: its jobs are charged,
///         not sent.

/// @notice The Inbox's record of logs proven by event claims.
interface IProvenEvents {
    function provenEvents(bytes32 id) external view returns (bool);
}
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

    /// @notice EndpointV2's `event PacketSent(bytes encodedPayload, bytes options, address sendLibrary)`.
    bytes32 public constant PACKET_SENT = keccak256("PacketSent(bytes,bytes,address)");

    /// @notice The remote end of a path: the Isthmus domain of the chain of LayerZero's eid,
    ///         the DVN there (zero: event mode), its EndpointV2 (whose PacketSent logs event mode
    ///         reads; zero: no event mode), and what a packet costs on that destination.
    struct Path {
        uint32 isthmusDomain;
        address dvn;
        address endpoint;
        uint128 gasPrice; // destination gas price the fee is quoted at (wei)
        uint64 batchShareGas; // a packet's share of a batch's submitBatch gas
    }

    mapping(uint32 eid => Path) public paths;
    /// @notice PacketSent logs already verified by event, by the Inbox's event ID.
    mapping(bytes32 eventId => bool) public verifiedByEvent;
    address public owner;

    error NotSendLib(address caller);
    error NotInbox(address caller);
    error NotOwner(address caller);
    error UnknownPath(uint32 eid);
    error PathSet(uint32 eid);
    error WrongSource(uint32 srcDomain, address sender);
    error WrongDestination(uint32 dstEid);
    error BadPacketHeader(uint256 length);
    error EventNotProven(bytes32 eventId);
    error AlreadyVerified(bytes32 eventId);

    event PathLinked(uint32 indexed eid, uint32 isthmusDomain, address dvn, address endpoint);
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

    /// @notice Links the path to `eid`: the Isthmus domain of that chain, the DVN there (zero:
    ///         event mode, jobs to eid are charged and not sent; packets from eid are taken by
    ///         event only) and its EndpointV2 (zero: packets from eid are not taken by event).
    ///         Once per eid: a path cannot be pointed elsewhere after applications trust it.
    function setPath(uint32 eid, uint32 isthmusDomain, address dvn, address endpoint) external onlyOwner {
        if (paths[eid].isthmusDomain != 0) revert PathSet(eid);
        if (isthmusDomain == 0 || eid == localEid) revert UnknownPath(eid);
        paths[eid].isthmusDomain = isthmusDomain;
        paths[eid].dvn = dvn;
        paths[eid].endpoint = endpoint;
        emit PathLinked(eid, isthmusDomain, dvn, endpoint);
    }

    /// @notice Sets what a packet to `eid` is quoted at.
    function setFee(uint32 eid, uint128 gasPrice, uint64 batchShareGas) external onlyOwner {
        if (paths[eid].isthmusDomain == 0) revert UnknownPath(eid);
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
        if (p.isthmusDomain == 0) revert UnknownPath(dstEid);
        return uint256(p.gasPrice) * (uint256(p.batchShareGas) + PACKET_GAS);
    }

    /// @inheritdoc ILayerZeroDVN
    /// @dev Only the send library: anyone else could have any header verified.
    function assignJob(AssignJobParam calldata param, bytes calldata options) external payable returns (uint256 fee) {
        if (msg.sender != sendLib) revert NotSendLib(msg.sender);
        fee = getFee(param.dstEid, param.confirmations, param.sender, options);
        Path storage p = paths[param.dstEid];
        if (p.dvn == address(0)) return fee; // event mode: the destination reads PacketSent
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
        (uint32 srcEid, Path storage p) = _path(header);
        if (p.dvn == address(0) || p.dvn != sender || p.isthmusDomain != srcDomain) revert WrongSource(srcDomain, sender);
        receiveLib.verify(header, payloadHash, confirmations);
        emit PacketVerified(srcEid, keccak256(header), payloadHash);
    }

    /// @notice Where a log is on the source chain: block, transaction and log index.
    struct LogPlace {
        uint64 blockNumber;
        bytes32 blockHash;
        uint32 txIndex;
        uint32 logIndex;
    }

    /// @notice Event mode: verifies a packet (EndpointV2's encoded packet: header ‖ GUID ‖
    ///         message) once the Inbox holds an event claim of the source EndpointV2's
    ///         PacketSent log of it at `at`. Anyone may call it; the packet is final by proof,
    ///         so it is verified at the most confirmations.
    function verifyByEvent(LogPlace calldata at, bytes calldata encodedPacket, bytes calldata options, address sendLibrary)
        external
    {
        if (encodedPacket.length < 113) revert BadPacketHeader(encodedPacket.length);
        bytes memory header = encodedPacket[:81];
        (uint32 srcEid, Path storage p) = _path(header);
        if (p.endpoint == address(0)) revert UnknownPath(srcEid);
        bytes32 eventId =
            packetSentEventId(p.isthmusDomain, p.endpoint, at, keccak256(abi.encode(encodedPacket, options, sendLibrary)));
        if (!IProvenEvents(inbox).provenEvents(eventId)) revert EventNotProven(eventId);
        if (verifiedByEvent[eventId]) revert AlreadyVerified(eventId);
        verifiedByEvent[eventId] = true;
        bytes32 payloadHash = keccak256(encodedPacket[81:]);
        receiveLib.verify(header, payloadHash, type(uint64).max);
        emit PacketVerified(srcEid, keccak256(header), payloadHash);
    }

    /// @notice The Inbox's ID (Protocol.eventId) of a PacketSent log of `endpoint` on Isthmus
    ///         domain `domain` whose data hashes to `dataHash`.
    function packetSentEventId(uint32 domain, address endpoint, LogPlace calldata at, bytes32 dataHash)
        public
        pure
        returns (bytes32)
    {
        // srcDomain ‖ blockNumber ‖ blockHash ‖ txIndex ‖ logIndex ‖ emitter ‖ #topics ‖ 4 topics ‖ dataHash
        return keccak256(
            abi.encodePacked(
                domain, at.blockNumber, at.blockHash, at.txIndex, at.logIndex, endpoint, uint8(1),
                PACKET_SENT, bytes32(0), bytes32(0), bytes32(0), dataHash
            )
        );
    }

    /// @dev The path of a packet header's source, checking the header is for this chain.
    function _path(bytes memory header) private view returns (uint32 srcEid, Path storage p) {
        // PacketV1Codec: version (1) | nonce (8) | srcEid (4) | sender (32) | dstEid (4) | receiver (32)
        if (header.length != 81) revert BadPacketHeader(header.length);
        uint32 dstEid;
        assembly {
            srcEid := shr(224, mload(add(header, 41))) // 32 + 9
            dstEid := shr(224, mload(add(header, 77))) // 32 + 45
        }
        if (dstEid != localEid) revert WrongDestination(dstEid);
        p = paths[srcEid];
    }
}
