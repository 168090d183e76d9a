package leaf

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/internal/circuittest"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// stateProof is one key's proof in a trie, with what its leaf must give.
type stateProof struct {
	name    string
	root    common.Hash
	key     common.Hash
	nodes   [][]byte
	account bool
	want    common.Hash // the account's storageRoot, or the storage word
}

func mainnetStateProofs(t *testing.T) []stateProof {
	ps, err := mainnet.StateProofs()
	if err != nil {
		t.Fatal(err)
	}
	var out []stateProof
	for _, p := range ps {
		out = append(out, stateProof{p.Name, p.Root, common.BytesToHash(p.Key), p.Nodes, p.Account, p.Want})
	}
	return out
}

// devnetStateProofs are an Outbox's account proof and its lane's word and acc storage proofs,
// read from the devnet's source chain with eth_getProof.
func devnetStateProofs(t *testing.T) []stateProof {
	_, h, lp := devnetLane(t)
	slotProof := func(name string, sp chain.StorageProof) stateProof {
		return stateProof{name, lp.StorageRoot, crypto.Keccak256Hash(sp.Slot[:]), byteNodes(sp.Proof), false, sp.Value}
	}
	return []stateProof{
		{"devnet outbox account", h.Root, crypto.Keccak256Hash(lp.Outbox[:]), byteNodes(lp.AccountProof), true, lp.StorageRoot},
		slotProof("devnet lane word", lp.Word),
		slotProof("devnet lane acc", lp.Acc),
	}
}

// devnetLane starts a devnet (closed with the test), sends three messages to its
// destination, finalizes the source's head and proves the lane there (eth_getProof).
func devnetLane(t *testing.T) (*devnet.Devnet, *types.Header, *chain.LaneProof) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := devnet.StartForTest(t)
	for i := range 3 {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, common.Address{0xbb}, 100_000, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := d.Src.ProveLane(ctx, h, d.Config.DestinationDomain, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, h, lp
}

func byteNodes(p []hexutil.Bytes) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}

func TestStateStepOnMainnetAndDevnetProofs(t *testing.T) {
	ccs := circuittest.Compile(t, "state step", field, &StateStepCircuit{})
	solve := func(a *StateStepCircuit) error { a.SetShape(); return circuittest.Solve(ccs, field, a) }
	proofs := append(mainnetStateProofs(t), devnetStateProofs(t)...)
	// The forgeries touch the first and last steps: each shape of those (the trie, the
	// kinds of its first and last nodes) is forged once.
	forged := map[string]bool{}
	for _, sp := range proofs {
		value, steps, err := mpt.VerifyNative(sp.root, sp.key[:], sp.nodes)
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		for i := range steps {
			a, pub, err := AssignStateStep(sp.key, steps, i, value, sp.account)
			if err != nil {
				t.Fatalf("%s step %d: %v", sp.name, i, err)
			}
			if i == 0 && pub.Node != sp.root {
				t.Fatalf("%s: first node is not the root", sp.name)
			}
			if pub.IsLeaf && pub.Out != sp.want {
				t.Fatalf("%s: leaf gives %s, eth_getProof says %s", sp.name, pub.Out, sp.want)
			}
			if err := solve(a); err != nil {
				t.Fatalf("%s step %d (%s, depth %d): %v", sp.name, i, steps[i].Kind, steps[i].Depth, err)
			}
		}
		shape := fmt.Sprintf("%v %v %v %d", sp.account, steps[0].Kind, steps[len(steps)-1].Kind, min(len(steps), 2))
		if !forged[shape] {
			forged[shape] = true
			refuseTamperedStep(t, ccs, sp, steps, value)
		}
	}
	t.Logf("%d proofs solved step by step, forgeries on %d shapes of them", len(proofs), len(forged))
	// The lane's word decodes to the count sent.
	for _, sp := range proofs {
		if sp.name == "devnet lane word" {
			w, err := protocol.DecodeLaneWord(sp.want)
			if err != nil || w.Count != 3 {
				t.Fatalf("lane word %s: count %d (%v), want 3", sp.want, w.Count, err)
			}
		}
	}
}

func refuseTamperedStep(t *testing.T, ccs constraint.ConstraintSystem, sp stateProof, steps []mpt.Step, value []byte) {
	t.Helper()
	solve := func(a *StateStepCircuit) error { a.SetShape(); return circuittest.Solve(ccs, field, a) }
	last := len(steps) - 1
	bump := func(v frontend.Variable) frontend.Variable { return new(big.Int).Add(v.(*big.Int), big.NewInt(1)) }
	assign := func(i int) *StateStepCircuit {
		a, _, err := AssignStateStep(sp.key, steps, i, value, sp.account)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cases := map[string]*StateStepCircuit{}
	a := assign(last)
	a.Out[1] = bump(a.Out[1])
	cases["leaf gives another value"] = a
	a = assign(last)
	a.Account = boolVar(!sp.account)
	cases["leaf read as the other trie's"] = a
	a = assign(last)
	a.IsLeaf = 0
	cases["leaf flagged as not a leaf"] = a
	// A branch reads one nibble of the key (at its depth 0): change that one.
	a = assign(0)
	a.Key[0] = new(big.Int).Xor(a.Key[0].(*big.Int), new(big.Int).Lsh(big.NewInt(1), 124))
	cases["another key nibble where the node reads it"] = a
	a = assign(0)
	a.Node[0] = bump(a.Node[0])
	cases["another node hash"] = a
	a = assign(0)
	a.NextDepth = steps[0].Next + 1
	cases["another next depth"] = a
	if last > 0 {
		a = assign(0)
		a.Out[0] = bump(a.Out[0])
		cases["another child"] = a
	}
	for name, c := range cases {
		if solve(c) == nil {
			t.Errorf("%s: %s accepted", sp.name, name)
		}
	}
	// The packed shape must be the fields': a shape one off (another depth) is refused.
	a = assign(0)
	if err := solve(a); err != nil {
		t.Fatalf("%s: step 0: %v", sp.name, err)
	}
	a.Shape = toBig(a.Shape).Uint64() + 1
	if circuittest.Solve(ccs, field, a) == nil {
		t.Errorf("%s: a shape that is not the fields' accepted", sp.name)
	}
}

func publics(t *testing.T, sp stateProof) ([]*StateStepPublic, []mpt.Step, []byte) {
	t.Helper()
	value, steps, err := mpt.VerifyNative(sp.root, sp.key[:], sp.nodes)
	if err != nil {
		t.Fatal(err)
	}
	var pubs []*StateStepPublic
	for i := range steps {
		_, pub, err := AssignStateStep(sp.key, steps, i, value, sp.account)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, pub)
	}
	return pubs, steps, value
}

