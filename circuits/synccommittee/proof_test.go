package synccommittee

import (
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/prover"
)

// A real Groth16 proof of a sync-committee piece at a small size: a rotation chunk of one key
// of a committee of 8, on BLS12-377 with the prover options the BW6-761 aggregation
// verifies; keys from the key store (set up once per machine: a 2^18 domain, the smallest
// piece, as the 60-minute cold budget allows). It verifies; the same proof under another
// chain end or another subtree root does not.
func TestSyncCommitteeRotationChunkGroth16(t *testing.T) {
	if testing.Short() {
		t.Skip("Groth16 setup at 2^18 takes a minute")
	}
	field := ecc.BLS12_377.ScalarField()
	_, com := committeeOf(t, 8)
	state, branch := stateOver(com.Root, NextSyncCommitteeGindex, "s")
	r, err := RotationProof(com, 1, 1, 8, NextSyncCommitteeGindex, state, branch)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, NewCommitteeChunkCircuit(1))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := prover.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	keys, err := (&prover.Store{Dir: dir}).Keys("sync-committee-rotation-chunk-1", ccs, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d constraints; keys (loaded from the store: %v) in %s; setup took %.0f s", ccs.GetNbConstraints(), keys.Loaded, time.Since(start).Round(time.Millisecond), keys.Manifest.SetupSeconds)
	chunk := r.Chunks[5]
	w, err := frontend.NewWitness(chunk, field)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	proof, err := groth16.Prove(ccs, keys.PK, w, stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), field))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prove: %s", time.Since(start).Round(time.Millisecond))
	vopt := stdgroth16.GetNativeVerifierOptions(ecc.BW6_761.ScalarField(), field)
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, keys.VK, pub, vopt); err != nil {
		t.Fatalf("verify: %v", err)
	}
	for name, mutate := range map[string]func(c *CommitteeChunkCircuit){
		"another chain end":    func(c *CommitteeChunkCircuit) { c.StateOut = new(big.Int).Add(toBig(c.StateOut), big.NewInt(1)) },
		"another subtree root": func(c *CommitteeChunkCircuit) { c.RootHi = new(big.Int).Xor(toBig(c.RootHi), big.NewInt(1)) },
	} {
		other := *chunk
		mutate(&other)
		w2, err := frontend.NewWitness(&other, field, frontend.PublicOnly())
		if err != nil {
			t.Fatal(err)
		}
		if groth16.Verify(proof, keys.VK, w2, vopt) == nil {
			t.Errorf("the proof verifies under %s", name)
		}
	}
}
