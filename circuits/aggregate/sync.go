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
	Rotation                                        *SyncRotationKeys // nil for a shape without sync rotations
}

// SyncRotationKeys are the verifying keys of a sync-committee rotation's pieces beside its
// update's (synccommittee.Rotation): the claim leaf (leaf.SyncRotationClaimCircuit), a chunk
// of ChunkKeys keys, a node of the key tree over Width children (for a committee of more
// than ChunkKeys·Width keys) and the committee root at the fork's next-committee index over
// the top layer's roots; and the committee's Size, which fixes the layout.
type SyncRotationKeys struct {
	Claim, Chunk, Merkle, Root groth16.VerifyingKey
	Size, ChunkKeys, Width     int
}

// rotationLayout is the number of chunks, of nodes a layer (bottom first) and of the root's
// children, as synccommittee.RotationProof splits a committee; chunks is 0 for sizes it does
// not take.
type rotationLayout struct {
	chunks int
	layers []int
	top    int
}

// Layout is the number of chunks, of key-tree nodes a layer (bottom first) and of the root
// circuit's children for the keys' committee size and split; ok is false for a split
// synccommittee.RotationProof does not take (sizes that are not powers of two).
func (k *SyncRotationKeys) Layout() (chunks int, layers []int, top int, ok bool) {
	l := k.layout()
	return l.chunks, l.layers, l.top, l.chunks > 0
}

func (k *SyncRotationKeys) layout() rotationLayout {
	pow2 := func(n int) bool { return n > 0 && n&(n-1) == 0 }
	if !pow2(k.Size) || !pow2(k.ChunkKeys) || k.Size%k.ChunkKeys != 0 || k.Width < 2 || !pow2(k.Width) {
		return rotationLayout{}
	}
	l := rotationLayout{chunks: k.Size / k.ChunkKeys}
	n := l.chunks
	for n > k.Width {
		n /= k.Width
		l.layers = append(l.layers, n)
	}
	l.top = n
	return l
}

// Public input layouts of the update's pieces (their fields in declaration order).
const (
	SyncSignatureInputs = 5 // Commitment, Root[2], Participants, Period
	SyncHeaderInputs    = 7 // Root[2], Slot, State[2], Domain[2]
	SyncBranchInputs    = 4 // Leaf[2], Root[2]
	SyncFinalizedInputs = 5 // Root[2], Slot, Payload[2]
	SyncPayloadInputs   = 9 // Root[2], Number, BlockHash[2], State[2], Receipts[2]

	SyncRotationClaimInputs = 5 // ClaimHash[2], Committee, NextEpoch, NextCommittee
	SyncChunkInputs         = 4 // StateIn, StateOut, Root[2]
)

// SyncUpdate holds the proofs of an Ethereum light-client update: its five pieces and its
// signature slot (which the update names but no one signs: it is bounded here as the light
// client bounds it).
type SyncUpdate struct {
	Signature, Header, Finality, Finalized, Payload Slot
	SignatureSlot                                   frontend.Variable
}

// SyncClaim holds the proofs of one lane claim under Ethereum's sync committee: an update and
// the claim's three Merkle-Patricia chains under its finalized payload's state root.
type SyncClaim struct {
	Update SyncUpdate
	Chains [nChains]Chain
}

// SyncRotation holds the proofs of one sync-committee rotation: the claim leaf, an update
// signed by the claim's committee whose attested state holds the next committee, and the
// next committee's pieces: its chunks in order, the layers of its key tree, its root.
type SyncRotation struct {
	Update SyncUpdate
	Claim  Slot
	Chunks []Slot
	Layers [][]Slot
	Root   Slot
}

type syncVKs struct {
	signature, header, finality, finalized, payload stdgroth16.VerifyingKey[g1, g2, gt]
	claim, chunk, merkle, root                      stdgroth16.VerifyingKey[g1, g2, gt]
}

func syncUpdatePlaceholder(k *SyncKeys, placeholder func(groth16.VerifyingKey) Slot) SyncUpdate {
	return SyncUpdate{Signature: placeholder(k.Signature), Header: placeholder(k.Header), Finality: placeholder(k.Finality),
		Finalized: placeholder(k.Finalized), Payload: placeholder(k.Payload)}
}

