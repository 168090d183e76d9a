package synccommittee

import (
	"crypto/sha256"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// testCommittee is a committee of size members whose keys come from a public seed, and a
// signer (NewSigner): for tests and the devnet, never for value.
type testCommittee struct{ *Signer }

func newTestCommittee(size int) *testCommittee {
	return &testCommittee{NewSigner([]byte("isthmus test committee"), size)}
}

// committeeOf is a test committee of size members, decoded as the light client takes it.
func committeeOf(t testing.TB, size int) (*testCommittee, *Committee) {
	t.Helper()
	cfg := Mainnet()
	cfg.CommitteeSize = size
	tc := newTestCommittee(size)
	com, err := cfg.NewCommittee(&tc.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return tc, com
}

// sign is the aggregate signature over root of the members whose bit is set.
func (tc *testCommittee) sign(t testing.TB, root [32]byte, signers []int) SyncAggregate {
	t.Helper()
	agg, err := tc.Sign(root, signers)
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

// The signature circuit at a committee of 8, by the solver: six signers (the least above two
// thirds) pass and match the native check; a participation bit flipped, a signature over
// another root, a commitment that is not the keys', the commitment of one period under
// another, a key swapped, and five signers (below the threshold, properly signed) fail.
func TestSyncCommitteeSignatureCircuit(t *testing.T) {
	const size = 8
	tc, com := committeeOf(t, size)
	root := sha256.Sum256([]byte("attested header"))
	six := []int{0, 2, 3, 5, 6, 7}
	agg := tc.sign(t, root, six)
	if err := com.verifyAggregate(&agg, root); err != nil {
		t.Fatalf("native: %v", err)
	}
	valid, err := AssignSignature(com, 7, &agg, root)
	if err != nil {
		t.Fatal(err)
	}
	// A new circuit and assignment for each solve: emulated elements keep state from one.
	if err := test.IsSolved(NewSignatureCircuit(size), valid, ecc.BLS12_377.ScalarField()); err != nil {
		t.Fatalf("valid: %v", err)
	}
	refuse := func(name string, a *SignatureCircuit) {
		t.Helper()
		if err := test.IsSolved(NewSignatureCircuit(size), a, ecc.BLS12_377.ScalarField()); err == nil {
			t.Errorf("%s: solved", name)
		}
	}
	flipped, _ := AssignSignature(com, 7, &agg, root)
	flipped.Bits[1] = 1
	flipped.Participants = 7
	refuse("a participation bit set, the signature unchanged", flipped)
	other := sha256.Sum256([]byte("another header"))
	a, _ := AssignSignature(com, 7, &agg, other)
	refuse("the signature over another root", a)
	a, _ = AssignSignature(com, 7, &agg, root)
	a.Commitment = new(big.Int).Add(a.Commitment.(*big.Int), big.NewInt(1))
	refuse("a commitment that is not the keys'", a)
	a, _ = AssignSignature(com, 7, &agg, root)
	a.Period = 8
	refuse("the commitment of period 7 claimed for period 8", a)
	a, _ = AssignSignature(com, 7, &agg, root)
	a.Keys[0], a.Keys[1] = a.Keys[1], a.Keys[0]
	refuse("two keys swapped", a)
	a, _ = AssignSignature(com, 7, &agg, root)
	a.Participants = 5
	refuse("a count other than the bits'", a)
	five := tc.sign(t, root, []int{0, 1, 2, 3, 4})
	if err := com.verifyAggregate(&five, root); err != nil {
		t.Fatalf("native, five signers: %v", err)
	}
	a, _ = AssignSignature(com, 7, &five, root)
	refuse("five of eight signers, properly signed", a)
}

var _ frontend.Circuit = (*SignatureCircuit)(nil)

// The signature circuit at mainnet's 512 members, by the solver, on the first and the last
// update of the shared data (~8 s a solve; the others' signatures are checked natively): the
// committee the store holds for its period (the bootstrap's, then one an update brought),
// the signing root of its attested header under the Capella domain.
func TestSyncCommitteeSignatureCircuitMainnet(t *testing.T) {
	s, _ := mainnetStore(t)
	updates := mainnetUpdates(t)
	for i, u := range updates {
		if i != 0 && i != len(updates)-1 {
			if _, err := s.Apply(&u, uint64(u.SignatureSlot)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		com := s.Current
		if s.Config.Period(uint64(u.SignatureSlot)) != s.Config.Period(s.Finalized.Slot) {
			com = s.Next
		}
		attested := u.AttestedHeader.Beacon.Header()
		version := s.Config.ForkAt(s.Config.Epoch(uint64(u.SignatureSlot) - 1)).Version
		root := SigningRoot(attested.Root(), DomainSyncCommittee, version, s.Config.GenesisValidatorsRoot)
		a, err := AssignSignature(com, s.Config.Period(uint64(u.SignatureSlot)), &u.SyncAggregate, root)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// A new circuit for each solve: emulated elements keep state from one.
		if err := test.IsSolved(NewSignatureCircuit(512), a, ecc.BLS12_377.ScalarField()); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		t.Logf("update %d: %d of 512 signers, solved in %s", i, a.Participants, time.Since(start))
		if i == 0 {
			a, _ = AssignSignature(com, s.Config.Period(uint64(u.SignatureSlot)), &u.SyncAggregate, root)
			a.Bits[first(&u.SyncAggregate)] = 0
			a.Participants = a.Participants.(int) - 1
			if test.IsSolved(NewSignatureCircuit(512), a, ecc.BLS12_377.ScalarField()) == nil {
				t.Fatal("a participation bit cleared, the signature unchanged: solved")
			}
		}
		if _, err := s.Apply(&u, uint64(u.SignatureSlot)); err != nil {
			t.Fatal(err)
		}
	}
}

func first(a *SyncAggregate) int {
	for i := 0; ; i++ {
		if a.Participant(i) {
			return i
		}
	}
}
