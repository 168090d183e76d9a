// Package leaf holds the leaf circuits of the proof pipeline: BLS12-377 Groth16 circuits
// whose proofs the aggregation circuit verifies. HeaderCircuit proves a source-chain header
// final under a committee; StateStepCircuit proves one node of an account or storage proof,
// and LinkStateSteps is the rule that chains such steps into a whole proof;
// StatementCircuit hashes a batch's typed claims into its statement and derives the lane
// claims' trie keys (a head's word and accumulator slots, a checkpoint's slot), so that no
// keccak runs in the aggregation circuit; RotationCircuit proves a committee's quorum signed
// its successor for the next epoch.
//
// Public inputs are few and shaped for the aggregation circuit: 32-byte values are two
// 128-bit halves (high first), so that every input fits the scalar field and the aggregation
// circuit can link leaves by equality of inputs.
package leaf
