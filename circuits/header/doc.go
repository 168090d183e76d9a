// Package header decodes and hashes an Ethereum execution-layer block header inside a gnark
// circuit: from its RLP bytes of variable length it computes keccak256 (the block hash) and
// exposes parentHash, stateRoot, receiptsRoot, number and timestamp. Every field is checked
// for the kind and size go-ethereum decodes (schema: 32-, 20-, 256- and 8-byte strings
// exactly, integers canonical and no longer than their type, extraData at most 32 bytes),
// and the field count is some fork's (ForkFields: 15 pre-London to 21 in Prague, 23 in
// Amsterdam), in at most MaxLen bytes (six keccak blocks). A chain gadget links consecutive
// headers by parentHash.
//
// The native twin (DecodeNative) follows the same rules and is checked against go-ethereum's
// types.Header, by a fuzz test among others; both refuse non-canonical RLP as Ethereum clients
// do, and what go-ethereum's decoder takes beyond Ethereum's rules (extraData over 32 bytes,
// counts between forks' schemas).
//
// Cost (R1CS, BLS12-377, BenchmarkConstraints in circuits): 782,450 constraints, of which
// keccak over up to six blocks is 777,138 and the RLP decoding of the list and every field
// 5,312 (356 of them for the kinds and sizes of the fields the gadget does not expose). Ten
// linked headers share keccak's tables: 6,640,490.
package header
