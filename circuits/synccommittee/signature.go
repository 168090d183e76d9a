package synccommittee

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	nativeposeidon2 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/poseidon2"
	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bls12381"
	"github.com/consensys/gnark/std/algebra/emulated/sw_emulated"
	"github.com/consensys/gnark/std/math/emulated"
	poseidon2perm "github.com/consensys/gnark/std/permutation/poseidon2"
	"github.com/consensys/gnark/std/signature/bls"
)

// SignatureCircuit proves, on BLS12-377, that more than two thirds of a sync committee signed
// a signing root: the committee is the one whose commitment is public (a Poseidon2 chain over
// its members' keys, see CommitteeCommitment), the participation bits pick the signers, the
// aggregate of their keys verifies the aggregate signature over the signing root hashed to
// G2 (Ethereum's BLS: keys in G1, signatures in G2, SSWU with SignatureDST). The signing
// root (the attested header's, under the fork's domain) is public, in two 128-bit halves,
// for the circuit that proves the header to link; so is the number of signers. So is the
// period the committee serves: the commitment chain starts from it (ChainStart), so that a
// commitment names one committee of one period, and a verifier that trusts it trusts that
// committee for that period only.
//
// R1CS constraints (BenchmarkConstraints/sync-committee-signature-*): 2,063,364 at 8
// members, 2,116,948 at 32, 3,192,876 at 512 (a 2^22 domain; compiled in 18 s, 3.4 GiB):
// ~2.05M for hashing to G2, the G1 subgroup check and the two-pair pairing, then 2,233 a
// member (a complete emulated addition, a selection, four Poseidon2 compressions).
type SignatureCircuit struct {
	Commitment   frontend.Variable `gnark:",public"`
	RootHi       frontend.Variable `gnark:",public"` // signing root bytes 0..15, big-endian
	RootLo       frontend.Variable `gnark:",public"` // bytes 16..31
	Participants frontend.Variable `gnark:",public"`
	Period       frontend.Variable `gnark:",public"`
	Keys         []sw_bls12381.G1Affine
	Bits         []frontend.Variable
	Signature    sw_bls12381.G2Affine
}

// NewSignatureCircuit is the circuit for a committee of size members.
func NewSignatureCircuit(size int) *SignatureCircuit {
	return &SignatureCircuit{Keys: make([]sw_bls12381.G1Affine, size), Bits: make([]frontend.Variable, size)}
}

// Define is gnark's.
func (c *SignatureCircuit) Define(api frontend.API) error {
	n := len(c.Keys)
	if n == 0 || len(c.Bits) != n {
		return fmt.Errorf("synccommittee: %d keys and %d bits", n, len(c.Bits))
	}
	curve, err := sw_emulated.New[sw_bls12381.BaseField, sw_bls12381.ScalarField](api, sw_emulated.GetBLS12381Params())
	if err != nil {
		return err
	}
	perm, err := poseidon2perm.NewPoseidon2(api)
	if err != nil {
		return err
	}
	// The commitment binds the keys' coordinates; the sum of the signers' keys starts at a
	// fixed point of unknown discrete log and is taken off at the end, so that no addition
	// meets the identity.
	api.ToBinary(c.Period, 64)
	state := api.Add(chainTag(), c.Period)
	offset := sw_bls12381.NewG1Affine(aggregationOffset())
	acc := &offset
	count := frontend.Variable(0)
	for i := 0; i < n; i++ {
		api.AssertIsBoolean(c.Bits[i])
		state = commitKeyGadget(api, perm, state, &c.Keys[i])
		sum := curve.AddUnified(acc, &c.Keys[i])
		acc = curve.Select(c.Bits[i], sum, acc)
		count = api.Add(count, c.Bits[i])
	}
	api.AssertIsEqual(state, c.Commitment)
	api.AssertIsEqual(count, c.Participants)
	// 3·count ≥ 2·n, as the light client applies an update (Supermajority).
	api.AssertIsLessOrEqual(2*n, api.Mul(count, 3))
	pk := curve.AddUnified(acc, curve.Neg(&offset))

	msg := halvesToBytes(api, c.RootHi, c.RootLo)
	return bls.PublicKeyG1(*pk).Verify(api, (*bls.SignatureG2)(&c.Signature), msg)
}

