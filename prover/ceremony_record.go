package prover

// CeremonyRecord is what a key store keeps of the multi-party ceremony that made a circuit's
// keys (prover/ceremony): the hashes of every file of both phases, in order, and the two
// random beacons that sealed them. Anyone holding the files recomputes the keys from them
// and these hashes ('isthmus keys import'); a store takes ceremony keys only that way.
type CeremonyRecord struct {
	// Transcript is the SHA-256 of the record's hashes and beacons, in order: the one value a
	// ceremony publishes to name its result.
	Transcript string `json:"transcript"`
	// Power: phase 1 made 2^Power powers of tau (the circuit's domain may be smaller).
	Power int `json:"power"`
	// Phase1 and Phase2 are the SHA-256 of each file of the phase, its initial state first.
	Phase1 []string `json:"phase1"`
	// Phase1Source is "" for a phase 1 made by 'isthmus ceremony', "ptau" for one read from a
	// snarkjs powers-of-tau file (Phase1 then holds that file's hash, and no beacon).
	Phase1Source string   `json:"phase1Source,omitempty"`
	Phase1Beacon string   `json:"phase1Beacon"` // hex
	Phase2       []string `json:"phase2"`
	Beacon       string   `json:"beacon"` // hex, phase 2's
	// VerifyingKey is the SHA-256 of the verifying key the ceremony sealed (gnark's
	// serialisation): what a deployed verifier's constants are checked against.
	VerifyingKey string `json:"verifyingKey"`
	// Contributors are the names the contributors gave, by phase and order ("" if none).
	Contributors []string `json:"contributors,omitempty"`
}
