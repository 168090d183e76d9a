package mpt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
)

var field = ecc.BLS12_377.ScalarField()

// stepCircuit runs StepNode on one node and asserts its outputs equal the expected ones.
type stepCircuit struct {
	Node              [MaxNodeLen]uints.U8
	Length            frontend.Variable
	Key               [KeyNibbles]frontend.Variable
	Depth             frontend.Variable
	Hash              [32]frontend.Variable
	IsLeaf, NextDepth frontend.Variable
	Child             [32]frontend.Variable
	Value             [MaxValueLen]frontend.Variable
	ValueLen          frontend.Variable
}

func (c *stepCircuit) Define(api frontend.API) error {
	for _, k := range c.Key {
		api.ToBinary(k, 4)
	}
	out, err := StepNode(api, c.Node[:], c.Length, c.Key[:], c.Depth)
	if err != nil {
		return err
	}
	bf, err := uints.NewBytes(api)
	if err != nil {
		return err
	}
	notLeaf := api.Sub(1, out.IsLeaf)
	for k := 0; k < 32; k++ {
		api.AssertIsEqual(bf.Value(out.Hash[k]), c.Hash[k])
		api.AssertIsEqual(api.Mul(notLeaf, api.Sub(out.Child[k], c.Child[k])), 0)
	}
	for k := range c.Value {
		api.AssertIsEqual(out.Value[k], c.Value[k])
	}
	api.AssertIsEqual(out.IsLeaf, c.IsLeaf)
	api.AssertIsEqual(out.NextDepth, c.NextDepth)
	api.AssertIsEqual(out.ValueLen, c.ValueLen)
	return nil
}

// stepAssignment is step i of a native walk, with key and the expected outputs.
func stepAssignment(key []byte, steps []Step, i int, value []byte) *stepCircuit {
	s := steps[i]
	a := &stepCircuit{Length: len(s.Node), Depth: s.Depth, NextDepth: s.Next, IsLeaf: 0, ValueLen: 0}
	for j := range a.Node {
		a.Node[j] = uints.NewU8(0)
		if j < len(s.Node) {
			a.Node[j] = uints.NewU8(s.Node[j])
		}
	}
	for j, n := range Nibbles(key) {
		a.Key[j] = n
	}
	for j := 0; j < 32; j++ {
		a.Hash[j] = s.Hash[j]
		a.Child[j] = 0
	}
	for j := range a.Value {
		a.Value[j] = 0
	}
	if s.Kind == Leaf {
		a.IsLeaf, a.ValueLen = 1, len(value)
		for j, b := range value {
			a.Value[j] = b
		}
	} else {
		for j := 0; j < 32; j++ {
			a.Child[j] = steps[i+1].Hash[j]
		}
	}
	return a
}

type walked struct {
	name  string
	key   []byte
	steps []Step
	value []byte
}

func walkedCases(t *testing.T) []walked {
	var out []walked
	for _, c := range mainnetCases(t) {
		if len(c.key) != 32 {
			continue // receipt keys are rlp(index), not 32-byte hashes
		}
		v, steps, err := VerifyNative(c.root, c.key, c.proof)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			if s.Embedded {
				t.Fatalf("%s: embedded node (not supported by StepNode)", c.name)
			}
		}
		out = append(out, walked{c.name, c.key, steps, v})
	}
	return out
}

func compileStep(t *testing.T) func(*stepCircuit) error {
	ccs := circuittest.Compile(t, "mpt step", field, &stepCircuit{})
	return func(a *stepCircuit) error { return circuittest.Solve(ccs, field, a) }
}

// Every node of the mainnet account and storage proofs passes with the twin's outputs.
func TestStepNodeOnMainnetProofs(t *testing.T) {
	solve := compileStep(t)
	kinds := map[Kind]int{}
	for _, w := range walkedCases(t) {
		for i, s := range w.steps {
			if err := solve(stepAssignment(w.key, w.steps, i, w.value)); err != nil {
				t.Fatalf("%s: step %d (%s, %d bytes, depth %d): %v", w.name, i, s.Kind, len(s.Node), s.Depth, err)
			}
			kinds[s.Kind]++
		}
	}
	if kinds[Branch] < 10 || kinds[Leaf] < 3 {
		t.Fatalf("node kinds covered: %v", kinds)
	}
}

