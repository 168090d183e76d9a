package committee

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/fr/poseidon2"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards"
	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/facts"
)

// Domain tags, so that a digest of one kind is never one of another.
var (
	tagCommittee = tag("isthmus.committee.v1")
	tagHeader    = tag("isthmus.header.v1")
	tagRotation  = tag("isthmus.rotation.v1")
)

func tag(s string) fr.Element {
	var e fr.Element
	e.SetBytes([]byte(s))
	return e
}

// ErrCommittee: a committee the circuit would refuse.
var ErrCommittee = errors.New("invalid committee")

// Member is one validator.
type Member struct {
	PublicKey eddsa.PublicKey
	Weight    uint64
}

// Committee is an ordered list of validators.
type Committee []Member

// KeyFromSeed derives a validator key from a 32-byte seed.
func KeyFromSeed(seed [32]byte) (*eddsa.PrivateKey, error) {
	return eddsa.GenerateKey(bytes.NewReader(seed[:]))
}

// mdHash is Poseidon2 in Merkle-Damgård mode over field elements.
func mdHash(elems ...fr.Element) fr.Element { return facts.Hash(elems...) }

// LowOrder reports whether a public key is of small order: the identity or a point that the
// cofactor sends to it. EdDSA verification multiplies by the cofactor, so anyone can forge a
// signature of such a key; the circuit gives it no weight.
func LowOrder(pub *eddsa.PublicKey) bool {
	var p twistededwards.PointAffine
	cofactor := twistededwards.GetEdwardsCurve().Cofactor
	p.ScalarMultiplication(&pub.A, cofactor.BigInt(new(big.Int)))
	return p.IsZero()
}

// Validate checks what the circuit requires: weights, keys on the curve and not of small order
// (LowOrder), and keys distinct in y (so that neither a repeated key nor a key and its
// negation count twice).
func (c Committee) Validate(capacity int) error {
	if len(c) == 0 || len(c) > capacity {
		return fmt.Errorf("%w: %d members, capacity %d", ErrCommittee, len(c), capacity)
	}
	seen := map[fr.Element]int{}
	for i, m := range c {
		if m.Weight == 0 {
			return fmt.Errorf("%w: member %d has no weight", ErrCommittee, i)
		}
		if !m.PublicKey.A.IsOnCurve() {
			return fmt.Errorf("%w: member %d: public key not on the curve", ErrCommittee, i)
		}
		if LowOrder(&m.PublicKey) {
			return fmt.Errorf("%w: member %d: public key of small order (anyone can sign for it)", ErrCommittee, i)
		}
		if j, ok := seen[m.PublicKey.A.Y]; ok {
			return fmt.Errorf("%w: members %d and %d share a key (up to sign)", ErrCommittee, j, i)
		}
		seen[m.PublicKey.A.Y] = i
	}
	return nil
}

// Commitment is the committee's Poseidon2 commitment.
func (c Committee) Commitment() fr.Element {
	elems := []fr.Element{tagCommittee, fr.NewElement(uint64(len(c)))}
	for _, m := range c {
		elems = append(elems, m.PublicKey.A.X, m.PublicKey.A.Y, fr.NewElement(m.Weight))
	}
	return mdHash(elems...)
}

// CommitmentHash is the commitment as a 32-byte big-endian value (as the Inbox stores it).
func (c Committee) CommitmentHash() common.Hash {
	e := c.Commitment()
	return common.Hash(e.Bytes())
}

// HashHalves splits a 32-byte hash into two field elements of 128 bits, high half first.
func HashHalves(h common.Hash) (hi, lo fr.Element) {
	hi.SetBytes(h[:16])
	lo.SetBytes(h[16:])
	return hi, lo
}

// DigestNative is what validators sign to finalize a block of srcDomain (the twin of Digest).
func DigestNative(srcDomain uint32, number uint64, blockHash common.Hash) fr.Element {
	hi, lo := HashHalves(blockHash)
	return mdHash(tagHeader, fr.NewElement(uint64(srcDomain)), fr.NewElement(number), hi, lo)
}

// RotationDigestNative is what validators sign to hand srcDomain over to the committee
// whose commitment is next, as epoch nextEpoch (the twin of RotationDigest). The
// commitment enters as its two 128-bit halves, so the signature binds its exact bytes.
func RotationDigestNative(srcDomain uint32, nextEpoch uint64, next common.Hash) fr.Element {
	hi, lo := HashHalves(next)
	return mdHash(tagRotation, fr.NewElement(uint64(srcDomain)), fr.NewElement(nextEpoch), hi, lo)
}

// Sign signs a digest.
func Sign(key *eddsa.PrivateKey, digest fr.Element) (*eddsa.Signature, error) {
	b := digest.Bytes()
	raw, err := key.Sign(b[:], poseidon2.NewMerkleDamgardHasher())
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var sig eddsa.Signature
	if _, err := sig.SetBytes(raw); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return &sig, nil
}

// Verify checks one signature on a digest.
func Verify(pub *eddsa.PublicKey, digest fr.Element, sig *eddsa.Signature) bool {
	b := digest.Bytes()
	ok, err := pub.Verify(sig.Bytes(), b[:], poseidon2.NewMerkleDamgardHasher())
	return err == nil && ok
}

// HasQuorum reports whether the members flagged in signed hold more than two thirds of the
// committee's weight.
func (c Committee) HasQuorum(signed []bool) bool {
	total, got := new(big.Int), new(big.Int)
	for i, m := range c {
		w := new(big.Int).SetUint64(m.Weight)
		total.Add(total, w)
		if i < len(signed) && signed[i] {
			got.Add(got, w)
		}
	}
	return got.Mul(got, big.NewInt(3)).Cmp(total.Mul(total, big.NewInt(2))) > 0
}
