// Package facts is the interface every leaf circuit of the universal aggregation keeps
// (circuits/universal): one public-input layout, whatever the leaf proves.
//
// A leaf consumes up to Consumed facts and produces one. A fact is a Poseidon2 digest
// (BLS12-377 scalar field) of a tag, naming its kind, and the values it states, such as "the
// node N sits at depth d of the trie of root R on key k" or "block B of domain D, signed by
// committee C, has state root S". A leaf proves that its produced fact holds if its consumed
// facts hold; the aggregation proves that every fact a leaf consumes is produced by a leaf
// before it in the batch. So the aggregation never opens a digest and never learns a kind:
// a new kind of claim is a new leaf circuit, not a new aggregation.
//
// A consumed input of 0 consumes nothing (a Poseidon2 digest is 0 with negligible
// probability; a leaf writes 0 only where its own rules need no fact there). The export
// kind, the first key of the aggregation's allow-list, produces the batch's statement itself
// (its low StatementBits bits) instead of a digest.
package facts

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr/poseidon2"
	"github.com/consensys/gnark/frontend"
	stdposeidon2 "github.com/consensys/gnark/std/hash/poseidon2"

	"github.com/isthmus-xyz/isthmus/protocol"
)

// The layout: Consumed inputs, then the produced one.
const (
	Consumed = 4
	Inputs   = Consumed + 1
)

// StatementBits is how many low bits of the statement hash the export kind produces: the
// most that every value below 2^StatementBits is a BLS12-377 scalar (r > 2^252).
const StatementBits = protocol.ChainInputBits

// IO is a leaf's public inputs: the first field of every leaf circuit of the universal
// aggregation, and its only public one.
type IO struct {
	Consumed [Consumed]frontend.Variable `gnark:",public"`
	Produced frontend.Variable           `gnark:",public"`
}

// None fills the consumed inputs a leaf leaves unused.
func (io *IO) None(from int) {
	for i := from; i < Consumed; i++ {
		io.Consumed[i] = 0
	}
}

// Values are a leaf's public inputs, natively: its consumed facts (zero where none) and the
// fact it produces.
type Values struct {
	Consumed [Consumed]fr.Element
	Produced fr.Element
}

// Assign sets a leaf's IO to v.
func (v *Values) Assign(io *IO) {
	for i := range v.Consumed {
		io.Consumed[i] = v.Consumed[i].BigInt(new(big.Int))
	}
	io.Produced = v.Produced.BigInt(new(big.Int))
}

// ValuesOf reads a leaf's public witness (its IO).
func ValuesOf(public fr.Vector) (Values, error) {
	var v Values
	if len(public) != Inputs {
		return v, fmt.Errorf("facts: %d public inputs, want %d", len(public), Inputs)
	}
	copy(v.Consumed[:], public[:Consumed])
	v.Produced = public[Consumed]
	return v, nil
}

// Tag is a fact kind's name as a field element (at most 31 bytes).
func Tag(name string) fr.Element {
	if len(name) > 31 {
		panic(fmt.Sprintf("facts: tag %q longer than 31 bytes", name))
	}
	var e fr.Element
	e.SetBytes([]byte(name))
	return e
}

// Digest is the fact of tag over values, in-circuit: Poseidon2 in Merkle-Damgård mode over
// the tag and the values, each a field element.
func Digest(api frontend.API, tag fr.Element, values ...frontend.Variable) (frontend.Variable, error) {
	h, err := stdposeidon2.New(api)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	h.Write(tag.BigInt(new(big.Int)))
	h.Write(values...)
	return h.Sum(), nil
}

// DigestOf is Digest's native twin.
func DigestOf(tag fr.Element, values ...fr.Element) fr.Element {
	return Hash(append([]fr.Element{tag}, values...)...)
}

// Hash is Poseidon2 in Merkle-Damgård mode over field elements (BLS12-377), natively: the
// hash std/hash/poseidon2 computes in-circuit.
func Hash(elems ...fr.Element) fr.Element {
	h := poseidon2.NewMerkleDamgardHasher()
	for i := range elems {
		b := elems[i].Bytes()
		h.Write(b[:])
	}
	var out fr.Element
	out.SetBytes(h.Sum(nil))
	return out
}

// StatementOf is the value the export kind produces for a statement hash: its low
// StatementBits bits (protocol.ChainInput).
func StatementOf(statement [32]byte) *big.Int { return protocol.ChainInput(statement) }