// commitKeyGadget is the commitment chain's step over one key (commitKey's twin): four
// Poseidon2 compressions over its coordinates' halves.
func commitKeyGadget(api frontend.API, perm *poseidon2perm.Permutation, state frontend.Variable, k *sw_bls12381.G1Affine) frontend.Variable {
	for _, half := range keyHalves(api, k) {
		state = perm.Compress(state, half)
	}
	return state
}

// keyHalves are a key's two coordinates in four native elements: each coordinate's 64-bit
// limbs 0–2 and 3–5 (192 bits each, under the BLS12-377 scalar field).
func keyHalves(api frontend.API, k *sw_bls12381.G1Affine) []frontend.Variable {
	var out []frontend.Variable
	for _, coord := range []*emulated.Element[sw_bls12381.BaseField]{&k.X, &k.Y} {
		for h := 0; h < 2; h++ {
			v := frontend.Variable(0)
			for l := 2; l >= 0; l-- {
				v = api.Add(api.Mul(v, new(big.Int).Lsh(big.NewInt(1), 64)), coord.Limbs[3*h+l])
			}
			out = append(out, v)
		}
	}
	return out
}

// chainTag is the commitment chain's tag, 2^64 times a 128-bit constant: ChainStart adds the
// period (below 2^64) into the low 64 bits, so that the start's limbs are the period and
// the tag's.
func chainTag() *big.Int {
	return new(big.Int).Lsh(new(big.Int).SetBytes([]byte("isthmus.sync.v2")), 64)
}

// ChainStart is the commitment chain's start for a committee of period: chainTag plus the
// period. (The aggregation checks a rotation's first chunk against it limb by limb.)
func ChainStart(period uint64) fr.Element {
	var s fr.Element
	s.SetBigInt(new(big.Int).Add(chainTag(), new(big.Int).SetUint64(period)))
	return s
}

// aggregationOffset is the hash to G1 of a fixed tag: a point whose discrete log no one
// knows, so that a sum of keys meets it or its negation with negligible chance.
func aggregationOffset() bls12381.G1Affine {
	p, err := bls12381.HashToG1([]byte("isthmus sync committee aggregation offset"), []byte("ISTHMUS_OFFSET_BLS12381G1_XMD:SHA-256_SSWU_RO_"))
	if err != nil {
		panic(err)
	}
	return p
}

// CommitmentOf is the native twin of the circuit's commitment to committee com serving
// period: Poseidon2 compressions from ChainStart(period) over, per member in order, its x
// and y in 192-bit halves (low first).
func CommitmentOf(com *Committee, period uint64) fr.Element {
	perm := nativeposeidon2.NewDefaultPermutation()
	state := ChainStart(period)
	for i := range com.points {
		state = commitKey(perm, state, com.points[i].X.BigInt(new(big.Int)), com.points[i].Y.BigInt(new(big.Int)))
	}
	return state
}

// AssignSignature is the circuit's assignment for the aggregate of committee com, serving
// period, over a signing root.
func AssignSignature(com *Committee, period uint64, agg *SyncAggregate, signingRoot [32]byte) (*SignatureCircuit, error) {
	if len(agg.Signature) != 96 {
		return nil, fmt.Errorf("%w: a signature of %d bytes", ErrField, len(agg.Signature))
	}
	var sig bls12381.G2Affine
	if _, err := sig.SetBytes(agg.Signature); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrSignature, err)
	}
	c := NewSignatureCircuit(len(com.points))
	commitment := CommitmentOf(com, period)
	c.Commitment = commitment.BigInt(new(big.Int))
	c.Period = period
	c.RootHi, c.RootLo = halves(signingRoot)
	n := 0
	for i := range com.points {
		c.Keys[i] = sw_bls12381.NewG1Affine(com.points[i])
		c.Bits[i] = 0
		if agg.Participant(i) {
			c.Bits[i] = 1
			n++
		}
	}
	c.Participants = n
	c.Signature = sw_bls12381.NewG2Affine(sig)
	return c, nil
}
