package universal

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	blsfr "github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	bwfr "github.com/consensys/gnark-crypto/ecc/bw6-761/fr"
	"github.com/consensys/gnark-crypto/ecc/bw6-761/fr/poseidon2"
	"github.com/consensys/gnark/backend/groth16"
	groth16bls12377 "github.com/consensys/gnark/backend/groth16/bls12-377"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
)

// Leaf is a leaf proof, its public witness and the verifying key it verifies under.
type Leaf struct {
	Key    groth16.VerifyingKey
	Proof  groth16.Proof
	Public witness.Witness
}

// CheckLayout refuses a verifying key that is not of the one leaf layout: BLS12-377,
// facts.Inputs public inputs, one commitment over secret variables only.
func CheckLayout(vk groth16.VerifyingKey) error {
	v, ok := vk.(*groth16bls12377.VerifyingKey)
	if !ok {
		return fmt.Errorf("universal: a %T key, want BLS12-377", vk)
	}
	if len(v.CommitmentKeys) != 1 || len(v.PublicAndCommitmentCommitted) != 1 || len(v.PublicAndCommitmentCommitted[0]) != 0 {
		return fmt.Errorf("universal: a key of %d commitments, want one over secret variables only", len(v.CommitmentKeys))
	}
	if got := len(v.G1.K) - 2; got != facts.Inputs {
		return fmt.Errorf("universal: a key of %d public inputs, want %d (facts.IO)", got, facts.Inputs)
	}
	return nil
}

// KeyHash is the hash the circuit computes of a leaf verifying key: Poseidon2 (BW6-761) of
// its coordinates.
func KeyHash(vk groth16.VerifyingKey) (*big.Int, error) {
	if err := CheckLayout(vk); err != nil {
		return nil, err
	}
	k, err := stdgroth16.ValueOfVerifyingKey[g1, g2, gt](vk)
	if err != nil {
		return nil, fmt.Errorf("universal: %w", err)
	}
	values := keyValues(&k)
	elems := make([]bwfr.Element, len(values))
	for i, x := range values {
		e, ok := x.(bwfr.Element)
		if !ok {
			return nil, fmt.Errorf("universal: a key coordinate of type %T", x)
		}
		elems[i] = e
	}
	return hashElements(elems), nil
}

func hashElements(elems []bwfr.Element) *big.Int {
	h := poseidon2.NewMerkleDamgardHasher()
	for i := range elems {
		b := elems[i].Bytes()
		h.Write(b[:])
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}

// AllowList is the ordered list of leaf verifying keys a batch may use, the export kind
// first, in a list of a fixed capacity (the circuit's kinds).
type AllowList struct {
	keys   []groth16.VerifyingKey
	hashes []*big.Int
	size   int
}

// NewAllowList checks each key's layout and hashes it. The first key is the export kind's.
func NewAllowList(capacity int, keys ...groth16.VerifyingKey) (*AllowList, error) {
	if len(keys) == 0 || len(keys) > capacity {
		return nil, fmt.Errorf("universal: %d keys for an allow-list of %d", len(keys), capacity)
	}
	a := &AllowList{keys: keys, size: capacity}
	for i, vk := range keys {
		h, err := KeyHash(vk)
		if err != nil {
			return nil, fmt.Errorf("allow-list key %d: %w", i, err)
		}
		for j, o := range a.hashes {
			if o.Cmp(h) == 0 {
				return nil, fmt.Errorf("universal: allow-list keys %d and %d are the same", j, i)
			}
		}
		a.hashes = append(a.hashes, h)
	}
	return a, nil
}

// Hashes are the list's entries as the circuit takes them: the keys' hashes, then zeros.
func (a *AllowList) Hashes() []*big.Int {
	out := make([]*big.Int, a.size)
	for i := range out {
		out[i] = new(big.Int)
		if i < len(a.hashes) {
			out[i].Set(a.hashes[i])
		}
	}
	return out
}

// Root is the list's root, the public input the Inbox keeps: the low AllowBits bits of the
// Poseidon2 hash of its entries.
func (a *AllowList) Root() *big.Int {
	hs := a.Hashes()
	elems := make([]bwfr.Element, len(hs))
	for i := range hs {
		elems[i].SetBigInt(hs[i])
	}
	r := hashElements(elems)
	return r.And(r, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), AllowBits), big.NewInt(1)))
}

// index is the entry of a key's hash, or -1.
func (a *AllowList) index(h *big.Int) int {
	for i, o := range a.hashes {
		if o.Cmp(h) == 0 {
			return i
		}
	}
	return -1
}

