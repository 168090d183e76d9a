// Package circuits gathers the gnark circuits of Isthmus, one concern per package: rlp
// (decoding), header (Ethereum block headers), committee (weighted EdDSA quorums), leaf (the
// BLS12-377 leaf circuits). Its benchmarks report their sizes and costs (DESIGN.md §7).
package circuits
