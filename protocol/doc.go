// Package protocol is the native core of the Isthmus protocol: the cross-chain Message and its
// hash, the per-lane accumulator, the Outbox storage layout and segment rule, and the batch
// statement (a list of typed claims) whose chain hash is the public input of a batch proof.
//
// Everything here is computed identically by the Solidity library contracts/src/Protocol.sol;
// the golden vectors in testdata/protocol pin both. The encodings:
//
//	msgHash        = keccak256(abi.encode(srcDomain, dstDomain, nonce, sender, recipient, gasLimit, payload))
//	acc_0          = 0, acc_{i+1} = keccak256(acc_i ‖ msgHash_i)
//	laneClaim      = kind ‖ srcDomain ‖ dstDomain ‖ outbox ‖ committee ‖ blockNumber ‖ blockHash ‖ count ‖ acc    141 bytes, big-endian
//	rotationClaim  = kind ‖ srcDomain ‖ committee ‖ nextEpoch ‖ nextCommittee                                         77 bytes
//	eventClaim     = kind ‖ srcDomain ‖ committee ‖ blockNumber ‖ blockHash ‖ txIndex ‖ logIndex ‖ emitter ‖
//	                 uint8(#topics) ‖ topic×4 (zero past #topics) ‖ keccak256(data)                                 266 bytes
//	eventID        = keccak256(eventClaim without its kind and committee)
//	statement      = s_n: s_0 = keccak256("isthmus.statement.chain.v1"), s_{i+1} = keccak256(s_i ‖ keccak256(claim)…)
//	                 over up to three claims a step, in order (the statement chain)
//	publicInput    = statement's low 252 bits (< BLS12-377's r < BN254's r)
//
// Typed claims. A claim's first byte is its kind (ClaimKind), so no claim of one kind hashes
// as another; the Inbox's submitBatch takes the packed claims as bytes[] and applies them in
// order, and the statement lists the lane claims first (those proven by storage before those
// proven by receipt), then the event claims, then the rotations. The kinds, each with the
// leaf kinds that prove it (circuits/leaf, under the allow-list of the aggregation
// circuits/universal) and its Inbox rule:
//
//	1 lane head        the lane's word and accumulator slots at a block    header, state steps, lane        not older than the newest head
//	2 lane checkpoint  CheckpointSlot(dst, count) holds acc                 header, state steps, lane        at any finalized block
//	3 rotation         the committee signed (srcDomain, nextEpoch, next)   rotation (or a sync hand-over)   epoch = current + 1
//	4 lane by receipt  the Outbox's MessageSent(dst, count−1, acc) log      header, receipt log and claim    at any finalized block
//	5 event            a contract's log (emitter, topics, data hash)       header, receipt log and claim    recorded by eventID
//
// A new kind takes the next number, its encoding here and in Protocol.sol, a leaf kind whose
// key joins the allow-list, and a branch in the Inbox.
//
// Outbox storage: a lane's base slot is keccak256(pad32(dstDomain) ‖ pad32(0)); base + 0
// holds the lane word (count and open segment), base + 1 the accumulator, base + 2 + count
// the checkpoint stored when a segment closed at count.
package protocol
