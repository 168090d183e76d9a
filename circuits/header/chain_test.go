package header

import (
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/test"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

const linkN = 10

// linkCircuit runs AssertChain over headers given by their hashes, parent hashes and numbers
// (the keccak of each is TestGadgetOnEveryMainnetHeader's concern).
type linkCircuit struct {
	Hash, Parent [linkN][32]uints.U8
	Number       [linkN]frontend.Variable
}

func (c *linkCircuit) Define(api frontend.API) error {
	bf, err := uints.NewBytes(api)
	if err != nil {
		return err
	}
	hs := make([]*Decoded, linkN)
	for i := range hs {
		parent := make([]frontend.Variable, 32)
		for k := range parent {
			parent[k] = bf.Value(c.Parent[i][k])
		}
		hs[i] = &Decoded{Hash: c.Hash[i][:], ParentHash: parent, Number: c.Number[i]}
	}
	return AssertChain(api, hs)
}

func consecutive(t *testing.T) []*Fields {
	var out []*Fields
	for _, h := range loadHeaders(t) {
		if h.Number >= 1000001 && h.Number <= 1000010 {
			f, err := DecodeNative(h.RLP)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, f)
		}
	}
	if len(out) != linkN {
		t.Fatalf("%d consecutive headers, want %d", len(out), linkN)
	}
	return out
}

func TestChainOfTenMainnetHeaders(t *testing.T) {
	fs := consecutive(t)
	assign := func(fs []*Fields) *linkCircuit {
		a := &linkCircuit{}
		for i, f := range fs {
			a.Hash[i] = [32]uints.U8(uints.NewU8Array(f.Hash[:]))
			a.Parent[i] = [32]uints.U8(uints.NewU8Array(f.ParentHash[:]))
			a.Number[i] = f.Number
		}
		return a
	}
	if err := test.IsSolved(&linkCircuit{}, assign(fs), field); err != nil {
		t.Fatalf("ten consecutive mainnet headers: %v", err)
	}
	swapped := append([]*Fields(nil), fs...)
	swapped[4], swapped[5] = swapped[5], swapped[4]
	skipped := append(append([]*Fields(nil), fs[:3]...), fs[4:]...)
	skipped = append(skipped, fs[9])
	renumbered := append([]*Fields(nil), fs...)
	r := *fs[6]
	r.Number++
	renumbered[6] = &r
	for name, bad := range map[string][]*Fields{"swapped": swapped, "skipped": skipped, "renumbered": renumbered} {
		if test.IsSolved(&linkCircuit{}, assign(bad), field) == nil {
			t.Errorf("%s chain accepted", name)
		}
	}
}

// fullChainCircuit decodes linkN headers in full (keccak included) and links them.
type fullChainCircuit struct {
	RLP    [linkN][MaxLen]uints.U8
	Length [linkN]frontend.Variable
}

func (c *fullChainCircuit) Define(api frontend.API) error {
	var hs []*Decoded
	for i := range c.RLP {
		d, err := Decode(api, c.RLP[i][:], c.Length[i])
		if err != nil {
			return err
		}
		hs = append(hs, d)
	}
	return AssertChain(api, hs)
}

// The ten consecutive mainnet headers pass the chain gadget with every header hashed in
// the circuit; with two of them swapped, or one replaced by another block, they do not.
func TestChainOfTenWithKeccak(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 6.6M-constraint circuit")
	}
	ccs := circuittest.Compile(t, "ten linked headers", field, &fullChainCircuit{})
	var encs [][]byte
	for _, h := range loadHeaders(t) {
		if h.Number >= 1000001 && h.Number <= 1000010 {
			encs = append(encs, h.RLP)
		}
	}
	assign := func(encs [][]byte) *fullChainCircuit {
		c := &fullChainCircuit{}
		for i, enc := range encs {
			c.Length[i] = len(enc)
			for k := range c.RLP[i] {
				c.RLP[i][k] = uints.NewU8(0)
				if k < len(enc) {
					c.RLP[i][k] = uints.NewU8(enc[k])
				}
			}
		}
		return c
	}
	if err := circuittest.Solve(ccs, field, assign(encs)); err != nil {
		t.Fatalf("blocks 1000001..1000010: %v", err)
	}
	swapped := append([][]byte(nil), encs...)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	replaced := append([][]byte(nil), encs...)
	replaced[9] = loadHeaders(t)[20].RLP
	for name, bad := range map[string][][]byte{"two swapped": swapped, "last replaced by another block": replaced} {
		if circuittest.Solve(ccs, field, assign(bad)) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
