package facts_test

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
)

type digestCircuit struct {
	Values [3]frontend.Variable
	Want   frontend.Variable `gnark:",public"`
}

var testTag = facts.Tag("isthmus.test.digest.v1")

func (c *digestCircuit) Define(api frontend.API) error {
	d, err := facts.Digest(api, testTag, c.Values[:]...)
	if err != nil {
		return err
	}
	api.AssertIsEqual(d, c.Want)
	return nil
}

// TestDigestTwin: the native digest is the circuit's, and another tag or value is another
// digest.
func TestDigestTwin(t *testing.T) {
	vals := []fr.Element{fr.NewElement(1), fr.NewElement(2), fr.NewElement(3)}
	want := facts.DigestOf(testTag, vals...)
	a := &digestCircuit{Values: [3]frontend.Variable{1, 2, 3}, Want: want.String()}
	if err := test.IsSolved(&digestCircuit{}, a, ecc.BLS12_377.ScalarField()); err != nil {
		t.Fatalf("the circuit's digest is not the twin's: %v", err)
	}
	for name, other := range map[string]fr.Element{
		"another tag":    facts.DigestOf(facts.Tag("isthmus.test.other.v1"), vals...),
		"another value":  facts.DigestOf(testTag, vals[0], vals[1], fr.NewElement(4)),
		"one value less": facts.DigestOf(testTag, vals[:2]...),
	} {
		if other == want {
			t.Errorf("%s: the same digest", name)
		}
		a.Want = other.String()
		if test.IsSolved(&digestCircuit{}, a, ecc.BLS12_377.ScalarField()) == nil {
			t.Errorf("%s: the circuit accepts it", name)
		}
	}
}
