package leaf

import (
	"math/big"
	"testing"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// signedRotation is the assignment of a rotation leaf of capacity 4 for r, whose digest the
// first signers of a 4-member test committee signed as the rotation of (dom, epoch, next).
func signedRotation(t testing.TB, r protocol.RotationClaim, signers int, dom uint32, epoch uint64, next common.Hash) *RotationCircuit {
	t.Helper()
	c, keys := testCommittee(t, 4)
	d := committee.RotationDigestNative(dom, epoch, next)
	sigs := map[int]*eddsanative.Signature{}
	for i := 0; i < signers; i++ {
		s, err := committee.Sign(keys[i], d)
		if err != nil {
			t.Fatal(err)
		}
		sigs[i] = s
	}
	a, h, err := AssignRotation(r, c, sigs, 4)
	if err != nil {
		t.Fatal(err)
	}
	if h != r.Hash() {
		t.Fatal("the leaf's claim hash is not protocol.RotationClaim.Hash")
	}
	return a
}

func TestRotationLeaf(t *testing.T) {
	ccs := circuittest.Compile(t, "rotation leaf, capacity 4", field, NewRotationCircuit(4))
	solve := func(a *RotationCircuit) error { return circuittest.Solve(ccs, field, a) }
	c, _ := testCommittee(t, 4)
	next, _ := testCommittee(t, 5)
	r := protocol.RotationClaim{SrcDomain: srcDomain, Committee: c.CommitmentHash(), NextEpoch: 1, NextCommittee: next.CommitmentHash()}
	if err := solve(signedRotation(t, r, 3, r.SrcDomain, r.NextEpoch, r.NextCommittee)); err != nil {
		t.Fatalf("3 of 4 signed the rotation: %v", err)
	}
	bump := func(v frontend.Variable) frontend.Variable { return new(big.Int).Add(toBig(v), big.NewInt(1)) }
	tamper := func(off int) *RotationCircuit {
		a := signedRotation(t, r, 4, r.SrcDomain, r.NextEpoch, r.NextCommittee)
		a.Encoded[off] = uints.NewU8(r.Encode()[off] ^ 1)
		return a
	}
	var other common.Hash
	other[31] = 1
	cases := map[string]*RotationCircuit{
		"below the quorum (2 of 4)": signedRotation(t, r, 2, r.SrcDomain, r.NextEpoch, r.NextCommittee),
		"signed for another domain": signedRotation(t, r, 4, r.SrcDomain+1, r.NextEpoch, r.NextCommittee),
		"signed for another epoch":  signedRotation(t, r, 4, r.SrcDomain, r.NextEpoch+1, r.NextCommittee),
		"signed another committee":  signedRotation(t, r, 4, r.SrcDomain, r.NextEpoch, other),
		"another claim hash": func() *RotationCircuit {
			a := signedRotation(t, r, 4, r.SrcDomain, r.NextEpoch, r.NextCommittee)
			a.ClaimHash[1] = bump(a.ClaimHash[1])
			return a
		}(),
		"another kind":              tamper(rotKind),
		"another domain":            tamper(rotSrc + 3),
		"another current committee": tamper(rotCommittee + 31),
		"another epoch":             tamper(rotEpoch + 7),
		"another next committee":    tamper(rotNext),
	}
	// A header's signatures are not a rotation's: the members signed the block digest.
	headerSigned := signedRotation(t, r, 0, 0, 0, common.Hash{})
	cm, keys := testCommittee(t, 4)
	sigs := map[int]*eddsanative.Signature{}
	for i := range 4 {
		s, err := committee.Sign(keys[i], committee.DigestNative(r.SrcDomain, r.NextEpoch, r.NextCommittee))
		if err != nil {
			t.Fatal(err)
		}
		sigs[i] = s
	}
	w, err := committee.ValueOf(cm, sigs, 4)
	if err != nil {
		t.Fatal(err)
	}
	headerSigned.Signers = w
	cases["signatures of a header digest"] = headerSigned
	for name, a := range cases {
		if solve(a) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := AssignRotation(r, next, nil, 4); err == nil {
		t.Fatal("a rotation assigned with a committee that is not the claim's")
	}
}
