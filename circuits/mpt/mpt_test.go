package mpt

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/cmp"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
)

var field = ecc.BLS12_377.ScalarField()

// maxTestValue bounds the leaf values the step tests compare: an account's RLP is at most
// 110 bytes; a receipt here at most 1,024.
const maxTestValue = 1024

// stepCircuit runs StepNode on one node of capacity len(Node) and asserts its outputs equal
// the expected ones.
type stepCircuit struct {
	Node              []uints.U8
	Length            frontend.Variable
	Key               [KeyNibbles]frontend.Variable
	KeyLen, Depth     frontend.Variable
	Hash              [32]frontend.Variable
	IsLeaf, NextDepth frontend.Variable
	Child             [32]frontend.Variable
	ChildEmbedded     frontend.Variable
	Value             []frontend.Variable
	ValueLen          frontend.Variable
}

func newStepCircuit(capacity, maxValue int) *stepCircuit {
	return &stepCircuit{Node: make([]uints.U8, capacity), Value: make([]frontend.Variable, maxValue)}
}

func (c *stepCircuit) Define(api frontend.API) error {
	for _, k := range c.Key {
		api.ToBinary(k, 4)
	}
	out, err := StepNode(api, c.Node, c.Length, c.Key[:], c.KeyLen, c.Depth)
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
	valueLen := api.Mul(out.IsLeaf, out.ValueItem.PayloadLen)
	api.AssertIsEqual(valueLen, c.ValueLen)
	bound := cmp.NewBoundedComparator(api, big.NewInt(1<<16), false)
	for k, b := range out.Decoder.Bytes(api.Mul(out.IsLeaf, out.ValueItem.PayloadOffset), len(c.Value)) {
		api.AssertIsEqual(api.Mul(bound.IsLess(k, valueLen), b), c.Value[k])
	}
	api.AssertIsEqual(out.IsLeaf, c.IsLeaf)
	api.AssertIsEqual(out.NextDepth, c.NextDepth)
	api.AssertIsEqual(out.ChildEmbedded, c.ChildEmbedded)
	return nil
}

