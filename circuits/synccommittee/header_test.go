package synccommittee

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/std/math/uints"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// The header circuit, by the solver, on every attested header of the shared mainnet updates:
// its signing root is the one the committee signed (the native twin's, which go-ethereum's
// agrees with); another slot, state root, domain, parent or body root, or signing root
// fails.
func TestSyncCommitteeHeaderCircuit(t *testing.T) {
	cfg := Mainnet()
	field := ecc.BLS12_377.ScalarField()
	for i, u := range mainnetUpdates(t) {
		h := u.AttestedHeader.Beacon.Header()
		version := cfg.ForkAt(cfg.Epoch(uint64(u.SignatureSlot) - 1)).Version
		domain := Domain(DomainSyncCommittee, version, cfg.GenesisValidatorsRoot)
		a, err := AssignHeader(&h, domain)
		if err != nil {
			t.Fatal(err)
		}
		want := SigningRoot(h.Root(), DomainSyncCommittee, version, cfg.GenesisValidatorsRoot)
		if hi, lo := halves(want); a.RootHi.(*big.Int).Cmp(hi) != 0 || a.RootLo.(*big.Int).Cmp(lo) != 0 {
			t.Fatalf("update %d: the assignment's signing root is not the twin's", i)
		}
		if err := circuittest.IsSolved(t, "sync header", field, &HeaderCircuit{}, a); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		if i > 0 {
			continue
		}
		one := big.NewInt(1)
		for name, mutate := range map[string]func(c *HeaderCircuit){
			"another slot":         func(c *HeaderCircuit) { c.Slot = h.Slot + 1 },
			"another state root":   func(c *HeaderCircuit) { c.StateLo = new(big.Int).Xor(c.StateLo.(*big.Int), one) },
			"another domain":       func(c *HeaderCircuit) { c.DomainHi = new(big.Int).Xor(c.DomainHi.(*big.Int), one) },
			"another signing root": func(c *HeaderCircuit) { c.RootLo = new(big.Int).Xor(c.RootLo.(*big.Int), one) },
			"another parent root":  func(c *HeaderCircuit) { c.ParentRoot[3] = uints.NewU8(h.ParentRoot[3] ^ 1) },
			"another body root":    func(c *HeaderCircuit) { c.BodyRoot[31] = uints.NewU8(h.BodyRoot[31] ^ 1) },
			"another proposer":     func(c *HeaderCircuit) { c.ProposerIndex = h.ProposerIndex + 1 },
		} {
			b, _ := AssignHeader(&h, domain)
			mutate(b)
			if circuittest.IsSolved(t, "sync header", field, &HeaderCircuit{}, b) == nil {
				t.Errorf("%s: solved", name)
			}
		}
	}
}
