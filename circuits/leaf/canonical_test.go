package leaf

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// fieldElementCircuit exposes fieldElement of 32 bytes.
type fieldElementCircuit struct {
	Bytes [32]uints.U8
	Value frontend.Variable `gnark:",public"`
}

func (c *fieldElementCircuit) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return err
	}
	api.AssertIsEqual(fieldElement(api, byteValues(bf, c.Bytes[:])), c.Value)
	return nil
}

// shifted is the 32 bytes of c + k·r, the other encodings of c's residue below 2^256.
func shifted(c common.Hash, k int64) common.Hash {
	v := new(big.Int).Add(new(big.Int).SetBytes(c[:]), new(big.Int).Mul(big.NewInt(k), protocol.CommitmentModulus))
	return common.BigToHash(v)
}

func TestHardeningCanonicalFieldElement(t *testing.T) {
	if protocol.CommitmentModulus.Cmp(field) != 0 {
		t.Fatal("protocol.CommitmentModulus is not BLS12-377's scalar field modulus")
	}
	ccs := circuittest.Compile(t, "field element of 32 bytes", field, &fieldElementCircuit{})
	r := protocol.CommitmentModulus
	one := big.NewInt(1)
	rHi := new(big.Int).Lsh(new(big.Int).Rsh(r, 128), 128)
	max := new(big.Int).Sub(new(big.Int).Lsh(one, 256), one)
	for _, tc := range []struct {
		name  string
		v     *big.Int
		valid bool
	}{
		{"zero", big.NewInt(0), true},
		{"r − 1", new(big.Int).Sub(r, one), true},
		{"the high half of r, low half zero", rHi, true},
		{"high half below r's, low half all ones", new(big.Int).Sub(rHi, one), true},
		{"r", r, false},
		{"r + 1", new(big.Int).Add(r, one), false},
		{"the high half of r, low half all ones", new(big.Int).Add(rHi, new(big.Int).Sub(new(big.Int).Lsh(one, 128), one)), false},
		{"2r + 5", new(big.Int).Add(new(big.Int).Lsh(r, 1), big.NewInt(5)), false},
		{"2^256 − 1", max, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := common.BigToHash(tc.v)
			if protocol.CanonicalCommitment(b) != tc.valid {
				t.Fatalf("native twin: canonical = %v", !tc.valid)
			}
			a := &fieldElementCircuit{Value: new(big.Int).Mod(tc.v, r)}
			copy(a.Bytes[:], uints.NewU8Array(b[:]))
			err := circuittest.Solve(ccs, field, a)
			if tc.valid && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.valid && err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// The security review's finding: a hand-over proven with NextCommittee = C + r instead of C.
// Each leaf that reads a commitment from a claim refuses the shifted bytes, which would
// otherwise pass for the same field element; the native statement refuses them too.
func TestHardeningShiftedCommitmentRefused(t *testing.T) {
	var c, next common.Hash
	copy(c[1:], crypto.Keccak256([]byte("committee of period 862"))[:31])
	copy(next[1:], crypto.Keccak256([]byte("committee of period 863"))[:31])

	t.Run("rotation leaf", func(t *testing.T) {
		ccs := circuittest.Compile(t, "rotation leaf, capacity 4", field, NewRotationCircuit(4))
		cm, _ := testCommittee(t, 4)
		nc, _ := testCommittee(t, 5)
		r := protocol.RotationClaim{SrcDomain: srcDomain, Committee: cm.CommitmentHash(), NextEpoch: 1, NextCommittee: nc.CommitmentHash()}
		a := signedRotation(t, r, 4, r.SrcDomain, r.NextEpoch, r.NextCommittee)
		if err := circuittest.Solve(ccs, field, a); err != nil {
			t.Fatalf("the canonical claim is refused: %v", err)
		}
		// The same signatures, the claim's committee bytes shifted by r: the quorum check sees
		// the same field element.
		bad := r
		bad.Committee = shifted(r.Committee, 1)
		copy(a.Encoded[:], uints.NewU8Array(bad.Encode()))
		a.ClaimHash = halves(bad.Hash())
		if err := circuittest.Solve(ccs, field, a); err == nil {
			t.Error("committee + r accepted")
		}
	})
	// The lane, receipt claim and sync rotation kinds: TestLeafKindsSolve,
	// TestUniversalReceiptKinds and TestUniversalSyncRotationKinds. The native statement:
	honest := protocol.RotationClaim{SrcDomain: srcDomain, Committee: c, NextEpoch: 863, NextCommittee: next}
	if err := (&protocol.Statement{Rotations: []protocol.RotationClaim{honest}}).Validate(); err != nil {
		t.Fatalf("the canonical claim is refused: %v", err)
	}
	for _, k := range []int64{1, 13} {
		for name, r := range map[string]protocol.RotationClaim{
			"committee":      {SrcDomain: srcDomain, Committee: shifted(c, k), NextEpoch: 863, NextCommittee: next},
			"next committee": {SrcDomain: srcDomain, Committee: c, NextEpoch: 863, NextCommittee: shifted(next, k)},
		} {
			if err := (&protocol.Statement{Rotations: []protocol.RotationClaim{r}}).Validate(); err == nil {
				t.Errorf("the native statement takes the %s + %d·r", name, k)
			}
		}
	}
}
