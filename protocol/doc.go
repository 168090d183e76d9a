// Package protocol is the native core of the Isthmus protocol: the cross-chain Message and its
// hash, the per-lane accumulator, the Outbox storage layout and segment rule, and the batch
// statement (lane claims and committee rotations) whose hash is the one public input of a
// batch proof.
//
// Everything here is computed identically by the Solidity library contracts/src/Protocol.sol;
// the golden vectors in testdata/protocol pin both. The encodings:
//
//	msgHash        = keccak256(abi.encode(srcDomain, dstDomain, nonce, sender, recipient, gasLimit, payload))
//	acc_0          = 0, acc_{i+1} = keccak256(acc_i ‖ msgHash_i)
//	laneClaimHash  = keccak256(srcDomain ‖ dstDomain ‖ outbox ‖ committee ‖ blockNumber ‖ blockHash ‖ count ‖ acc)   140 bytes, big-endian
//	rotationHash   = keccak256(srcDomain ‖ committee ‖ nextEpoch ‖ nextCommittee)                                        76 bytes
//	statementHash  = keccak256(keccak256("isthmus.statement.v1") ‖ uint32(#lanes) ‖ laneClaimHash… ‖ uint32(#rotations) ‖ rotationHash…)
//	publicInput    = statementHash with its top three bits cleared (< 2^253 < BN254's r)
package protocol
