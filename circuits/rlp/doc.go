// Package rlp decodes bounded, variable-length RLP (Ethereum's recursive length prefix
// encoding) inside a gnark circuit, with a native twin that follows the same rules.
//
// Both accept exactly the canonical encodings go-ethereum accepts: a single byte below 0x80
// is never wrapped in a one-byte string, the long form is used only for payloads of 56 bytes
// or more, lengths have no leading zero bytes, and integers have no leading zero bytes (zero
// is the empty string). Lengths of lengths are bounded to MaxLenOfLen (payloads below 64 KiB).
//
// In-circuit, the decoded bytes are read through one log-derivative lookup table, so a read at
// a variable offset costs a few constraints whatever the length of the data. Measured (R1CS,
// BenchmarkConstraints in circuits): one item over a 64-byte buffer, table included, 547
// constraints; with an integer of up to 8 bytes, 774; a whole 815-byte header's list of up to
// 24 items and five of its fields, 4,956.
package rlp
