package leaf

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/header"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/rlp"
)

// HeaderCircuit proves that a block header of SrcDomain, with the given hash, number, state
// root and receipts root, was signed by more than two thirds of the weight of the committee
// whose commitment is Committee. The committee's capacity is fixed at compile time.
//
// Cost (R1CS, BLS12-377): 813,655 constraints at capacity 4, 905,915 at 16, 1,282,246 at 64.
// Groth16 on 2 cores at capacity 4: setup ~4 min, prove 12.5 s.
type HeaderCircuit struct {
	SrcDomain    frontend.Variable    `gnark:",public"`
	Committee    frontend.Variable    `gnark:",public"`
	BlockNumber  frontend.Variable    `gnark:",public"`
	BlockHash    [2]frontend.Variable `gnark:",public"`
	StateRoot    [2]frontend.Variable `gnark:",public"`
	ReceiptsRoot [2]frontend.Variable `gnark:",public"`

	RLP     [header.MaxLen]uints.U8
	Length  frontend.Variable
	Signers committee.Witness
}

// NewHeaderCircuit is the placeholder to compile a header leaf for a committee capacity.
func NewHeaderCircuit(capacity int) *HeaderCircuit {
	return &HeaderCircuit{Signers: committee.Placeholder(capacity)}
}

// Define implements frontend.Circuit.
func (c *HeaderCircuit) Define(api frontend.API) error {
	return headerRules(api, &headerValues{SrcDomain: c.SrcDomain, Committee: c.Committee, BlockNumber: c.BlockNumber, BlockHash: c.BlockHash,
		StateRoot: c.StateRoot, ReceiptsRoot: c.ReceiptsRoot, RLP: c.RLP[:], Length: c.Length, Signers: c.Signers})
}

// headerValues are a header leaf's values, public or not, for headerRules.
type headerValues struct {
	SrcDomain, Committee, BlockNumber  frontend.Variable
	BlockHash, StateRoot, ReceiptsRoot [2]frontend.Variable
	RLP                                []uints.U8
	Length                             frontend.Variable
	Signers                            committee.Witness
}

// headerRules proves HeaderCircuit's rules over c.
func headerRules(api frontend.API, c *headerValues) error {
	rangecheck.New(api).Check(c.SrcDomain, 32)
	dec, err := header.Decode(api, c.RLP, c.Length)
	if err != nil {
		return fmt.Errorf("header leaf: %w", err)
	}
	hash, err := rlp.Values(api, dec.Hash)
	if err != nil {
		return fmt.Errorf("header leaf: %w", err)
	}
	assertHalves(api, hash, c.BlockHash)
	assertHalves(api, dec.StateRoot, c.StateRoot)
	assertHalves(api, dec.ReceiptsRoot, c.ReceiptsRoot)
	api.AssertIsEqual(dec.Number, c.BlockNumber)

	digest, err := committee.Digest(api, c.SrcDomain, c.BlockNumber, c.BlockHash[0], c.BlockHash[1])
	if err != nil {
		return fmt.Errorf("header leaf: %w", err)
	}
	if err := committee.AssertQuorum(api, c.Signers, c.Committee, digest); err != nil {
		return fmt.Errorf("header leaf: %w", err)
	}
	return nil
}

// assertHalves asserts that 32 bytes, big-endian, are the two 128-bit halves.
func assertHalves(api frontend.API, b []frontend.Variable, halves [2]frontend.Variable) {
	packed := mpt.Ref(api, b)
	api.AssertIsEqual(packed[0], halves[0])
	api.AssertIsEqual(packed[1], halves[1])
}

// halves splits a 32-byte value into its two 128-bit halves, high first.
func halves(h common.Hash) [2]frontend.Variable {
	return [2]frontend.Variable{new(big.Int).SetBytes(h[:16]), new(big.Int).SetBytes(h[16:])}
}

// HeaderPublic is what a header leaf proof attests.
type HeaderPublic struct {
	SrcDomain    uint32
	Committee    common.Hash
	BlockNumber  uint64
	BlockHash    common.Hash
	StateRoot    common.Hash
	ReceiptsRoot common.Hash
}

// AssignHeader builds the witness of a header leaf: the header's RLP, the committee and the
// signatures of its signers (by member index).
func AssignHeader(srcDomain uint32, rlp []byte, c committee.Committee, sigs map[int]*eddsanative.Signature, capacity int) (*HeaderCircuit, *HeaderPublic, error) {
	f, err := header.DecodeNative(rlp)
	if err != nil {
		return nil, nil, fmt.Errorf("header leaf: %w", err)
	}
	w, err := committee.ValueOf(c, sigs, capacity)
	if err != nil {
		return nil, nil, fmt.Errorf("header leaf: %w", err)
	}
	pub := &HeaderPublic{SrcDomain: srcDomain, Committee: c.CommitmentHash(), BlockNumber: f.Number,
		BlockHash: f.Hash, StateRoot: f.StateRoot, ReceiptsRoot: f.ReceiptsRoot}
	a := &HeaderCircuit{
		SrcDomain: srcDomain, Committee: pub.Committee.Big(), BlockNumber: f.Number,
		BlockHash: halves(f.Hash), StateRoot: halves(f.StateRoot), ReceiptsRoot: halves(f.ReceiptsRoot),
		Length: len(rlp), Signers: w,
	}
	for i := range a.RLP {
		a.RLP[i] = uints.NewU8(0)
		if i < len(rlp) {
			a.RLP[i] = uints.NewU8(rlp[i])
		}
	}
	return a, pub, nil
}
