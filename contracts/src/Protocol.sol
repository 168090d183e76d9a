// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Isthmus protocol encoding
/// @notice The message hash, the lane accumulator, and the batch statement, exactly as the Go
///         package `protocol` computes them. Golden vectors in testdata/protocol pin both sides.
library Protocol {
    /// @notice A cross-chain message. `msgHash = keccak256(abi.encode(fields...))`.
    struct Message {
        uint32 srcDomain;
        uint32 dstDomain;
        uint64 nonce;
        address sender;
        address recipient;
        uint64 gasLimit;
        bytes payload;
    }

    // Claim kinds: the first byte of a claim's packed encoding, so that no claim of one kind
    // hashes as another. A new kind takes the next number, a leaf circuit, a slot in the
    // aggregation's registry of verifying keys, and a rule in the Inbox.
    uint8 internal constant KIND_LANE_HEAD = 1;
    uint8 internal constant KIND_LANE_CHECKPOINT = 2;
    uint8 internal constant KIND_ROTATION = 3;
    uint8 internal constant KIND_LANE_RECEIPT = 4;
    uint8 internal constant KIND_EVENT = 5;
    // A run of a committee's keys (its sync-keys fact), recorded for a hand-over proven over
    // several batches; and such a hand-over: a rotation naming the runs of its next committee.
    uint8 internal constant KIND_KEY_RUN = 6;
    uint8 internal constant KIND_HAND_OVER = 7;

    // Header adapters: how a source domain's headers are final. An attester committee's
    // quorum (EdDSA on BLS12-377's twisted Edwards curve, the committee a Poseidon2
    // commitment), or Ethereum's sync committee (BLS12-381, the committee of a period a
    // Poseidon2 commitment of its keys, rotating every period by proof).
    uint8 internal constant ADAPTER_COMMITTEE = 0;
    uint8 internal constant ADAPTER_SYNC_COMMITTEE = 1;

    /// @notice BLS12-377's scalar field modulus r. A committee commitment is one of its
    ///         elements, and its 32 bytes are its one encoding only below r: the leaf circuits
    ///         read them modulo nothing else, and the Inbox seats no other bytes, so that a
    ///         hand-over cannot seat C + r, which passes for C in a circuit and for another
    ///         committee here (protocol.CommitmentModulus).
    uint256 internal constant COMMITMENT_MODULUS = 0x12ab655e9a2ca55660b44d1e5c37b00159aa76fed00000010a11800000000001;

    /// @notice Whether `c` can be a committee's commitment: non-zero and canonical.
    function isCommitment(bytes32 c) internal pure returns (bool) {
        return c != bytes32(0) && uint256(c) < COMMITMENT_MODULUS;
    }

    /// @notice Lengths of the packed claims, kind byte included.
    uint256 internal constant LANE_CLAIM_SIZE = 141;
    uint256 internal constant ROTATION_CLAIM_SIZE = 77;
    uint256 internal constant EVENT_CLAIM_SIZE = 266;
    uint256 internal constant KEY_RUN_CLAIM_SIZE = 33;
    /// @notice The most key runs a hand-over names: its packed claim is a rotation's 77 bytes
    ///         and 32 a run (each a sync-keys fact).
    uint256 internal constant MAX_HAND_OVER_RUNS = 64;

    /// @notice A proven fact about one lane: at `blockNumber` (hash `blockHash`) of `srcDomain`,
    ///         finalized by the committee `committee`, the Outbox `outbox` had accumulated
    ///         `acc` after `count` messages towards `dstDomain`: its head (KIND_LANE_HEAD), a
    ///         checkpoint it stored when a segment closed at `count` (KIND_LANE_CHECKPOINT), or
    ///         its MessageSent log of nonce `count - 1` in the block (KIND_LANE_RECEIPT).
    ///         Packed: kind ‖ srcDomain ‖ dstDomain ‖ outbox ‖ committee ‖ blockNumber ‖
    ///         blockHash ‖ count ‖ acc (141 bytes, big-endian).
    struct LaneClaim {
        uint8 kind;
        uint32 srcDomain;
        uint32 dstDomain;
        address outbox;
        bytes32 committee;
        uint64 blockNumber;
        bytes32 blockHash;
        uint64 count;
        bytes32 acc;
    }

    /// @notice A proven committee hand-over: the committee `committee` of `srcDomain` signed
    ///         `nextCommittee` as the commitment of epoch `nextEpoch`. Packed: kind ‖ srcDomain
    ///         ‖ committee ‖ nextEpoch ‖ nextCommittee (77 bytes).
    struct RotationClaim {
        uint32 srcDomain;
        bytes32 committee;
        uint64 nextEpoch;
        bytes32 nextCommittee;
    }

    /// @notice A proven log (KIND_EVENT): in block `blockNumber` (hash `blockHash`) of
    ///         `srcDomain`, finalized by `committee`, transaction `txIndex`'s receipt holds at
    ///         `logIndex` (its position in the receipt) a log of `emitter` with `numTopics`
    ///         topics and data of keccak256 `dataHash`. Packed: kind ‖ srcDomain ‖ committee ‖
    ///         blockNumber ‖ blockHash ‖ txIndex ‖ logIndex ‖ emitter ‖ uint8 numTopics ‖ four
    ///         topics (zero past numTopics) ‖ dataHash (266 bytes). Its ID, what the Inbox
    ///         records, leaves out the kind and the committee: eventId.

    /// @notice A claim that is not one of a known kind at its length.
    error MalformedClaim(uint256 index);

    /// @notice The start of every statement chain.
    bytes32 internal constant CHAIN_GENESIS = keccak256("isthmus.statement.chain.v1");
    /// @notice The public input keeps the statement's low 252 bits: a BLS12-377 scalar, as the
    ///         aggregation exports it, and so a BN254 one.
    uint256 internal constant PUBLIC_INPUT_MASK = (uint256(1) << 252) - 1;

    // Outbox lane segments: the Outbox stores a checkpoint of the accumulator whenever the
    // next message would take the open segment past one of these bounds, so that the
    // messages between two checkpoints always fit one destination transaction (gas, and
    // size: go-ethereum's transaction pool takes transactions of up to 128 KiB).
    //
    // Derivation (liveness rule, DESIGN §1), from the Inbox's measured worst case: every
    // recipient cold, burning its whole gasLimit and failing (the failure is stored: 22,100
    // gas), payloads of non-zero bytes. Measured on Osaka rules (contracts/liveness_test.go):
    // deliver costs ~61,300 + 32,200 a message + ~24.3 a payload byte + the summed gasLimit,
    // and needs gasLimit/63 + 40,000 more before its last call. At 128 messages, 120,000
    // packed bytes (113,344 of payload) and 8,000,000 summed gasLimit run by deliver (the
    // last at INLINE_GAS_LIMIT; a deferred message costs less than one run):
    // 14,080,174 gas used, 14,122,158 needed, under a budget of 90% of the
    // 2^24 transaction cap (15,099,494); the calldata floor of EIP-7976 (64 gas a byte)
    // is 7,707,400, and the calldata 120,100 bytes, under 128 KiB. At 256 messages the
    // same segment needed ~18.9M gas: it could never be delivered.
    uint256 internal constant SEGMENT_MAX_MESSAGES = 128;
    uint256 internal constant SEGMENT_MAX_GAS = 8_000_000;
    /// @notice Bound on the segment's packed delivery size: the sum of PACKED_OVERHEAD + payload length.
    uint256 internal constant SEGMENT_MAX_BYTES = 120_000;
    /// @notice Bytes of a packed message besides its payload: sender, recipient, gasLimit, length.
    uint256 internal constant PACKED_OVERHEAD = 52;
    /// @notice Largest `gasLimit` of one message. Alone, with a MAX_PAYLOAD payload, its worst
    ///         delivery needs 6,318,869 gas (measured): far inside the budget.
    uint256 internal constant MAX_GAS_LIMIT = 5_000_000;
    /// @notice Largest `gasLimit` that `deliver` runs with the relayer's gas. A message that
    ///         asks for more is deferred: recorded like a failed message, and run by `retry`
    ///         with the gas of whoever calls it (its sender, its recipient, a keeper). So no
    ///         sender makes a relayer spend more than this on its message, and only the gas
    ///         limits deliver runs count towards SEGMENT_MAX_GAS: a segment then closes after
    ///         at least 64 messages (8,000,000 / 125,000), so that closing one costs a sender
    ///         ~64 sends, on par with filling its SEGMENT_MAX_BYTES, instead of one.
    uint256 internal constant INLINE_GAS_LIMIT = 125_000;

    /// @notice The part of a message's gasLimit that `deliver` spends: all of it up to
    ///         INLINE_GAS_LIMIT, none above (deferred).
    function inlineGas(uint256 gasLimit) internal pure returns (uint256) {
        return gasLimit <= INLINE_GAS_LIMIT ? gasLimit : 0;
    }
    /// @notice Largest payload of one message, in bytes.
    uint256 internal constant MAX_PAYLOAD = 64 * 1024;

    /// @notice keccak256(abi.encode(srcDomain, dstDomain, nonce, sender, recipient, gasLimit, payload)).
    /// @dev Releases the memory it used, so hashing in a loop does not grow memory.
    function messageHash(
        uint32 srcDomain,
        uint32 dstDomain,
        uint64 nonce,
        address sender,
        address recipient,
        uint64 gasLimit,
        bytes calldata payload
    ) internal pure returns (bytes32 h) {
        uint256 freePtr;
        assembly ("memory-safe") {
            freePtr := mload(0x40)
        }
        h = keccak256(abi.encode(srcDomain, dstDomain, nonce, sender, recipient, gasLimit, payload));
        assembly ("memory-safe") {
            mstore(0x40, freePtr)
        }
    }

    /// @notice A packed delivery is not a sequence of whole packed messages.
    error MalformedDelivery(uint256 offset);

    /// @notice Reads the packed message at byte `p` of a delivery:
    ///         sender (20) ‖ recipient (20) ‖ gasLimit (8) ‖ payload length (4) ‖ payload.
    ///         A delivery is the lane's messages packed back to back; their nonces and domains
    ///         are implied by the lane.
    function unpack(bytes calldata data, uint256 p)
        internal
        pure
        returns (address sender, address recipient, uint64 gasLimit, bytes calldata payload, uint256 next)
    {
        if (data.length < p + PACKED_OVERHEAD) revert MalformedDelivery(p);
        sender = address(bytes20(data[p:p + 20]));
        recipient = address(bytes20(data[p + 20:p + 40]));
        gasLimit = uint64(bytes8(data[p + 40:p + 48]));
        next = p + PACKED_OVERHEAD + uint32(bytes4(data[p + 48:p + 52]));
        if (next > data.length) revert MalformedDelivery(p);
        payload = data[p + PACKED_OVERHEAD:next];
    }

    /// @notice The hash of the packed message at byte `p` of a delivery, given its lane's
    ///         domains and its nonce; `next` is where the following message starts.
    /// @dev Lays abi.encode(srcDomain, dstDomain, nonce, sender, recipient, gasLimit, payload)
    ///      out in scratch memory straight from calldata; the free memory pointer is not moved.
    function hashPacked(bytes calldata data, uint256 p, uint32 srcDomain, uint32 dstDomain, uint64 nonce)
        internal
        pure
        returns (bytes32 h, uint256 next)
    {
        if (data.length < p + PACKED_OVERHEAD) revert MalformedDelivery(p);
        uint256 len;
        assembly ("memory-safe") {
            len := shr(224, calldataload(add(data.offset, add(p, 48))))
        }
        next = p + PACKED_OVERHEAD + len;
        if (next > data.length) revert MalformedDelivery(p);
        assembly ("memory-safe") {
            let base := add(data.offset, p)
            let m := mload(0x40)
            mstore(m, srcDomain)
            mstore(add(m, 0x20), dstDomain)
            mstore(add(m, 0x40), nonce)
            mstore(add(m, 0x60), shr(96, calldataload(base)))
            mstore(add(m, 0x80), shr(96, calldataload(add(base, 20))))
            mstore(add(m, 0xa0), shr(192, calldataload(add(base, 40))))
            mstore(add(m, 0xc0), 0xe0)
            mstore(add(m, 0xe0), len)
            calldatacopy(add(m, 0x100), add(base, 52), len)
            mstore(add(add(m, 0x100), len), 0) // zero the padding
            h := keccak256(m, add(0x100, and(add(len, 31), not(31))))
        }
    }

    /// @notice The hash of a message given as calldata.
    function hash(Message calldata m) internal pure returns (bytes32) {
        return messageHash(m.srcDomain, m.dstDomain, m.nonce, m.sender, m.recipient, m.gasLimit, m.payload);
    }

    /// @notice acc_{i+1} = keccak256(acc_i ‖ msgHash_i).
    function fold(bytes32 acc, bytes32 msgHash) internal pure returns (bytes32 next) {
        assembly ("memory-safe") {
            mstore(0x00, acc)
            mstore(0x20, msgHash)
            next := keccak256(0x00, 0x40)
        }
    }

    /// @notice The kind of claim `i`, checked against its length.
    function kindOf(bytes calldata c, uint256 i) internal pure returns (uint8 kind) {
        if (c.length == 0) revert MalformedClaim(i);
        kind = uint8(c[0]);
        if (kind == KIND_LANE_HEAD || kind == KIND_LANE_CHECKPOINT || kind == KIND_LANE_RECEIPT) {
            if (c.length != LANE_CLAIM_SIZE) revert MalformedClaim(i);
        } else if (kind == KIND_ROTATION) {
            if (c.length != ROTATION_CLAIM_SIZE) revert MalformedClaim(i);
        } else if (kind == KIND_EVENT) {
            if (c.length != EVENT_CLAIM_SIZE || uint8(c[105]) > 4) revert MalformedClaim(i);
        } else if (kind == KIND_KEY_RUN) {
            if (c.length != KEY_RUN_CLAIM_SIZE) revert MalformedClaim(i);
        } else if (kind == KIND_HAND_OVER) {
            uint256 runs = (c.length - ROTATION_CLAIM_SIZE) / 32;
            if (c.length < ROTATION_CLAIM_SIZE + 32 || (c.length - ROTATION_CLAIM_SIZE) % 32 != 0 || runs > MAX_HAND_OVER_RUNS) {
                revert MalformedClaim(i);
            }
        } else {
            revert MalformedClaim(i);
        }
    }

    /// @notice Reads a packed lane claim (its kind and length checked by kindOf).
    function decodeLane(bytes calldata c) internal pure returns (LaneClaim memory l) {
        l.kind = uint8(c[0]);
        l.srcDomain = uint32(bytes4(c[1:5]));
        l.dstDomain = uint32(bytes4(c[5:9]));
        l.outbox = address(bytes20(c[9:29]));
        l.committee = bytes32(c[29:61]);
        l.blockNumber = uint64(bytes8(c[61:69]));
        l.blockHash = bytes32(c[69:101]);
        l.count = uint64(bytes8(c[101:109]));
        l.acc = bytes32(c[109:141]);
    }

    /// @notice Whether claims of `kind` are lane claims.
    function isLane(uint8 kind) internal pure returns (bool) {
        return kind == KIND_LANE_HEAD || kind == KIND_LANE_CHECKPOINT || kind == KIND_LANE_RECEIPT;
    }

    /// @notice Reads a packed rotation claim, or a hand-over's rotation fields (its kind and
    ///         length checked by kindOf).
    function decodeRotation(bytes calldata c) internal pure returns (RotationClaim memory r) {
        r.srcDomain = uint32(bytes4(c[1:5]));
        r.committee = bytes32(c[5:37]);
        r.nextEpoch = uint64(bytes8(c[37:45]));
        r.nextCommittee = bytes32(c[45:77]);
    }

    /// @notice An event claim's source domain, committee and ID (its kind and length checked
    ///         by kindOf).
    function decodeEvent(bytes calldata c) internal pure returns (uint32 srcDomain, bytes32 committee, bytes32 id) {
        srcDomain = uint32(bytes4(c[1:5]));
        committee = bytes32(c[5:37]);
        id = eventId(c);
    }

    /// @notice The ID of a packed event claim: keccak256 of it without its kind byte and
    ///         committee (srcDomain ‖ blockNumber ‖ … ‖ dataHash, 229 bytes).
    function eventId(bytes calldata c) internal pure returns (bytes32 id) {
        bytes memory b = bytes.concat(c[1:5], c[37:EVENT_CLAIM_SIZE]);
        id = keccak256(b);
    }

    /// @notice The statement a batch proves (protocol.Statement.Hash, a statement chain): from
    ///         CHAIN_GENESIS, s = keccak256(s ‖ h…) over the claims' hashes, three a step, the
    ///         last step taking what is left. It binds the claims, their order and their number.
    function statementHash(bytes[] calldata claims) internal pure returns (bytes32 s) {
        s = CHAIN_GENESIS;
        uint256 n = claims.length;
        uint256 i = 0;
        for (; i + 3 <= n; i += 3) {
            s = keccak256(abi.encodePacked(s, keccak256(claims[i]), keccak256(claims[i + 1]), keccak256(claims[i + 2])));
        }
        if (n - i == 2) {
            s = keccak256(abi.encodePacked(s, keccak256(claims[i]), keccak256(claims[i + 1])));
        } else if (n - i == 1) {
            s = keccak256(abi.encodePacked(s, keccak256(claims[i])));
        }
    }

    /// @notice The one public input of the batch proof: the statement's low 252 bits.
    function publicInput(bytes32 statement) internal pure returns (uint256) {
        return uint256(statement) & PUBLIC_INPUT_MASK;
    }
}