func TestLinkStateSteps(t *testing.T) {
	for _, sp := range mainnetStateProofs(t) {
		pubs, steps, _ := publics(t, sp)
		out, err := LinkStateSteps(sp.root, pubs)
		if err != nil || out != sp.want {
			t.Fatalf("%s: linked to %s (%v), want %s", sp.name, out, err, sp.want)
		}
		clonePubs := func() []*StateStepPublic {
			c := make([]*StateStepPublic, len(pubs))
			for i, p := range pubs {
				q := *p
				c[i] = &q
			}
			return c
		}
		bad := map[string][]*StateStepPublic{}
		c := clonePubs()
		bad["truncated"] = c[:len(c)-1]
		bad["first step dropped"] = clonePubs()[1:]
		c = clonePubs()
		c[0], c[1] = c[1], c[0]
		bad["two steps swapped"] = c
		// A branch's child hash swapped for its sibling's: the next node no longer links.
		c = clonePubs()
		node := steps[0].Node
		sibling := siblingHash(t, node, int(mpt.Nibbles(sp.key[:])[0]))
		c[0].Out = sibling
		bad["a node's hash swapped for its sibling's"] = c
		c = clonePubs()
		c[len(c)-1].Key[0] ^= 1
		bad["leaf for another key"] = c
		for name, b := range bad {
			if _, err := LinkStateSteps(sp.root, b); err == nil {
				t.Errorf("%s: %s linked", sp.name, name)
			}
		}
		if _, err := LinkStateSteps(crypto.Keccak256Hash(sp.root[:]), pubs); err == nil {
			t.Errorf("%s: linked under another root", sp.name)
		}
	}
}

// siblingHash is a branch's child hash next to the one at nibble n.
func siblingHash(t *testing.T, branch []byte, n int) common.Hash {
	t.Helper()
	_, items, err := rlp.DecodeList(branch, 0)
	if err != nil || len(items) != 17 {
		t.Fatalf("not a branch: %v", err)
	}
	for d := 1; d < 16; d++ {
		if it := items[(n+d)%16]; !it.IsList && it.PayloadLen == 32 {
			return common.BytesToHash(branch[it.PayloadOffset:it.End])
		}
	}
	t.Fatal("no sibling")
	return common.Hash{}
}

// A storage trie whose keys share 30 bytes and hold one-byte words: leaves (and a branch of
// them) sit inside their parents. Every step passes, the chain links, and an embedded
// reference taken for a hash does not.
func TestStateStepThroughEmbeddedNodes(t *testing.T) {
	ccs := circuittest.Compile(t, "state step", field, &StateStepCircuit{})
	solve := func(a *StateStepCircuit) error { a.SetShape(); return circuittest.Solve(ccs, field, a) }
	prefix := strings.Repeat("c3", 30)
	var keys, values [][]byte
	for _, tail := range []string{"0001", "0002", "0010", "1000", "1001", "2f00"} {
		keys = append(keys, common.FromHex("0x"+prefix+tail))
		values = append(values, []byte{byte(len(keys))}) // rlp of a one-byte word is the byte
	}
	tr := circuittest.NewTrie(t, keys, values)
	embedded := 0
	for n, k := range keys {
		value, steps, err := mpt.VerifyNative(tr.Root(), k, tr.Prove(k))
		if err != nil {
			t.Fatal(err)
		}
		var pubs []*StateStepPublic
		for i := range steps {
			a, pub, err := AssignStateStep(common.BytesToHash(k), steps, i, value, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := solve(a); err != nil {
				t.Fatalf("key %x step %d (%s, embedded %v): %v", k, i, steps[i].Kind, steps[i].Embedded, err)
			}
			if pub.Embedded {
				embedded++
				a.Embedded = 0 // the same bytes taken for a hashed node
				if solve(a) == nil {
					t.Fatalf("key %x step %d: an embedded node accepted as hashed", k, i)
				}
			}
			pubs = append(pubs, pub)
		}
		word, err := LinkStateSteps(tr.Root(), pubs)
		if err != nil || word != common.BigToHash(big.NewInt(int64(n+1))) {
			t.Fatalf("key %x: linked to %s (%v)", k, word, err)
		}
		for i := range pubs[:len(pubs)-1] {
			if pubs[i].OutEmbedded {
				q := *pubs[i]
				q.OutEmbedded = false
				bad := append(append(append([]*StateStepPublic(nil), pubs[:i]...), &q), pubs[i+1:]...)
				if _, err := LinkStateSteps(tr.Root(), bad); err == nil {
					t.Fatalf("key %x: an embedded link taken for a hash", k)
				}
			}
		}
	}
	if embedded == 0 {
		t.Fatal("no embedded node on any path")
	}
}