// stepAssignment is step i of a native walk of key, with the expected outputs, for a circuit
// of the given node capacity and value bound.
func stepAssignment(key []byte, steps []Step, i int, value []byte, capacity, maxValue int) *stepCircuit {
	s := steps[i]
	a := newStepCircuit(capacity, maxValue)
	a.Length, a.Depth, a.NextDepth, a.IsLeaf, a.ValueLen = len(s.Node), s.Depth, s.Next, 0, 0
	for j := range a.Node {
		a.Node[j] = uints.NewU8(0)
		if j < len(s.Node) {
			a.Node[j] = uints.NewU8(s.Node[j])
		}
	}
	nib := Nibbles(key)
	a.KeyLen = len(nib)
	for j := range a.Key {
		a.Key[j] = byte(0)
		if j < len(nib) {
			a.Key[j] = nib[j]
		}
	}
	hash := crypto.Keccak256Hash(s.Node) // embedded nodes are hashed too, their reference is their bytes
	a.ChildEmbedded = 0
	for j := 0; j < 32; j++ {
		a.Hash[j] = hash[j]
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
		next := steps[i+1]
		ref := next.Hash
		if next.Embedded {
			ref, a.ChildEmbedded = common.BytesToHash(next.Node), 1
		}
		for j := 0; j < 32; j++ {
			a.Child[j] = ref[j]
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

const stateValue = 112 // an account's RLP is at most 110 bytes

func compileStep(t *testing.T) func(*stepCircuit) error {
	ccs := circuittest.Compile(t, "mpt step", field, newStepCircuit(MaxNodeLen, stateValue))
	return func(a *stepCircuit) error { return circuittest.Solve(ccs, field, a) }
}

// state is stepAssignment for the state-trie circuit.
func state(key []byte, steps []Step, i int, value []byte) *stepCircuit {
	return stepAssignment(key, steps, i, value, MaxNodeLen, stateValue)
}

// Receipt 39's proof: a short key (rlp(39), two nibbles) and a 915-byte leaf holding the
// receipt, in a circuit of 1,024-byte node capacity.
func TestStepNodeOnTheMainnetReceiptProof(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a circuit of 1,024-byte nodes")
	}
	r, err := mainnet.ReceiptProof()
	if err != nil {
		t.Fatal(err)
	}
	value, steps, err := VerifyNative(r.Root, r.Key, r.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	ccs := circuittest.Compile(t, "mpt step, 1024-byte nodes", field, newStepCircuit(1024, maxTestValue))
	for i := range steps {
		if err := circuittest.Solve(ccs, field, stepAssignment(r.Key, steps, i, value, 1024, maxTestValue)); err != nil {
			t.Fatalf("step %d (%s, %d bytes, depth %d): %v", i, steps[i].Kind, len(steps[i].Node), steps[i].Depth, err)
		}
	}
	last := len(steps) - 1
	a := stepAssignment(r.Key, steps, last, value, 1024, maxTestValue)
	a.KeyLen = 4 // the key rlp(39) as if it were longer: the leaf no longer completes it
	if circuittest.Solve(ccs, field, a) == nil {
		t.Fatal("the receipt leaf accepted for a longer key")
	}
	a = stepAssignment(r.Key, steps, last, value, 1024, maxTestValue)
	a.Value[100] = (a.Value[100].(byte)) ^ 1
	if circuittest.Solve(ccs, field, a) == nil {
		t.Fatal("another receipt accepted")
	}
}

// Every node of the mainnet account and storage proofs passes with the twin's outputs.
func TestStepNodeOnMainnetProofs(t *testing.T) {
	solve := compileStep(t)
	kinds := map[Kind]int{}
	for _, w := range walkedCases(t) {
		for i, s := range w.steps {
			if err := solve(state(w.key, w.steps, i, w.value)); err != nil {
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

		a := state(w.key, w.steps, last, w.value)
		a.Key[KeyNibbles-1] = (a.Key[KeyNibbles-1].(byte) + 1) % 16
		cases["leaf path differs from the key"] = a

		a = state(w.key, w.steps, last, w.value)
		a.Depth, a.NextDepth = leaf.Depth-1, leaf.Next-1
		cases["leaf at the wrong depth"] = a

		a = state(w.key, w.steps, last, w.value)
		a.Node[len(leaf.Node)-1] = uints.NewU8(leaf.Node[len(leaf.Node)-1] ^ 1)
		cases["leaf value byte flipped"] = a

		a = state(w.key, w.steps, 0, w.value)
		a.Node[100] = uints.NewU8(w.steps[0].Node[100] ^ 1)
		cases["branch byte flipped"] = a

		a = state(w.key, w.steps, 0, w.value)
		a.Length = len(w.steps[0].Node) - 1
		cases["branch truncated"] = a

		a = state(w.key, w.steps, 0, w.value)
		a.Depth = KeyNibbles
		cases["branch past the key's end"] = a

		a = state(w.key, w.steps, 0, w.value)
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
	var keys, values [][]byte
	for i := 0; i < 6; i++ {
		k := common.HexToHash("0xabcdef0123" + strings.Repeat("0", 53) + string("0123456789abcdef"[i]))
		k2 := common.HexToHash("0x5a5a" + strings.Repeat("7", 58) + string("0123456789abcdef"[i]) + "1")
		keys = append(keys, k[:], k2[:])
	}
	for i := range keys {
		values = append(values, common.LeftPadBytes([]byte{byte(i + 1), 0xee}, 40))
	}
	tr := circuittest.NewTrie(t, keys, values)
	root := tr.Root()
	extensions := 0
	for _, k := range keys {
		proof := tr.Prove(k)
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
				a := state(k, steps, i, value)
				a.Key[s.Depth+1] = (a.Key[s.Depth+1].(byte) + 1) % 16
				if solve(a) == nil {
					t.Fatalf("key %x leaves the extension's path, accepted", k)
				}
			}
			if err := solve(state(k, steps, i, value)); err != nil {
				t.Fatalf("key %x step %d (%s): %v", k, i, s.Kind, err)
			}
		}
	}
	if extensions == 0 {
		t.Fatal("no extension node on any path")
	}
}

// A trie whose keys share 30 bytes and hold one-byte values: its leaves, and a branch of
// them, are shorter than 32 bytes and sit inside their parents. Every step passes, the
// embedded ones referenced by their bytes.
func TestStepNodeThroughEmbeddedNodes(t *testing.T) {
	solve := compileStep(t)
	prefix := strings.Repeat("c3", 30)
	var keys, values [][]byte
	for _, tail := range []string{"0001", "0002", "0010", "1000", "1001", "2f00"} {
		keys = append(keys, common.FromHex("0x"+prefix+tail))
		values = append(values, []byte{byte(len(keys))})
	}
	tr := circuittest.NewTrie(t, keys, values)
	embedded := 0
	for _, k := range keys {
		value, steps, err := VerifyNative(tr.Root(), k, tr.Prove(k))
		if err != nil {
			t.Fatal(err)
		}
		if want := gethVerify(t, tr.Root(), k, tr.Prove(k)); !bytes.Equal(value, want) {
			t.Fatalf("value %x, go-ethereum %x", value, want)
		}
		for i, s := range steps {
			if s.Embedded {
				embedded++
			}
			if err := solve(state(k, steps, i, value)); err != nil {
				t.Fatalf("key %x step %d (%s, %d bytes, embedded %v): %v", k, i, s.Kind, len(s.Node), s.Embedded, err)
			}
			if i+1 < len(steps) && steps[i+1].Embedded {
				a := state(k, steps, i, value)
				a.ChildEmbedded = 0
				if solve(a) == nil {
					t.Fatalf("key %x step %d: an embedded child taken for a hash reference", k, i)
				}
			}
		}
	}
	if embedded == 0 {
		t.Fatal("no embedded node on any path")
	}
}
