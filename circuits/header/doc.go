// Package header decodes and hashes an Ethereum execution-layer block header inside a gnark
// circuit: from its RLP bytes of variable length it computes keccak256 (the block hash) and
// exposes parentHash, stateRoot, receiptsRoot, number and timestamp. Any fork's header fits:
// 15 (pre-London) to 21 (Prague) fields and room for more, up to MaxFields fields and MaxLen
// bytes (six keccak blocks). A chain gadget links consecutive headers by parentHash.
//
// The native twin (DecodeNative) follows the same rules and is checked against go-ethereum's
// types.Header; both refuse non-canonical RLP as Ethereum clients do.
//
// Cost (R1CS, BLS12-377, BenchmarkConstraints in circuits): 782,094 constraints, of which
// keccak over up to six blocks is 777,138 and the RLP decoding of the list and the five
// fields 4,956. Two linked headers share keccak's tables: 1,432,632.
package header
