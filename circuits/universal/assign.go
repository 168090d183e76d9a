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

// Plan is how a batch's leaves fill the slots: Order[s] is the leaf in slot s, Links[s][a]
// the slot whose produced fact slot s consumes at input a (-1 where it consumes nothing), and
// Exporter the slot whose produced value is the statement.
type Plan struct {
	Order    []int
	Links    [][facts.Consumed]int
	Exporter int
}

// Link orders a batch's leaves, given by their public inputs and their kinds (each key's
// index in the allow-list), so that every fact is produced before it is consumed: it takes
// the first leaf whose consumed facts are all produced, again and again. The statement is
// the last leaf of the export kind (kind 0).
func Link(values []facts.Values, kinds []int) (*Plan, error) {
	if len(values) != len(kinds) {
		return nil, fmt.Errorf("universal: %d leaves, %d kinds", len(values), len(kinds))
	}
	p := &Plan{Exporter: -1}
	at := map[blsfr.Element]int{} // a produced fact's first slot
	done := make([]bool, len(values))
	for len(p.Order) < len(values) {
		next := -1
		for i := range values {
			if done[i] {
				continue
			}
			ready := true
			for _, c := range values[i].Consumed {
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
			for i := range values {
				for a, c := range values[i].Consumed {
					if _, ok := at[c]; !done[i] && !c.IsZero() && !ok {
						return nil, fmt.Errorf("universal: leaf %d (kind %d), input %d: %w (%s)", i, kinds[i], a, ErrUnlinked, c.Text(16))
					}
				}
			}
		}
		done[next] = true
		var links [facts.Consumed]int
		for a, c := range values[next].Consumed {
			links[a] = -1
			if !c.IsZero() {
				links[a] = at[c]
			}
		}
		if _, ok := at[values[next].Produced]; !ok {
			at[values[next].Produced] = len(p.Order)
		}
		if kinds[next] == 0 {
			p.Exporter = len(p.Order)
		}
		p.Order = append(p.Order, next)
		p.Links = append(p.Links, links)
	}
	if p.Exporter < 0 {
		return nil, errors.New("universal: no leaf of the export kind (the allow-list's first key)")
	}
	return p, nil
}

// Assign builds the assignment of a circuit of the given sizes for a batch of leaves, in any
// order: it checks every proof, orders the leaves (Link), fills the unused slots with the
// first leaf again (it consumes nothing, and a fact produced twice is still one fact) and the
// key table's unused entries with its first key, and returns the assignment and the
// statement value it exports.
func Assign(z Sizes, list *AllowList, leaves []Leaf) (*Circuit, *big.Int, error) {
	if len(leaves) == 0 || len(leaves) > z.Slots {
		return nil, nil, fmt.Errorf("universal: %d leaves for a circuit of %d slots", len(leaves), z.Slots)
	}
	if list.size != z.Kinds {
		return nil, nil, fmt.Errorf("universal: an allow-list of %d entries for a circuit of %d", list.size, z.Kinds)
	}
	values := make([]facts.Values, len(leaves))
	kinds := make([]int, len(leaves))
	var table []int     // the kinds of the key table, in order of first use
	at := map[int]int{} // a kind's entry in the table
	for i, l := range leaves {
		h, err := KeyHash(l.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("leaf %d: %w", i, err)
		}
		if kinds[i] = list.index(h); kinds[i] < 0 {
			return nil, nil, fmt.Errorf("universal: leaf %d: its key is not in the allow-list", i)
		}
		if _, ok := at[kinds[i]]; !ok {
			if len(table) == z.Keys {
				return nil, nil, fmt.Errorf("universal: leaf %d: more than %d kinds in one batch", i, z.Keys)
			}
			at[kinds[i]] = len(table)
			table = append(table, kinds[i])
		}
		if err := groth16.Verify(l.Proof, l.Key, l.Public, stdgroth16.GetNativeVerifierOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField())); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d (kind %d): %w", i, kinds[i], err)
		}
		vec, ok := l.Public.Vector().(blsfr.Vector)
		if !ok {
			return nil, nil, fmt.Errorf("universal: leaf %d: a public witness of %T, want BLS12-377", i, l.Public.Vector())
		}
		if values[i], err = facts.ValuesOf(vec); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d: %w", i, err)
		}
	}
	plan, err := Link(values, kinds)
	if err != nil {
		return nil, nil, err
	}

	c, err := New(z)
	if err != nil {
		return nil, nil, err
	}
	for i, h := range list.Hashes() {
		c.Kinds[i] = h
	}
	c.Allow = list.Root()
	for m := range c.Keys {
		kind := table[0]
		if m < len(table) {
			kind = table[m]
		}
		if c.Keys[m], err = stdgroth16.ValueOfVerifyingKey[g1, g2, gt](list.keys[kind]); err != nil {
			return nil, nil, fmt.Errorf("universal: key of kind %d: %w", kind, err)
		}
	}
	for s := 0; s < z.Slots; s++ {
		j := 0 // unused slots repeat the first leaf
		if s < len(plan.Order) {
			j = s
		}
		l := leaves[plan.Order[j]]
		slot := &c.Slots[s]
		slot.Key = at[kinds[plan.Order[j]]]
		if slot.Proof, err = stdgroth16.ValueOfProof[g1, g2](l.Proof); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d: %w", plan.Order[j], err)
		}
		if slot.Witness, err = stdgroth16.ValueOfWitness[fr](l.Public); err != nil {
			return nil, nil, fmt.Errorf("universal: leaf %d: %w", plan.Order[j], err)
		}
		for a, link := range plan.Links[j] {
			slot.Links[a], slot.None[a] = 0, 1
			if link >= 0 {
				slot.Links[a], slot.None[a] = link, 0
			}
		}
	}
	statement := values[plan.Order[plan.Exporter]].Produced.BigInt(new(big.Int))
	if statement.BitLen() > facts.StatementBits {
		return nil, nil, fmt.Errorf("universal: the export leaf produces %d bits, want at most %d", statement.BitLen(), facts.StatementBits)
	}
	c.Exporter, c.Statement = plan.Exporter, statement
	return c, statement, nil
}

var _ frontend.Circuit = (*Circuit)(nil)