// updated is what an update proves: the signing committee's period, the attested and
// finalized slots, the attested state root (canonical limbs) and the finalized payload's
// block number, block hash (values) and state root (canonical limbs).
type updated struct {
	period, attested, finalized frontend.Variable
	attestedState               [][]frontend.Variable
	number                      frontend.Variable
	hash                        []frontend.Variable
	stateRoot                   [][]frontend.Variable
}

// update verifies an update's pieces and links them as synccommittee.Step.Links does
// natively, under the committee whose commitment is the statement's (committee): its
// signature is over the attested header's signing root, by that committee serving the
// signature slot's period; the signing domain is the fork's, and the signature slot, the
// attested and the finalized slots lie in that fork, in that order (the finalized slot not
// after the attested one, the signature slot after it); the finality branch runs from the
// attested state to the finalized header, whose payload root is the payload's. It returns
// what it proves.
func (l *linker) update(v *stdgroth16.Verifier[fr, g1, g2, gt], u *SyncUpdate, vk *syncVKs, rules *synccommittee.ForkRules, committee *emulated.Element[fr]) (*updated, error) {
	api := l.api
	for _, p := range []struct {
		name string
		vk   stdgroth16.VerifyingKey[g1, g2, gt]
		s    *Slot
	}{{"signature", vk.signature, &u.Signature}, {"attested header", vk.header, &u.Header}, {"finality branch", vk.finality, &u.Finality},
		{"finalized header", vk.finalized, &u.Finalized}, {"payload", vk.payload, &u.Payload}} {
		if err := v.AssertProof(p.vk, p.s.Proof, p.s.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
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
	state := l.canon(hdr[3:5], 128)
	l.equalLimbs(limbsOf(br[2:4]), state)
	pair(br[0:2], fin[0:2])
	pair(fin[3:5], pay[0:2])
	return &updated{period: period, attested: attested, finalized: finalized, attestedState: state,
		number: l.small(&pay[2], 64), hash: l.smalls(pay[3:5], 128), stateRoot: l.canon(pay[5:7], 128)}, nil
}

// syncRotation verifies a rotation's pieces and links them as synccommittee's
// Step.RotationLinks and Rotation.Links do natively: the update is signed by the claim's
// committee (serving period P), its attested and finalized slots are in P; the next
// committee's root is under the attested state; its keys' commitment chain runs from
// ChainStart(P+1) through every chunk to the claim's next committee; each layer's children
// are the roots below it. The claim's next epoch is P+1. It returns the claim's hash.
func (l *linker) syncRotation(v *stdgroth16.Verifier[fr, g1, g2, gt], r *SyncRotation, vk *syncVKs, rules *synccommittee.ForkRules) ([]frontend.Variable, error) {
	api := l.api
	if err := v.AssertProof(vk.claim, r.Claim.Proof, r.Claim.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	cl := r.Claim.Witness.Public
	u, err := l.update(v, &r.Update, vk, rules, &cl[2])
	if err != nil {
		return nil, err
	}
	api.AssertIsEqual(l.small(&cl[3], 64), api.Add(u.period, 1))
	// Finalized (hence attested) in the signature's period.
	l.rc.Check(api.Sub(u.finalized, api.Mul(u.period, rules.SlotsPerPeriod)), 64)

	// The chunks: the chain from ChainStart(P+1), whose limbs are P+1 and the tag's.
	var f fr
	w := f.BitsPerLimb()
	start := synccommittee.ChainStart(0)
	tag := start.BigInt(new(big.Int))
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), w), big.NewInt(1))
	var roots [][][]frontend.Variable
	var prev []frontend.Variable
	for j := range r.Chunks {
		if err := v.AssertProof(vk.chunk, r.Chunks[j].Proof, r.Chunks[j].Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return nil, fmt.Errorf("chunk %d: %w", j, err)
		}
		p := r.Chunks[j].Witness.Public
		if j == 0 {
			for k, limb := range p[0].Limbs {
				want := frontend.Variable(new(big.Int).And(new(big.Int).Rsh(tag, uint(k)*w), mask))
				if k == 0 {
					want = api.Add(u.period, 1)
				}
				api.AssertIsEqual(limb, want)
			}
		} else {
			l.equal(p[0].Limbs, prev)
		}
		prev = p[1].Limbs
		roots = append(roots, l.canon(p[2:4], 128))
	}
	l.equal(prev, cl[4].Limbs)

	// The key tree: each node's children are the roots below, in order.
	children := func(s *Slot, from [][][]frontend.Variable) {
		p := s.Witness.Public
		n := len(from)
		for k := range from {
			l.equalLimbs(limbsOf([]emulated.Element[fr]{p[k], p[n+k]}), from[k])
		}
	}
	for i, layer := range r.Layers {
		width := len(roots) / len(layer)
		var next [][][]frontend.Variable
		for j := range layer {
			if err := v.AssertProof(vk.merkle, layer[j].Proof, layer[j].Witness, stdgroth16.WithSubgroupCheck()); err != nil {
				return nil, fmt.Errorf("layer %d node %d: %w", i, j, err)
			}
			children(&layer[j], roots[j*width:(j+1)*width])
			next = append(next, l.canon(layer[j].Witness.Public[2*width:2*width+2], 128))
		}
		roots = next
	}
	if err := v.AssertProof(vk.root, r.Root.Proof, r.Root.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
		return nil, fmt.Errorf("committee root: %w", err)
	}
	children(&r.Root, roots)
	rp := r.Root.Witness.Public
	l.equalLimbs(limbsOf(rp[2*len(roots):2*len(roots)+2]), u.attestedState)
	return l.smalls(cl[0:2], 128), nil
}

