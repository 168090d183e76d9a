package synccommittee

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/uints"
)

// HeaderCircuit proves the signing root of an attested beacon header: the header's SSZ root
// from its fields, then compute_signing_root under a domain. Its public inputs link it to the
// other pieces: the signing root to SignatureCircuit's, the slot (for the period's
// committee and the fork), the state root (for the finality and next-committee branches) and
// the domain (fixed per fork and network: the verifier checks it). Roots are 128-bit halves,
// big-endian.
//
// R1CS constraints: 611,925 (a 2^20 domain), one Groth16 commitment (sha256's lookups):
// seven SHA-256 hashes of 64 bytes, ~34k a compression, and the lookup tables.
type HeaderCircuit struct {
	RootHi, RootLo     frontend.Variable `gnark:",public"`
	Slot               frontend.Variable `gnark:",public"`
	StateHi, StateLo   frontend.Variable `gnark:",public"`
	DomainHi, DomainLo frontend.Variable `gnark:",public"`
	ProposerIndex      frontend.Variable
	ParentRoot         [32]uints.U8
	BodyRoot           [32]uints.U8
}

// Define is gnark's.
func (c *HeaderCircuit) Define(api frontend.API) error {
	root, err := beaconHeaderRoot(api, uint64LE(api, c.Slot), uint64LE(api, c.ProposerIndex), c.ParentRoot[:],
		halvesToBytes(api, c.StateHi, c.StateLo), c.BodyRoot[:])
	if err != nil {
		return err
	}
	signing, err := sha256Pair(api, root, halvesToBytes(api, c.DomainHi, c.DomainLo))
	if err != nil {
		return err
	}
	return assertRoot(api, signing, c.RootHi, c.RootLo)
}

func constBytes(b []byte) []uints.U8 {
	out := make([]uints.U8, len(b))
	for i := range b {
		out[i] = uints.NewU8(b[i])
	}
	return out
}

// uint64LE is an SSZ uint64 leaf: v's 8 little-endian bytes, then 24 zeros (v range-checked
// to 64 bits).
func uint64LE(api frontend.API, v frontend.Variable) []uints.U8 {
	bits := api.ToBinary(v, 64)
	out := make([]uints.U8, 32)
	for i := range out {
		if i < 8 {
			out[i] = uints.U8{Val: api.FromBinary(bits[8*i : 8*i+8]...)}
		} else {
			out[i] = uints.NewU8(0)
		}
	}
	return out
}

// halvesToBytes is the 32 big-endian bytes of two 128-bit halves (each range-checked).
func halvesToBytes(api frontend.API, hi, lo frontend.Variable) []uints.U8 {
	out := make([]uints.U8, 0, 32)
	for _, half := range []frontend.Variable{hi, lo} {
		bits := api.ToBinary(half, 128)
		for b := 15; b >= 0; b-- {
			out = append(out, uints.U8{Val: api.FromBinary(bits[8*b : 8*b+8]...)})
		}
	}
	return out
}

// bytesToHalves is two 128-bit halves of 32 big-endian bytes.
func bytesToHalves(api frontend.API, bf *uints.Bytes, b []uints.U8) (hi, lo frontend.Variable) {
	compose := func(b []uints.U8) frontend.Variable {
		v := frontend.Variable(0)
		for _, x := range b {
			v = api.Add(api.Mul(v, 256), bf.Value(x))
		}
		return v
	}
	return compose(b[:16]), compose(b[16:])
}

// halves is the circuit's encoding of a 32-byte root: two big-endian 128-bit halves.
func halves(r [32]byte) (hi, lo *big.Int) {
	return new(big.Int).SetBytes(r[:16]), new(big.Int).SetBytes(r[16:])
}

// AssignHeader is the circuit's assignment for a beacon header signed under domain.
func AssignHeader(h *BeaconBlockHeader, domain [32]byte) (*HeaderCircuit, error) {
	if h == nil {
		return nil, fmt.Errorf("%w: no header", ErrField)
	}
	c := &HeaderCircuit{Slot: h.Slot, ProposerIndex: h.ProposerIndex}
	root := h.Root()
	signing := hash(root[:], domain[:])
	c.RootHi, c.RootLo = halves(signing)
	c.StateHi, c.StateLo = halves(h.StateRoot)
	c.DomainHi, c.DomainLo = halves(domain)
	for i := 0; i < 32; i++ {
		c.ParentRoot[i] = uints.NewU8(h.ParentRoot[i])
		c.BodyRoot[i] = uints.NewU8(h.BodyRoot[i])
	}
	return c, nil
}

// Domain is compute_domain(domain type, fork version, genesis validators root).
func Domain(domainType [4]byte, forkVersion [4]byte, genesisValidatorsRoot [32]byte) [32]byte {
	var version [32]byte
	copy(version[:], forkVersion[:])
	forkData := hash(version[:], genesisValidatorsRoot[:])
	var domain [32]byte
	copy(domain[:4], domainType[:])
	copy(domain[4:], forkData[:28])
	return domain
}