// ErrUnlinked: a leaf consumes a fact that no other leaf of the batch produces.
var ErrUnlinked = errors.New("a consumed fact that no leaf of the batch produces")

// Assign builds the assignment of a circuit of k slots for a batch of leaves, in any order:
// it checks every proof, orders the leaves so that each fact is produced before it is
// consumed, fills the unused slots with the first leaf again (it consumes nothing, and a
// fact produced twice is still one fact), and takes the statement from the last leaf of the
// export kind. It returns the assignment and the statement value it exports.
func Assign(k int, list *AllowList, leaves []Leaf) (*Circuit, *big.Int, error) {
	if len(leaves) == 0 || len(leaves) > k {
		return nil, nil, fmt.Errorf("universal: %d leaves for a circuit of %d slots", len(leaves), k)
	}
	type node struct {
		leaf     Leaf
		kind     int
		consumed [facts.Consumed]blsfr.Element
		produced blsfr.Element
	}
	nodes := make([]node, len(leaves))
	for i, l := range leaves {
		h, err := KeyHash(l.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("leaf %d: %w", i, err)
		}
		n := &nodes[i]
		n.leaf = l
		if n.kind = list.index(h); n.kind < 0 {
			return nil, nil, fmt.Errorf("universal: leaf %d: its key is not in the allow-list", i)
		}
		if err := groth16.Verify(l.Proof, l.Key, l.Public, stdgroth16.GetNativeVerifierOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField())); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d (kind %d): %w", i, n.kind, err)
		}
		vec, ok := l.Public.Vector().(blsfr.Vector)
		if !ok || len(vec) != facts.Inputs {
			return nil, nil, fmt.Errorf("universal: leaf %d: a public witness of %d BLS12-377 inputs expected", i, facts.Inputs)
		}
		copy(n.consumed[:], vec[:facts.Consumed])
		n.produced = vec[facts.Consumed]
	}

	// Order: repeatedly take the first leaf whose consumed facts are all produced.
	var order []int
	at := map[blsfr.Element]int{} // a produced fact's slot
	done := make([]bool, len(nodes))
	for len(order) < len(nodes) {
		next := -1
		for i := range nodes {
			if done[i] {
				continue
			}
			ready := true
			for _, c := range nodes[i].consumed {
				if _, ok := at[c]; !c.IsZero() && !ok {
					ready = false
					break
				}
			}
			if ready {
				next = i
				break
			}
		}
		if next < 0 {
			for i := range nodes {
				for a, c := range nodes[i].consumed {
					if _, ok := at[c]; !done[i] && !c.IsZero() && !ok {
						return nil, nil, fmt.Errorf("universal: leaf %d (kind %d), input %d: %w (%s)", i, nodes[i].kind, a, ErrUnlinked, c.Text(16))
					}
				}
			}
		}
		done[next] = true
		if _, ok := at[nodes[next].produced]; !ok {
			at[nodes[next].produced] = len(order)
		}
		order = append(order, next)
	}

	c, err := New(k, list.size)
	if err != nil {
		return nil, nil, err
	}
	for i, h := range list.Hashes() {
		c.Kinds[i] = h
	}
	c.Allow = list.Root()
	exporter := -1
	for s := 0; s < k; s++ {
		j := 0 // unused slots repeat the first leaf
		if s < len(order) {
			j = s
		}
		n := &nodes[order[j]]
		slot := &c.Slots[s]
		if slot.Key, err = stdgroth16.ValueOfVerifyingKey[g1, g2, gt](n.leaf.Key); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d: %w", order[j], err)
		}
		if slot.Proof, err = stdgroth16.ValueOfProof[g1, g2](n.leaf.Proof); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d: %w", order[j], err)
		}
		if slot.Witness, err = stdgroth16.ValueOfWitness[fr](n.leaf.Public); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d: %w", order[j], err)
		}
		for a, cf := range n.consumed {
			slot.Links[a], slot.None[a] = 0, 1
			if !cf.IsZero() {
				slot.Links[a], slot.None[a] = at[cf], 0
			}
		}
		if n.kind == 0 && s < len(order) {
			exporter = s
		}
	}
	if exporter < 0 {
		return nil, nil, errors.New("universal: no leaf of the export kind (the allow-list's first key)")
	}
	statement := nodes[order[exporter]].produced.BigInt(new(big.Int))
	if statement.BitLen() > facts.StatementBits {
		return nil, nil, fmt.Errorf("universal: the export leaf produces %d bits, want at most %d", statement.BitLen(), facts.StatementBits)
	}
	c.Exporter, c.Statement = exporter, statement
	return c, statement, nil
}

var _ frontend.Circuit = (*Circuit)(nil)
