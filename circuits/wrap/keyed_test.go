package wrap

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bw6-761/fp"
	"github.com/consensys/gnark/backend/groth16"
	groth16bw6761 "github.com/consensys/gnark/backend/groth16/bw6-761"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

// TestKeyedWrap: the keyed wrap takes a proof under either aggregation key of its list (the
// key a witness, its hash the native twin's) and exposes the statement and the
// configuration of the allow-list's root and the keys' hashes; it refuses a proof under a
// key outside the list, another configuration, another statement, a key whose hash stands
// in the list but whose coordinates are another key's, and a proof whose points lie outside
// the prime-order subgroup (A + T or C + T for a torsion point T, which the pairing alone
// does not see) or off the curve.
func TestKeyedWrap(t *testing.T) {
	bw6 := ecc.BW6_761.ScalarField()
	field := ecc.BN254.ScalarField()
	small, large, other := circuittest.NewStandIn(t, bw6, 2, false), circuittest.NewStandIn(t, bw6, 2, false), circuittest.NewStandIn(t, bw6, 2, false)
	keys := []groth16.VerifyingKey{small.VK, large.VK}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, NewKeyed())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("keyed wrap: %d constraints", ccs.GetNbConstraints())
	stmt, allow := big.NewInt(123456789), big.NewInt(987654321)
	assign := func(agg *circuittest.StandIn, list []groth16.VerifyingKey) *KeyedCircuit {
		proof, public := agg.Prove(t, []*big.Int{stmt, allow}, stdgroth16.GetNativeProverOptions(field, bw6))
		a, err := AssignKeyed(agg.VK, list, proof, public)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for name, agg := range map[string]*circuittest.StandIn{"the small aggregation": small, "the large aggregation": large} {
		if err := circuittest.Solve(ccs, field, assign(agg, keys)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	config, _, err := KeyedConfig(allow, keys...)
	if err != nil {
		t.Fatal(err)
	}
	if other, _, _ := KeyedConfig(allow, large.VK, small.VK); other.Cmp(config) == 0 {
		t.Fatal("the configuration does not depend on the keys' order")
	}
	outside := assign(other, []groth16.VerifyingKey{other.VK, large.VK}) // its own list's config ...
	outside.Config, outside.Keys = config, assign(small, keys).Keys      // ... replaced by the deployment's
	lying := assign(other, []groth16.VerifyingKey{other.VK, large.VK})   // a list that holds its key ...
	lying.Config = config                                                // ... under the deployment's configuration
	cases := map[string]*KeyedCircuit{"a key outside the list": outside, "a list that is not the configuration's": lying}
	changed := func(change func(a *KeyedCircuit)) *KeyedCircuit {
		a := assign(small, keys)
		change(a)
		return a
	}
	cases["another configuration"] = changed(func(a *KeyedCircuit) { a.Config = new(big.Int).Add(config, big.NewInt(1)) })
	cases["another statement"] = changed(func(a *KeyedCircuit) { a.Statement = big.NewInt(7) })
	cases["the large key's coordinates under the small key's hash"] = changed(func(a *KeyedCircuit) {
		b := assign(large, keys)
		a.Key, a.Proof, a.Witness = b.Key, b.Proof, b.Witness
		a.Keys[1] = a.Keys[0]
		a.Config, _, _ = KeyedConfig(allow, small.VK)
	})
	torsion := g1Torsion(t)
	for name, mutate := range map[string]func(*groth16bw6761.Proof){
		"A outside the subgroup": func(p *groth16bw6761.Proof) { p.Ar.Add(&p.Ar, &torsion) },
		"C outside the subgroup": func(p *groth16bw6761.Proof) { p.Krs.Add(&p.Krs, &torsion) },
		"A off the curve": func(p *groth16bw6761.Proof) {
			var one fp.Element
			one.SetOne()
			p.Ar.Y.Add(&p.Ar.Y, &one)
		},
	} {
		proof, public := small.Prove(t, []*big.Int{stmt, allow}, stdgroth16.GetNativeProverOptions(field, bw6))
		p := *proof.(*groth16bw6761.Proof)
		mutate(&p)
		a, err := AssignKeyed(small.VK, keys, &p, public)
		if err != nil {
			t.Fatal(err)
		}
		cases[name] = a
	}
	for name, a := range cases {
		if err := circuittest.Solve(ccs, field, a); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := AggregationKeyHash(circuittest.StandInKey(t, bw6, 1, false)); err == nil {
		t.Error("an aggregation key of one public input was hashed")
	}
}