func TestStepNodeRefuses(t *testing.T) {
	solve := compileStep(t)
	for _, w := range walkedCases(t)[:2] { // an account proof and a storage proof
		last := len(w.steps) - 1
		leaf := w.steps[last]
		cases := map[string]*stepCircuit{}

		a := stepAssignment(w.key, w.steps, last, w.value)
		a.Key[KeyNibbles-1] = (a.Key[KeyNibbles-1].(byte) + 1) % 16
		cases["leaf path differs from the key"] = a

		a = stepAssignment(w.key, w.steps, last, w.value)
		a.Depth, a.NextDepth = leaf.Depth-1, leaf.Next-1
		cases["leaf at the wrong depth"] = a

		a = stepAssignment(w.key, w.steps, last, w.value)
		a.Node[len(leaf.Node)-1] = uints.NewU8(leaf.Node[len(leaf.Node)-1] ^ 1)
		cases["leaf value byte flipped"] = a

		a = stepAssignment(w.key, w.steps, 0, w.value)
		a.Node[100] = uints.NewU8(w.steps[0].Node[100] ^ 1)
		cases["branch byte flipped"] = a

		a = stepAssignment(w.key, w.steps, 0, w.value)
		a.Length = len(w.steps[0].Node) - 1
		cases["branch truncated"] = a

		a = stepAssignment(w.key, w.steps, 0, w.value)
		a.Depth = KeyNibbles
		cases["branch past the key's end"] = a

		a = stepAssignment(w.key, w.steps, 0, w.value)
		a.Child[0] = (a.Child[0].(byte)) ^ 1
		cases["wrong child"] = a

		for name, c := range cases {
			if solve(c) == nil {
				t.Errorf("%s: %s accepted", w.name, name)
			}
		}
	}
}

// A trie made with go-ethereum whose keys share prefixes, so that its proofs run through
// extension nodes: every step passes, and a key that leaves the extension's path is refused.
func TestStepNodeThroughExtensions(t *testing.T) {
	solve := compileStep(t)
	tr := trie.NewEmpty(triedb.NewDatabase(rawdb.NewMemoryDatabase(), nil))
	var keys [][]byte
	for i := 0; i < 6; i++ {
		k := common.HexToHash("0xabcdef0123" + strings.Repeat("0", 53) + string("0123456789abcdef"[i]))
		keys = append(keys, k[:])
		k2 := common.HexToHash("0x5a5a" + strings.Repeat("7", 58) + string("0123456789abcdef"[i]) + "1")
		keys = append(keys, k2[:])
	}
	for i, k := range keys {
		if err := tr.Update(k, common.LeftPadBytes([]byte{byte(i + 1), 0xee}, 40)); err != nil {
			t.Fatal(err)
		}
	}
	root := tr.Hash()
	extensions := 0
	for _, k := range keys {
		db := memorydb.New()
		if err := tr.Prove(k, db); err != nil {
			t.Fatal(err)
		}
		proof := proofNodes(db)
		value, steps, err := VerifyNative(root, k, proof)
		if err != nil {
			t.Fatal(err)
		}
		if want := gethVerify(t, root, k, proof); !bytes.Equal(value, want) {
			t.Fatalf("value %x, go-ethereum %x", value, want)
		}
		for i, s := range steps {
			if s.Embedded {
				t.Fatal("embedded node")
			}
			if s.Kind == Extension {
				extensions++
				a := stepAssignment(k, steps, i, value)
				a.Key[s.Depth+1] = (a.Key[s.Depth+1].(byte) + 1) % 16
				if solve(a) == nil {
					t.Fatalf("key %x leaves the extension's path, accepted", k)
				}
			}
			if err := solve(stepAssignment(k, steps, i, value)); err != nil {
				t.Fatalf("key %x step %d (%s): %v", k, i, s.Kind, err)
			}
		}
	}
	if extensions == 0 {
		t.Fatal("no extension node on any path")
	}
}

// proofNodes lists the nodes go-ethereum's Prove wrote.
func proofNodes(db *memorydb.Database) [][]byte {
	var out [][]byte
	it := db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		out = append(out, append([]byte(nil), it.Value()...))
	}
	return out
}
