// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Protocol} from "./Protocol.sol";
import {IBatchVerifier} from "./IBatchVerifier.sol";
import {IMessageRecipient} from "./IMessageRecipient.sol";

/// @title Isthmus Inbox
/// @notice Destination-chain end of Isthmus. `submitBatch` accepts a batch proof of typed
///         claims (Protocol: lane heads, lane checkpoints, committee rotations) and applies
///         them in order; `deliver` accepts exactly the messages that rebuild a proven count
///         from the delivered state, in order, once.
///
///         Rules for a lane claim, besides the proof: its lane ends here, it names the domain's
///         Outbox and its current committee. A head's block is not older than the newest head
///         proven; a checkpoint is accepted at any block (it never changes once written), so
///         a long span can always be cut where a delivery must end. `deriveCheckpoint` proves
///         a segment end from the next proven count by the hashes of the messages between. A claim at or below the
///         delivered count, or repeating a proven count with its accumulator, changes nothing
///         and is skipped (a rotation may travel with the lane's unchanged head); so is every
///         lane claim of a paused domain. One that gives another accumulator for a proven
///         count is a proven contradiction: the domain is frozen and nothing else in the
///         batch takes effect. A rotation applies to a paused domain too, which stays paused:
///         after a contradiction the committee's hand-over (or the owner's re-seat) replaces
///         it, and the owner unpauses when satisfied.
///
///         A lane by receipt (the Outbox's MessageSent log of the count's last message) is
///         taken like a checkpoint, at any block: such a log never changes, and every count
///         has one. An event claim (any contract's log) from a known domain under its current
///         committee is recorded by its ID (Protocol.eventId) for consumer contracts to check
///         with `provenEvents`; those of a paused domain are skipped.
///
///         A hand-over whose next committee is too large for one batch (Ethereum's 512
///         members) is proven over several: each earlier batch proves runs of the next
///         committee's keys (KIND_KEY_RUN, facts about keys alone, recorded in
///         `provenKeyRuns`), and the last one a rotation naming its runs (KIND_HAND_OVER),
///         taken as a rotation once every run it names is recorded.
///
///         A recipient cannot enter `deliver` or `retry` again from its own delivery (a
///         transient lock), and a recipient without code counts as failed, retriable.
contract Inbox {
    /// @notice Per source domain state.
    struct Domain {
        bytes32 committee; // trusted committee commitment
        address outbox; // the source Outbox; zero while the domain is unknown
        uint64 epoch; // committee epoch (a sync committee's: its period)
        bool paused; // frozen by the guardian or by a proven contradiction
        uint8 adapter; // how the source's headers are final: Protocol.ADAPTER_*
        uint64 provenCount; // highest proven count
        uint64 provenBlock; // newest block a lane head was proven at
        uint64 deliveredCount; // messages delivered so far
        bytes32 deliveredAcc; // accumulator of the delivered messages
        uint64 rateCapacity; // most messages in one burst; zero for no limit
        uint32 rateWindow; // seconds to refill from empty to full
        uint64 rateAvailable;
        uint64 rateUpdated;
    }

    /// @notice Least delay before a proposed verifier can be activated.
    uint256 public constant MIN_UPGRADE_DELAY = 1 days;
    /// @notice Gas kept back around each recipient call, to record a failure.
    uint256 public constant EXECUTION_RESERVE = 40_000;

    uint32 public immutable localDomain;
    uint256 public immutable upgradeDelay;

    address public owner;
    address public guardian;
    // One slot: submitBatch reads both.
    IBatchVerifier public verifier;
    bool public paused;
    IBatchVerifier public pendingVerifier;
    uint256 public pendingVerifierReadyAt;

    mapping(uint32 => Domain) private _domains;
    mapping(uint32 => mapping(uint64 => bytes32)) private _proven;
    /// @notice Messages awaiting `retry`: those whose execution failed, and those deferred for
    ///         a gasLimit above Protocol.INLINE_GAS_LIMIT.
    mapping(bytes32 => bool) public failed;
    /// @notice Contradicting claims that froze a domain once, by hash: they cannot freeze it
    ///         again after the owner restores it.
    mapping(bytes32 => bool) public contradictionSeen;
    /// @notice Logs proven by event claims, by ID (Protocol.eventId): a consumer contract (a
    ///         DVN, an ISM) computes the ID of the log it expects and checks it here.
    mapping(bytes32 => bool) public provenEvents;
    /// @notice Runs of committees' keys proven by key-run claims, by their sync-keys fact: a
    ///         hand-over names the runs of its next committee.
    mapping(bytes32 => bool) public provenKeyRuns;
    /// @notice A committee the owner re-seats after the upgrade delay (e.g. after a proven
    ///         contradiction), by source domain.
    mapping(uint32 => PendingCommittee) public pendingCommittee;

    struct PendingCommittee {
        bytes32 committee;
        uint64 epoch;
        uint64 readyAt;
    }

    /// @dev Set while `deliver` or `retry` runs: a recipient cannot enter either again, so it
    ///      cannot run a later delivery before the rest of its own.
    bool private transient _entered;

    event BatchAccepted(bytes32 indexed statement, uint256 lanes, uint256 rotations);
    event CheckpointProven(uint32 indexed srcDomain, uint64 count, bytes32 acc, uint64 blockNumber);
    event ClaimSkipped(uint32 indexed srcDomain, uint64 count);
    event CheckpointDerived(uint32 indexed srcDomain, uint64 count, bytes32 acc, uint64 fromCount);
    event EventProven(uint32 indexed srcDomain, bytes32 indexed id);
    event EventSkipped(uint32 indexed srcDomain, bytes32 indexed id);
    event KeyRunProven(bytes32 indexed fact);
    event CommitteeRotated(uint32 indexed srcDomain, uint64 epoch, bytes32 committee);
    event ContradictionDetected(uint32 indexed srcDomain, uint64 count, bytes32 provenAcc, bytes32 claimedAcc);
    event Delivered(uint32 indexed srcDomain, uint64 fromCount, uint64 toCount, bytes32 acc);
    event MessageFailed(uint32 indexed srcDomain, uint64 indexed nonce, bytes32 msgHash);
    event MessageDeferred(uint32 indexed srcDomain, uint64 indexed nonce, bytes32 msgHash);
    event MessageRetried(uint32 indexed srcDomain, uint64 indexed nonce, bytes32 msgHash);
    event DomainAdded(uint32 indexed srcDomain, address outbox, uint8 adapter, bytes32 committee, uint64 epoch);
    event DomainPaused(uint32 indexed srcDomain, bool paused);
    event Paused(bool paused);
    event RateLimitSet(uint32 indexed srcDomain, uint64 capacity, uint32 window);
    event CommitteeProposed(uint32 indexed srcDomain, bytes32 committee, uint64 epoch, uint256 readyAt);
    event CommitteeCancelled(uint32 indexed srcDomain, bytes32 committee);
    event VerifierProposed(address verifier, uint256 readyAt);
    event VerifierCancelled(address verifier);
    event VerifierActivated(address verifier);
    event GuardianSet(address guardian);
    event OwnershipTransferred(address owner);

    error Unauthorized(address caller);
    error IsPaused();
    error UnknownDomain(uint32 srcDomain);
    error DomainExists(uint32 srcDomain);
    error DomainIsPaused(uint32 srcDomain);
    error InvalidConfig();
    error EmptyBatch();
    error InvalidProof(bytes32 statement);
    error WrongDestination(uint32 dstDomain);
    error WrongOutbox(address outbox);
    error WrongCommittee(bytes32 committee);
    error WrongEpoch(uint64 expected, uint64 got);
    error UnknownKeyRun(bytes32 fact);
    error BlockNotForward(uint64 blockNumber, uint64 provenBlock);
    error AlreadyProven(uint64 count);
    error EmptyDelivery();
    error EmptyDerivation();
    error NotProven(uint64 count);
    error AccumulatorMismatch(uint64 count, bytes32 proven, bytes32 computed);
    error RateLimited(uint256 requested, uint256 available);
    error InsufficientGas(uint64 nonce);
    error NotFailed(bytes32 msgHash);
    error RetryFailed(bytes32 msgHash);
    error NoPendingVerifier();
    error NoPendingCommittee(uint32 srcDomain);
    error UpgradeNotReady(uint256 readyAt);
    error Reentrant();
    error NonCanonicalCommittee(bytes32 committee);

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    modifier onlyOwnerOrGuardian() {
        if (msg.sender != owner && msg.sender != guardian) revert Unauthorized(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert IsPaused();
        _;
    }

    modifier nonReentrant() {
        if (_entered) revert Reentrant();
        _entered = true;
        _;
        _entered = false;
    }

    constructor(uint32 localDomain_, IBatchVerifier verifier_, address owner_, address guardian_, uint256 upgradeDelay_) {
        if (address(verifier_) == address(0) || owner_ == address(0) || upgradeDelay_ < MIN_UPGRADE_DELAY) {
            revert InvalidConfig();
        }
        localDomain = localDomain_;
        verifier = verifier_;
        owner = owner_;
        guardian = guardian_;
        upgradeDelay = upgradeDelay_;
    }

    // ---------------------------------------------------------------- batches

    /// @notice Verifies a batch proof over `claims` (packed, kind first: Protocol) and applies
    ///         them in order.
    function submitBatch(bytes calldata proof, bytes[] calldata claims) external whenNotPaused {
        if (claims.length == 0) revert EmptyBatch();
        for (uint256 i = 0; i < claims.length; ++i) {
            Protocol.kindOf(claims[i], i);
        }
        bytes32 statement = Protocol.statementHash(claims);
        if (!verifier.verifyBatch(proof, Protocol.publicInput(statement))) revert InvalidProof(statement);

        // A proven contradiction freezes its domain; nothing else of the batch is taken. Only a
        // claim about this very lane, under the committee trusted now, is evidence: a valid
        // proof of another lane (another destination, another Outbox) must not freeze this one.
        bool contradiction;
        for (uint256 i = 0; i < claims.length; ++i) {
            uint8 kind = uint8(claims[i][0]);
            if (!Protocol.isLane(kind)) continue;
            Protocol.LaneClaim memory c = Protocol.decodeLane(claims[i]);
            Domain storage d = _domains[c.srcDomain];
            if (c.dstDomain != localDomain || c.outbox != d.outbox || c.committee != d.committee) continue;
            bytes32 proven = _proven[c.srcDomain][c.count];
            if (proven != bytes32(0) && proven != c.acc) {
                // The same evidence freezes once: after the owner restores the domain it is a
                // refused claim (AlreadyProven), not a new freeze.
                bytes32 evidence = keccak256(abi.encode(c.srcDomain, c.count, c.committee, c.acc));
                if (contradictionSeen[evidence]) continue;
                contradictionSeen[evidence] = true;
                d.paused = true;
                emit ContradictionDetected(c.srcDomain, c.count, proven, c.acc);
                emit DomainPaused(c.srcDomain, true);
                contradiction = true;
            }
        }
        if (contradiction) return;

        uint256 rotations;
        for (uint256 i = 0; i < claims.length; ++i) {
            uint8 kind = uint8(claims[i][0]);
            if (kind == Protocol.KIND_ROTATION) {
                _rotate(Protocol.decodeRotation(claims[i]));
                ++rotations;
            } else if (kind == Protocol.KIND_HAND_OVER) {
                _handOver(claims[i]);
                ++rotations;
            } else if (kind == Protocol.KIND_EVENT) {
                _recordEvent(claims[i]);
            } else if (kind == Protocol.KIND_KEY_RUN) {
                bytes32 fact = bytes32(claims[i][1:33]);
                if (!provenKeyRuns[fact]) {
                    provenKeyRuns[fact] = true;
                    emit KeyRunProven(fact);
                }
            } else {
                _prove(Protocol.decodeLane(claims[i]));
            }
        }
        emit BatchAccepted(statement, claims.length - rotations, rotations);
    }

    function _recordEvent(bytes calldata claim) private {
        (uint32 srcDomain, bytes32 committee, bytes32 id) = Protocol.decodeEvent(claim);
        Domain storage d = _domains[srcDomain];
        if (d.outbox == address(0)) revert UnknownDomain(srcDomain);
        if (committee != d.committee) revert WrongCommittee(committee);
        if (d.paused || provenEvents[id]) {
            emit EventSkipped(srcDomain, id);
            return;
        }
        provenEvents[id] = true;
        emit EventProven(srcDomain, id);
    }

    /// @dev A hand-over is a rotation once every key run it names is recorded.
    function _handOver(bytes calldata claim) private {
        for (uint256 p = Protocol.ROTATION_CLAIM_SIZE; p < claim.length; p += 32) {
            bytes32 fact = bytes32(claim[p:p + 32]);
            if (!provenKeyRuns[fact]) revert UnknownKeyRun(fact);
        }
        _rotate(Protocol.decodeRotation(claim));
    }

    function _rotate(Protocol.RotationClaim memory r) private {
        Domain storage d = _domains[r.srcDomain];
        if (d.outbox == address(0)) revert UnknownDomain(r.srcDomain);
        if (r.committee != d.committee) revert WrongCommittee(r.committee);
        if (r.nextEpoch != d.epoch + 1) revert WrongEpoch(d.epoch + 1, r.nextEpoch);
        if (!Protocol.isCommitment(r.nextCommittee)) revert NonCanonicalCommittee(r.nextCommittee);
        d.committee = r.nextCommittee;
        d.epoch = r.nextEpoch;
        emit CommitteeRotated(r.srcDomain, r.nextEpoch, r.nextCommittee);
    }

    function _prove(Protocol.LaneClaim memory c) private {
        Domain storage d = _domains[c.srcDomain];
        if (d.outbox == address(0)) revert UnknownDomain(c.srcDomain);
        if (c.dstDomain != localDomain) revert WrongDestination(c.dstDomain);
        if (c.outbox != d.outbox) revert WrongOutbox(c.outbox);
        if (c.committee != d.committee) revert WrongCommittee(c.committee);
        bytes32 proven = _proven[c.srcDomain][c.count];
        if (proven != bytes32(0) && proven != c.acc) revert AlreadyProven(c.count);
        if (d.paused || c.count <= d.deliveredCount || proven != bytes32(0)) {
            emit ClaimSkipped(c.srcDomain, c.count);
            return;
        }
        if (c.kind == Protocol.KIND_LANE_HEAD) {
            if (c.blockNumber < d.provenBlock) revert BlockNotForward(c.blockNumber, d.provenBlock);
            d.provenBlock = c.blockNumber;
        }
        _proven[c.srcDomain][c.count] = c.acc;
        if (c.count > d.provenCount) d.provenCount = c.count;
        emit CheckpointProven(c.srcDomain, c.count, c.acc, c.blockNumber);
    }

    /// @notice Proves the lane's accumulator at `count` from a later proven count: `hashes`
    ///         are the hashes of the lane's messages `count`, `count + 1`, … whose fold from
    ///         `acc` lands on the accumulator proven at `count + hashes.length`. Keccak's
    ///         collision resistance makes `acc` the lane's accumulator at `count`, so it is
    ///         recorded as proven and a delivery can end there. One proven count thus proves
    ///         every segment end below it, each from the next at the cost of one segment's
    ///         hashes (at most Protocol.SEGMENT_MAX_MESSAGES): a sender who closes many segments
    ///         costs the relayer one such call a segment, not a batch proof. Anyone may call
    ///         it. A count at or below the delivered one, or proven already with `acc`, is
    ///         skipped; one proven with another accumulator is refused (two proofs disagree).
    function deriveCheckpoint(uint32 srcDomain, uint64 count, bytes32 acc, bytes32[] calldata hashes) external whenNotPaused {
        Domain storage d = _knownDomain(srcDomain);
        if (hashes.length == 0) revert EmptyDerivation();
        bytes32 a = acc;
        for (uint256 i = 0; i < hashes.length; ++i) {
            a = Protocol.fold(a, hashes[i]);
        }
        uint64 to = count + uint64(hashes.length);
        bytes32 target = _proven[srcDomain][to];
        if (target == bytes32(0)) revert NotProven(to);
        if (target != a) revert AccumulatorMismatch(to, target, a);
        bytes32 proven = _proven[srcDomain][count];
        if (proven != bytes32(0) && proven != acc) revert AlreadyProven(count);
        if (count <= d.deliveredCount || proven != bytes32(0)) {
            emit ClaimSkipped(srcDomain, count);
            return;
        }
        _proven[srcDomain][count] = acc;
        emit CheckpointDerived(srcDomain, count, acc, to);
    }

    // ---------------------------------------------------------------- delivery

    /// @notice Delivers the next messages of `srcDomain`'s lane, packed back to back (see
    ///         Protocol.unpack; nonces follow the delivered count). They must continue the
    ///         delivered state and end exactly on a proven checkpoint. Each is executed with its
    ///         gasLimit; a failing recipient marks its message for `retry` and the rest go on.
    function deliver(uint32 srcDomain, bytes calldata messages) external whenNotPaused nonReentrant {
        if (messages.length == 0) revert EmptyDelivery();
        Domain storage d = _knownDomain(srcDomain);

        uint64 from = d.deliveredCount;
        uint64 count = from;
        bytes32 acc = d.deliveredAcc;
        for (uint256 p = 0; p < messages.length; ++count) {
            bytes32 h;
            (h, p) = Protocol.hashPacked(messages, p, srcDomain, localDomain, count);
            acc = Protocol.fold(acc, h);
        }
        bytes32 proven = _proven[srcDomain][count];
        if (proven == bytes32(0)) revert NotProven(count);
        if (proven != acc) revert AccumulatorMismatch(count, proven, acc);

        _consumeRateLimit(d, count - from);
        d.deliveredCount = count;
        d.deliveredAcc = acc;
        emit Delivered(srcDomain, from, count, acc);

        uint64 nonce = from;
        for (uint256 p = 0; p < messages.length; ++nonce) {
            p = _executePacked(srcDomain, nonce, messages, p);
        }
    }

    /// @dev Executes the packed message at byte `p`; a failure is recorded for retry. A message
    ///      whose gasLimit is above Protocol.INLINE_GAS_LIMIT is deferred: recorded for retry
    ///      without a call, so the relayer never spends more than that on one message.
    function _executePacked(uint32 srcDomain, uint64 nonce, bytes calldata messages, uint256 p)
        private
        returns (uint256 next)
    {
        (address sender, address recipient, uint64 gasLimit, bytes calldata payload, uint256 n) =
            Protocol.unpack(messages, p);
        if (gasLimit > Protocol.INLINE_GAS_LIMIT) {
            _recordFailure(srcDomain, nonce, messages, p, true);
            return n;
        }
        if (gasleft() < gasLimit + gasLimit / 63 + EXECUTION_RESERVE) revert InsufficientGas(nonce);
        if (!_execute(srcDomain, sender, nonce, recipient, gasLimit, payload)) {
            _recordFailure(srcDomain, nonce, messages, p, false);
        }
        return n;
    }

    /// @dev Records the packed message at byte `p` for retry: failed, or deferred unrun.
    function _recordFailure(uint32 srcDomain, uint64 nonce, bytes calldata messages, uint256 p, bool deferred) private {
        (bytes32 h,) = Protocol.hashPacked(messages, p, srcDomain, localDomain, nonce);
        failed[h] = true;
        if (deferred) emit MessageDeferred(srcDomain, nonce, h);
        else emit MessageFailed(srcDomain, nonce, h);
    }

    /// @notice Executes a failed or deferred message, with all the gas the caller gives (at
    ///         least its gasLimit). Anyone may call it. Reverts, leaving it retryable, if the
    ///         recipient fails.
    function retry(Protocol.Message calldata m) external whenNotPaused nonReentrant {
        bytes32 h = Protocol.hash(m);
        if (!failed[h]) revert NotFailed(h);
        if (_domains[m.srcDomain].paused) revert DomainIsPaused(m.srcDomain);
        if (gasleft() < m.gasLimit + m.gasLimit / 63 + EXECUTION_RESERVE) revert InsufficientGas(m.nonce);
        failed[h] = false;
        if (!_execute(m.srcDomain, m.sender, m.nonce, m.recipient, gasleft() - EXECUTION_RESERVE, m.payload)) {
            revert RetryFailed(h);
        }
        emit MessageRetried(m.srcDomain, m.nonce, h);
    }

    /// @dev Calls the recipient without copying its return data (no return-data bomb) and
    ///      releases the memory of the call data afterwards. A recipient without code fails
    ///      (a call to it would succeed and lose the message): `retry` delivers it once code is
    ///      there, e.g. a contract deployed later at a CREATE2 address.
    function _execute(
        uint32 srcDomain,
        address sender,
        uint64 nonce,
        address recipient,
        uint256 gasAmount,
        bytes calldata payload
    ) private returns (bool ok) {
        if (recipient.code.length == 0) return false;
        uint256 freePtr;
        assembly ("memory-safe") {
            freePtr := mload(0x40)
        }
        bytes memory data = abi.encodeCall(IMessageRecipient.handleMessage, (srcDomain, sender, nonce, payload));
        assembly ("memory-safe") {
            ok := call(gasAmount, recipient, 0, add(data, 0x20), mload(data), 0, 0)
            mstore(0x40, freePtr)
        }
    }

    function _consumeRateLimit(Domain storage d, uint256 n) private {
        uint256 capacity = d.rateCapacity;
        if (capacity == 0) return;
        uint256 available = d.rateAvailable + (block.timestamp - d.rateUpdated) * capacity / d.rateWindow;
        if (available > capacity) available = capacity;
        if (n > available) {
            // A delivery larger than the bucket (a span between two proven counts can be) goes
            // through once the bucket is full, and empties it: the limit delays a lane, it
            // never stalls it.
            if (available < capacity) revert RateLimited(n, available);
            available = n;
        }
        d.rateAvailable = uint64(available - n);
        d.rateUpdated = uint64(block.timestamp);
    }

    function _knownDomain(uint32 srcDomain) private view returns (Domain storage d) {
        d = _domains[srcDomain];
        if (d.outbox == address(0)) revert UnknownDomain(srcDomain);
        if (d.paused) revert DomainIsPaused(srcDomain);
    }

    // ---------------------------------------------------------------- views

    function domain(uint32 srcDomain) external view returns (Domain memory) {
        return _domains[srcDomain];
    }

    /// @notice The accumulator proven at `count` for `srcDomain` (zero if none).
    function provenAcc(uint32 srcDomain, uint64 count) external view returns (bytes32) {
        return _proven[srcDomain][count];
    }

    // ---------------------------------------------------------------- governance

    /// @notice Trusts `srcDomain`: its Outbox, how its headers are final (`adapter`), and its
    ///         committee at `epoch`: an attester committee's commitment (ADAPTER_COMMITTEE, from
    ///         epoch 0), or the commitment of Ethereum's sync committee of period `epoch`
    ///         (ADAPTER_SYNC_COMMITTEE, from a bootstrap the owner checked against a trusted
    ///         block root). After this the committee changes only by proof: a rotation claim
    ///         to the next epoch (the next period's sync committee).
    function addDomain(
        uint32 srcDomain,
        address outbox,
        uint8 adapter,
        bytes32 committee,
        uint64 epoch,
        uint64 rateCapacity,
        uint32 rateWindow
    ) external onlyOwner {
        if (srcDomain == localDomain || outbox == address(0) || adapter > Protocol.ADAPTER_SYNC_COMMITTEE) {
            revert InvalidConfig();
        }
        if (!Protocol.isCommitment(committee)) revert NonCanonicalCommittee(committee);
        Domain storage d = _domains[srcDomain];
        if (d.outbox != address(0)) revert DomainExists(srcDomain);
        d.outbox = outbox;
        d.committee = committee;
        d.adapter = adapter;
        d.epoch = epoch;
        emit DomainAdded(srcDomain, outbox, adapter, committee, epoch);
        _setRateLimit(srcDomain, d, rateCapacity, rateWindow);
    }

    /// @notice Limits delivery from `srcDomain` to `capacity` messages per `window` seconds
    ///         (a token bucket). Zero capacity lifts the limit. A capacity below one lane
    ///         segment is refused; a delivery above the capacity waits for a full bucket.
    function setRateLimit(uint32 srcDomain, uint64 capacity, uint32 window) external onlyOwner {
        Domain storage d = _domains[srcDomain];
        if (d.outbox == address(0)) revert UnknownDomain(srcDomain);
        _setRateLimit(srcDomain, d, capacity, window);
    }

    function _setRateLimit(uint32 srcDomain, Domain storage d, uint64 capacity, uint32 window) private {
        if (capacity != 0 && (capacity < Protocol.SEGMENT_MAX_MESSAGES || window == 0)) revert InvalidConfig();
        d.rateCapacity = capacity;
        d.rateWindow = window;
        d.rateAvailable = capacity;
        d.rateUpdated = uint64(block.timestamp);
        emit RateLimitSet(srcDomain, capacity, window);
    }

    /// @notice Stops batches, deliveries and retries everywhere.
    function pause() external onlyOwnerOrGuardian {
        paused = true;
        emit Paused(true);
    }

    function unpause() external onlyOwner {
        paused = false;
        emit Paused(false);
    }

    /// @notice Stops batches, deliveries and retries for one source domain.
    function pauseDomain(uint32 srcDomain) external onlyOwnerOrGuardian {
        _domains[srcDomain].paused = true;
        emit DomainPaused(srcDomain, true);
    }

    function unpauseDomain(uint32 srcDomain) external onlyOwner {
        _domains[srcDomain].paused = false;
        emit DomainPaused(srcDomain, false);
    }

    /// @notice Starts the delay after which `committee` may replace `srcDomain`'s committee, at
    ///         `epoch`: the way to restore a domain whose committee proved a contradiction, when
    ///         no rotation proof can come from it. The epoch is the committee's own (for Ethereum's
    ///         sync committee: the period its commitment names), after the domain's. The guardian
    ///         or the owner can cancel it meanwhile.
    function proposeCommittee(uint32 srcDomain, bytes32 committee, uint64 epoch) external onlyOwner {
        Domain storage d = _domains[srcDomain];
        if (d.outbox == address(0)) revert UnknownDomain(srcDomain);
        if (!Protocol.isCommitment(committee)) revert NonCanonicalCommittee(committee);
        if (epoch <= d.epoch) revert WrongEpoch(d.epoch + 1, epoch);
        uint64 readyAt = uint64(block.timestamp + upgradeDelay);
        pendingCommittee[srcDomain] = PendingCommittee(committee, epoch, readyAt);
        emit CommitteeProposed(srcDomain, committee, epoch, readyAt);
    }

    function cancelCommittee(uint32 srcDomain) external onlyOwnerOrGuardian {
        emit CommitteeCancelled(srcDomain, pendingCommittee[srcDomain].committee);
        delete pendingCommittee[srcDomain];
    }

    /// @notice Anyone may seat the proposed committee once its delay has passed, at the epoch
    ///         proposed with it, unless a rotation has reached that epoch meanwhile. A paused
    ///         domain stays paused until the owner lifts it.
    function activateCommittee(uint32 srcDomain) external {
        PendingCommittee memory p = pendingCommittee[srcDomain];
        if (p.committee == bytes32(0)) revert NoPendingCommittee(srcDomain);
        if (block.timestamp < p.readyAt) revert UpgradeNotReady(p.readyAt);
        Domain storage d = _domains[srcDomain];
        if (p.epoch <= d.epoch) revert WrongEpoch(d.epoch + 1, p.epoch);
        delete pendingCommittee[srcDomain];
        d.committee = p.committee;
        d.epoch = p.epoch;
        emit CommitteeRotated(srcDomain, p.epoch, p.committee);
    }

    /// @notice Starts the delay after which `next` may replace the verifier.
    function proposeVerifier(IBatchVerifier next) external onlyOwner {
        if (address(next) == address(0)) revert InvalidConfig();
        pendingVerifier = next;
        pendingVerifierReadyAt = block.timestamp + upgradeDelay;
        emit VerifierProposed(address(next), pendingVerifierReadyAt);
    }

    function cancelVerifier() external onlyOwnerOrGuardian {
        emit VerifierCancelled(address(pendingVerifier));
        pendingVerifier = IBatchVerifier(address(0));
        pendingVerifierReadyAt = 0;
    }

    /// @notice Anyone may activate the proposed verifier once its delay has passed.
    function activateVerifier() external {
        IBatchVerifier next = pendingVerifier;
        if (address(next) == address(0)) revert NoPendingVerifier();
        if (block.timestamp < pendingVerifierReadyAt) revert UpgradeNotReady(pendingVerifierReadyAt);
        verifier = next;
        pendingVerifier = IBatchVerifier(address(0));
        pendingVerifierReadyAt = 0;
        emit VerifierActivated(address(next));
    }

    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    function transferOwnership(address owner_) external onlyOwner {
        if (owner_ == address(0)) revert InvalidConfig();
        owner = owner_;
        emit OwnershipTransferred(owner_);
    }
}
