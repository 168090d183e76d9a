// Package chain is Isthmus's access to EVM chains over JSON-RPC: it reads a source Outbox's
// lane state with a Merkle-Patricia storage proof (eth_getProof) verified against the block's
// stateRoot, collects the lane's messages from its events, and drives a destination Inbox
// (submitBatch, deliver, retry). It uses the same go-ethereum client code for the devnet and
// for real chains.
package chain
