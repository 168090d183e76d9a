package aggregate

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/math/emulated"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// SyncKeys are the verifying keys of the five pieces that prove an Ethereum update
// (synccommittee.Step): the committee's signature at its size, the attested header, the
// finality branch and the payload header of the fork the rules name, the finalized header;
// and those rules. A sync-committee lane claim is proven under them instead of a header leaf:
// an aggregation serves one fork (a fork that moves a branch or changes the payload header
// needs new keys, and updates across its boundary wait for both sides in one fork).
type SyncKeys struct {
	Signature, Header, Finality, Finalized, Payload groth16.VerifyingKey
	Rules                                           synccommittee.ForkRules
}

// Public input layouts of the update's pieces (their fields in declaration order).
const (
	SyncSignatureInputs = 5 // Commitment, Root[2], Participants, Period
	SyncHeaderInputs    = 7 // Root[2], Slot, State[2], Domain[2]
	SyncBranchInputs    = 4 // Leaf[2], Root[2]
	SyncFinalizedInputs = 5 // Root[2], Slot, Payload[2]
	SyncPayloadInputs   = 9 // Root[2], Number, BlockHash[2], State[2], Receipts[2]
)

// SyncClaim holds the proofs of one lane claim under Ethereum's sync committee: the update's
// five pieces, its signature slot (which the update names but no one signs: it is bounded
// here as the light client bounds it), and the claim's three Merkle-Patricia chains.
type SyncClaim struct {
	Signature, Header, Finality, Finalized, Payload Slot
	SignatureSlot                                   frontend.Variable
	Chains                                          [nChains]Chain
}

type syncVKs struct {
	signature, header, finality, finalized, payload stdgroth16.VerifyingKey[g1, g2, gt]
}

// update verifies an update's pieces and links them as synccommittee.Step.Links does
// natively, under the committee whose commitment is the statement's (committee): its
// signature is over the attested header's signing root, by that committee serving the
// signature slot's period; the signing domain is the fork's, and the signature slot, the
// attested and the finalized slots lie in that fork, in that order (the finalized slot not
// after the attested one, the signature slot after it); the finality branch runs from the
// attested state to the finalized header, whose payload root is the payload's. It returns
// the payload's block number, block hash (canonical values) and state root (canonical limbs).
func (l *linker) update(v *stdgroth16.Verifier[fr, g1, g2, gt], u *SyncClaim, vk *syncVKs, rules *synccommittee.ForkRules, committee *emulated.Element[fr]) (number frontend.Variable, hash []frontend.Variable, stateRoot [][]frontend.Variable, err error) {
	api := l.api
	for _, p := range []struct {
		name string
		vk   stdgroth16.VerifyingKey[g1, g2, gt]
		s    *Slot
	}{{"signature", vk.signature, &u.Signature}, {"attested header", vk.header, &u.Header}, {"finality branch", vk.finality, &u.Finality},
		{"finalized header", vk.finalized, &u.Finalized}, {"payload", vk.payload, &u.Payload}} {
		if err := v.AssertProof(p.vk, p.s.Proof, p.s.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	sig, hdr, br := u.Signature.Witness.Public, u.Header.Witness.Public, u.Finality.Witness.Public
	fin, pay := u.Finalized.Witness.Public, u.Payload.Witness.Public
	// pair asserts that two roots (two 128-bit halves each) are the same: a's limbs are
	// canonical, b's equal to them.
	pair := func(a, b []emulated.Element[fr]) { l.equalLimbs(limbsOf(b), l.canon(a, 128)) }

	// The committee: the statement's commitment, for the period of the signature slot.
	l.equal(sig[0].Limbs, committee.Limbs)
	period := l.small(&sig[4], 64)
	slot := api.ToBinary(u.SignatureSlot, 64)
	api.AssertIsEqual(period, api.FromBinary(slot[bits.TrailingZeros64(rules.SlotsPerPeriod):]...))
	signature := api.FromBinary(slot...)
	// The signing root: the attested header's under the fork's domain.
	pair(sig[1:3], hdr[0:2])
	dhi, dlo := new(big.Int).SetBytes(rules.Domain[:16]), new(big.Int).SetBytes(rules.Domain[16:])
	api.AssertIsEqual(l.small(&hdr[5], 128), dhi)
	api.AssertIsEqual(l.small(&hdr[6], 128), dlo)
	// Slots: fork start ≤ finalized ≤ attested < signature, and signature − 1 before the
	// next fork (the domain is that of the epoch of signature − 1).
	attested, finalized := l.small(&hdr[2], 64), l.small(&fin[2], 64)
	l.rc.Check(api.Sub(api.Sub(signature, attested), 1), 64)
	l.rc.Check(api.Sub(attested, finalized), 64)
	l.rc.Check(api.Sub(finalized, rules.Fork.Epoch*rules.SlotsPerEpoch), 64)
	if rules.Until > 0 {
		l.rc.Check(api.Sub(rules.Until*rules.SlotsPerEpoch, signature), 64)
	}
	// The finality branch from the attested state to the finalized header; its payload.
	pair(hdr[3:5], br[2:4])
	pair(br[0:2], fin[0:2])
	pair(fin[3:5], pay[0:2])
	return l.small(&pay[2], 64), l.smalls(pay[3:5], 128), l.canon(pay[5:7], 128), nil
}

// SyncLeaves are the leaf proofs of one sync-committee lane claim: the update's pieces, its
// signature slot, and the steps of the account, word and accumulator proofs in order.
type SyncLeaves struct {
	Signature, Header, Finality, Finalized, Payload Leaf
	SignatureSlot                                   uint64
	Chains                                          [nChains][]Leaf
}

func (s *SyncLeaves) assign(c *SyncClaim, shape Shape) error {
	var err error
	for _, p := range []struct {
		name string
		l    Leaf
		s    *Slot
	}{{"signature", s.Signature, &c.Signature}, {"attested header", s.Header, &c.Header}, {"finality branch", s.Finality, &c.Finality},
		{"finalized header", s.Finalized, &c.Finalized}, {"payload", s.Payload, &c.Payload}} {
		if *p.s, err = slot(p.l); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	c.SignatureSlot = s.SignatureSlot
	return assignChains(&c.Chains, s.Chains, shape)
}
