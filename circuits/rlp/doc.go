// Package rlp decodes bounded, variable-length RLP (Ethereum's recursive length prefix
// encoding) inside a gnark circuit, with a native twin that follows the same rules.
//
// Both accept exactly the canonical encodings go-ethereum accepts: a single byte below 0x80
// is never wrapped in a one-byte string, the long form is used only for payloads of 56 bytes
// or more, lengths have no leading zero bytes, and integers have no leading zero bytes (zero
// is the empty string). Lengths of lengths are bounded to MaxLenOfLen (payloads below 64 KiB).
//
// In-circuit, the decoded bytes are read through one log-derivative lookup table, so a read at
// a variable offset costs a few constraints whatever the length of the data. Decoding one
// item costs about 50 constraints; a 32-byte field about 100; an integer of up to 8 bytes
// about 150 (see BenchmarkConstraints in circuits).
package rlp
