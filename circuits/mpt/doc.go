// Package mpt proves inclusion in Ethereum's Merkle-Patricia trie: that key → value is stored
// under a root, through branch, extension and leaf nodes, with nodes shorter than 32 bytes
// embedded in their parents. VerifyNative is the native twin, checked against go-ethereum's
// trie.VerifyProof on mainnet account, storage and receipt proofs.
package mpt