// SyncLeaves are the leaf proofs of one sync-committee lane claim: the update's pieces, its
// signature slot, and the steps of the account, word and accumulator proofs in order.
type SyncLeaves struct {
	Update UpdateLeaves
	Chains [nChains][]Leaf
}

// UpdateLeaves are the leaf proofs of an update's five pieces, and its signature slot.
type UpdateLeaves struct {
	Signature, Header, Finality, Finalized, Payload Leaf
	SignatureSlot                                   uint64
}

// SyncRotationLeaves are the leaf proofs of a sync-committee rotation: the claim leaf, the
// update, the next committee's chunks in order, its key tree's layers (bottom first), its
// root.
type SyncRotationLeaves struct {
	Claim  Leaf
	Update UpdateLeaves
	Chunks []Leaf
	Layers [][]Leaf
	Root   Leaf
}

func (s *SyncLeaves) assign(c *SyncClaim, shape Shape) error {
	if err := s.Update.assign(&c.Update); err != nil {
		return err
	}
	return assignChains(&c.Chains, s.Chains, shape)
}

func (s *SyncRotationLeaves) assign(c *SyncRotation, lay rotationLayout) error {
	if err := s.Update.assign(&c.Update); err != nil {
		return err
	}
	var err error
	if c.Claim, err = slot(s.Claim); err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	if c.Root, err = slot(s.Root); err != nil {
		return fmt.Errorf("committee root: %w", err)
	}
	if len(s.Chunks) != lay.chunks || len(s.Layers) != len(lay.layers) {
		return fmt.Errorf("%d chunks and %d layers, the circuit takes %d and %d", len(s.Chunks), len(s.Layers), lay.chunks, len(lay.layers))
	}
	for j := range s.Chunks {
		if c.Chunks[j], err = slot(s.Chunks[j]); err != nil {
			return fmt.Errorf("chunk %d: %w", j, err)
		}
	}
	for i := range s.Layers {
		if len(s.Layers[i]) != lay.layers[i] {
			return fmt.Errorf("layer %d: %d nodes, the circuit takes %d", i, len(s.Layers[i]), lay.layers[i])
		}
		for j := range s.Layers[i] {
			if c.Layers[i][j], err = slot(s.Layers[i][j]); err != nil {
				return fmt.Errorf("layer %d node %d: %w", i, j, err)
			}
		}
	}
	return nil
}

func (s *UpdateLeaves) assign(c *SyncUpdate) error {
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
	return nil
}
