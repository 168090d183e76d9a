// Package circuits gathers the gnark circuits of Isthmus, one concern per package: rlp
// (decoding), header (Ethereum block headers), committee (weighted EdDSA quorums), mpt
// (Merkle-Patricia node steps and accounts), receipt (logs of receipts, receipt inclusion),
// leaf (the BLS12-377 leaf circuits), aggregate (the BW6-761 aggregation) and wrap (the BN254
// wrap the Solidity verifier checks). Its benchmarks report their sizes and costs
// (DESIGN.md §7).
package circuits
