// Package prover holds Groth16 setup and its key store: keys live in a cache directory outside
// the repository, one folder per compiled circuit (keyed by its digest), with a manifest of
// checksums. Stored keys load fast (the proving key from a raw memory dump) once their
// checksums match; a key whose checksum does not is refused. Keys made here come from local
// randomness and are labelled development keys: production keys come from a ceremony.
package prover
