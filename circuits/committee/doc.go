// Package committee checks in-circuit that a quorum of a weighted validator committee signed
// a block: EdDSA on BLS12-377's twisted Edwards curve (native to the BLS12-377 leaf circuits)
// with Poseidon2 as the hash, a signer bitmap, and 3·signedWeight > 2·totalWeight against a
// Poseidon2 commitment to the committee. The native twin generates keys from seeds, signs,
// verifies, and computes commitments and digests exactly as the circuit does.
//
//	commitment = MD(tagCommittee, n, x_0, y_0, w_0, …, x_{n-1}, y_{n-1}, w_{n-1})
//	digest     = MD(tagHeader, srcDomain, blockNumber, blockHash[0:16], blockHash[16:32])
//
// where MD is Poseidon2 (width 2, 6 full and 26 partial rounds) in Merkle-Damgård mode over
// BLS12-377's scalar field, and (x_i, y_i) are public keys, w_i weights below 2^64.
//
// Cost (R1CS, BenchmarkConstraints in circuits): one EdDSA verification is 7,040 constraints;
// the whole gadget is 123,408 at capacity 16 and 500,534 at capacity 64 (signatures, the
// commitment, the pairwise distinctness of keys, ~4 constraints a pair, and 14 a slot to
// give no weight to a key of small order, for which anyone can forge a signature).
package committee
