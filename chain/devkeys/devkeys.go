// Package devkeys holds the devnet's well-known keys: its accounts by role, its attester
// committees by epoch and their signatures, its beacon chain's light-client configuration,
// and the "proof" its TestOnlyVerifier accepts. Every key here is public (derived from fixed
// seeds): for devnets and tests only. The production commands import it (for their
// --devnet-* flags, pointed at `isthmus devnet --keep`) without the devnet's nodes.
package devkeys

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// CommitteeSize is the number of devnet attesters, of weight 10 each.
const CommitteeSize = 4

// Committee returns the source domain's devnet committee and its members' EdDSA keys,
// derived from the public seeds keccak256("isthmus devnet attester: "+i). Devnet only.
func Committee() (committee.Committee, []*eddsa.PrivateKey) { return CommitteeOfEpoch(0) }

// CommitteeOfEpoch is the devnet committee of an epoch: epoch 0's is Committee; a later
// epoch's keys come from the public seeds keccak256("isthmus devnet attester: epoch E: "+i).
// Devnet only.
func CommitteeOfEpoch(epoch uint64) (committee.Committee, []*eddsa.PrivateKey) {
	var c committee.Committee
	var keys []*eddsa.PrivateKey
	for i := 0; i < CommitteeSize; i++ {
		seed := fmt.Sprintf("isthmus devnet attester: %d", i)
		if epoch > 0 {
			seed = fmt.Sprintf("isthmus devnet attester: epoch %d: %d", epoch, i)
		}
		k, err := committee.KeyFromSeed(crypto.Keccak256Hash([]byte(seed)))
		if err != nil {
			panic(fmt.Sprintf("devnet attester key %d: %v", i, err)) // a fixed seed: cannot fail but by a bug
		}
		keys = append(keys, k)
		c = append(c, committee.Member{PublicKey: k.PublicKey, Weight: 10})
	}
	return c, keys
}

// Attest signs a finalized header of srcDomain with the first signers devnet attesters, as
// the header leaf checks: their signatures by member index.
func Attest(srcDomain uint32, number uint64, hash common.Hash, signers int) (map[int]*eddsa.Signature, error) {
	_, keys := Committee()
	digest := committee.DigestNative(srcDomain, number, hash)
	sigs := map[int]*eddsa.Signature{}
	for i := 0; i < signers && i < len(keys); i++ {
		s, err := committee.Sign(keys[i], digest)
		if err != nil {
			return nil, fmt.Errorf("attester %d: %w", i, err)
		}
		sigs[i] = s
	}
	return sigs, nil
}

// DevKey returns the devnet's well-known key for a role: keccak256("isthmus devnet key: "+role).
// These keys are public: devnet only. (A keccak output is a valid secp256k1 key but with
// probability ~2^-128; TestDevKeysAreValid checks the roles used.)
func DevKey(role string) *ecdsa.PrivateKey {
	return crypto.ToECDSAUnsafe(crypto.Keccak256([]byte("isthmus devnet key: " + role)))
}

// TestOnlyProof is the "proof" the TestOnlyVerifier accepts for a public input. It proves
// nothing: anyone can compute it. Devnet and tests only.
func TestOnlyProof(publicInput *big.Int) []byte {
	return crypto.Keccak256([]byte("isthmus.test-only-verifier"), common.BigToHash(publicInput).Bytes())
}

// AttestRotation signs, with the first signers members of the committee of epoch
// nextEpoch-1, the hand-over of srcDomain to the committee of nextEpoch: the rotation claim
// and its signatures by member index, as the rotation leaf checks.
func AttestRotation(srcDomain uint32, nextEpoch uint64, signers int) (protocol.RotationClaim, map[int]*eddsa.Signature, error) {
	if nextEpoch == 0 {
		return protocol.RotationClaim{}, nil, fmt.Errorf("no rotation to epoch 0")
	}
	current, keys := CommitteeOfEpoch(nextEpoch - 1)
	next, _ := CommitteeOfEpoch(nextEpoch)
	r := protocol.RotationClaim{SrcDomain: srcDomain, Committee: current.CommitmentHash(), NextEpoch: nextEpoch, NextCommittee: next.CommitmentHash()}
	digest := committee.RotationDigestNative(srcDomain, nextEpoch, r.NextCommittee)
	sigs := map[int]*eddsa.Signature{}
	for i := 0; i < signers && i < len(keys); i++ {
		s, err := committee.Sign(keys[i], digest)
		if err != nil {
			return protocol.RotationClaim{}, nil, fmt.Errorf("attester %d: %w", i, err)
		}
		sigs[i] = s
	}
	return r, sigs, nil
}

// BeaconConfig is the devnet beacon chain's light-client configuration: Ethereum's rules at
// Deneb from genesis (the execution payload header with the blob fields, the state's
// branches at Capella's indices), a sync committee of size members, and periods of 16 slots
// (4 epochs of 4), so that a test crosses period boundaries in seconds.
func BeaconConfig(size int) synccommittee.Config {
	far := uint64(1) << 40
	return synccommittee.Config{
		GenesisValidatorsRoot: sha256.Sum256([]byte("isthmus devnet beacon chain")),
		Forks: []synccommittee.Fork{
			{Name: "altair", Version: [4]byte{1, 0, 0, 0x1d}}, {Name: "bellatrix", Version: [4]byte{2, 0, 0, 0x1d}},
			{Name: "capella", Version: [4]byte{3, 0, 0, 0x1d}}, {Name: "deneb", Version: [4]byte{4, 0, 0, 0x1d}},
			{Name: "electra", Epoch: far, Version: [4]byte{5, 0, 0, 0x1d}}, {Name: "fulu", Epoch: far, Version: [4]byte{6, 0, 0, 0x1d}},
		},
		CommitteeSize: size, SlotsPerEpoch: 4, EpochsPerPeriod: 4,
	}
}
