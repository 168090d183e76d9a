// Package aggregate is the BW6-761 aggregation circuit: it verifies a batch's BLS12-377 leaf
// proofs (the statement leaf; for each lane claim proven by storage a header leaf and its
// state steps; for each receipt slot a header leaf, the receipts trie's state steps and a
// receipt leaf; for each rotation slot a rotation leaf) under a registry of fixed verifying
// keys, one per leaf circuit, links their public inputs, and exposes the batch statement as
// its one public input. A new claim kind adds a leaf circuit, its key in Keys and its slots in
// Shape.
package aggregate

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/consensys/gnark/backend/groth16"
	groth16bls12377 "github.com/consensys/gnark/backend/groth16/bls12-377"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/sw_bls12377"
	"github.com/consensys/gnark/std/commitments/pedersen"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

type (
	g1 = sw_bls12377.G1Affine
	g2 = sw_bls12377.G2Affine
	gt = sw_bls12377.GT
	fr = sw_bls12377.ScalarField
)

// Slot is one leaf proof with its public inputs.
type Slot struct {
	Proof   stdgroth16.Proof[g1, g2]
	Witness stdgroth16.Witness[fr]
}

// Chain is one Merkle-Patricia proof: up to len(Steps) state steps, of which the first
// Used[j] = 1 are the proof's nodes in order; the slots after them hold any valid step proof
// and are ignored.
type Chain struct {
	Steps []Slot
	Used  []frontend.Variable
}

// The three proofs of a lane claim, in this order.
const (
	AccountChain = iota // the Outbox account under the header's stateRoot
	WordChain           // the lane word under the account's storageRoot
	AccChain            // the lane accumulator under the account's storageRoot
	nChains
)

// Claim holds the proofs of one lane claim.
type Claim struct {
	Header Slot
	Chains [nChains]Chain
}

// Shape is an aggregation circuit's compile-time size: the number of lane claims proven by
// storage of a batch (exactly; heads or checkpoints) under an attester committee, the most
// nodes of an account proof and of a storage proof, the number of rotation slots (a batch
// holds up to that many rotations), the number of lane claims proven by storage under
// Ethereum's sync committee (exactly; in the statement after the committee's) and of its
// rotation slots (after the committee's), the number of receipt slots (up to that many lanes
// by receipt and events) and the most receipts-trie nodes above a receipt leaf.
type Shape struct {
	Claims, AccountSteps, StorageSteps, Rotations int
	Receipts, ReceiptSteps                        int
	Sync, SyncRotations                           int
}

func (s Shape) String() string {
	out := fmt.Sprintf("%dx%dx%d", s.Claims, s.AccountSteps, s.StorageSteps)
	if s.Rotations > 0 || s.Receipts > 0 || s.Sync > 0 || s.SyncRotations > 0 {
		out += fmt.Sprintf("x%d", s.Rotations)
	}
	if s.Sync > 0 || s.SyncRotations > 0 {
		out += fmt.Sprintf("+s%dx%d", s.Sync, s.SyncRotations)
	}
	if s.Receipts > 0 {
		out += fmt.Sprintf("+r%dx%d", s.Receipts, s.ReceiptSteps)
	}
	return out
}

const shapeSyntax = "CLAIMSxACCOUNTxSTORAGE[xROTATIONS[+sSYNCxSYNCROTATIONS][+rRECEIPTSxRECEIPTSTEPS]], such as 1x9x7, 1x9x7x1, 0x9x7x0+s1x1 or 1x9x7x1+r2x3"

// ParseShape reads a shape as String writes it: CLAIMSxACCOUNTxSTORAGE[xROTATIONS] with, for
// sync-committee claims and rotations, +sSYNCxSYNCROTATIONS and, for receipt slots,
// +rRECEIPTSxRECEIPTSTEPS, such as 1x9x7, 1x9x7x1, 0x9x7x0+s1x1 or 1x9x7x1+r2x3.
func ParseShape(text string) (Shape, error) {
	var s Shape
	base, receipts, hasReceipts := strings.Cut(text, "+r")
	base, sync, hasSync := strings.Cut(base, "+s")
	var rest string
	n, _ := fmt.Sscanf(base, "%dx%dx%dx%d%s", &s.Claims, &s.AccountSteps, &s.StorageSteps, &s.Rotations, &rest)
	if n < 3 || n > 4 || (hasReceipts || hasSync) && n != 4 {
		return Shape{}, fmt.Errorf("shape %q: want %s", text, shapeSyntax)
	}
	if hasReceipts {
		if m, _ := fmt.Sscanf(receipts, "%dx%d%s", &s.Receipts, &s.ReceiptSteps, &rest); m != 2 {
			return Shape{}, fmt.Errorf("shape %q: want %s", text, shapeSyntax)
		}
	}
	if hasSync {
		if m, _ := fmt.Sscanf(sync, "%dx%d%s", &s.Sync, &s.SyncRotations, &rest); m != 2 {
			return Shape{}, fmt.Errorf("shape %q: want %s", text, shapeSyntax)
		}
	}
	if s.String() != text {
		return Shape{}, fmt.Errorf("shape %q: want %s", text, shapeSyntax)
	}
	if err := s.check(); err != nil {
		return Shape{}, err
	}
	return s, nil
}

func (s Shape) check() error {
	if s.Claims < 0 || s.Sync < 0 || s.SyncRotations < 0 || s.Claims+s.Sync+s.Receipts < 1 || s.AccountSteps < 1 || s.StorageSteps < 1 || s.Rotations < 0 ||
		s.Receipts < 0 || s.ReceiptSteps < 0 || s.Receipts == 0 && s.ReceiptSteps != 0 {
		return fmt.Errorf("aggregate: shape %s: a lane claim or a receipt slot at least, chains of at least 1 step, no negative size", s)
	}
	return nil
}

func (s Shape) steps(chain int) int {
	if chain == AccountChain {
		return s.AccountSteps
	}
	return s.StorageSteps
}

// Lanes is the number of lane claims proven by storage, under either adapter: the statement
// leaf's lane slots.
func (s Shape) Lanes() int { return s.Claims + s.Sync }

// Keys is the registry of leaf verifying keys (BLS12-377), fixed in the circuit: the
// statement leaf's (for the shape's claims, receipt slots and rotations), the header leaf's,
// the state step's, the rotation leaf's (nil for a shape without rotations), the receipt
// leaf's (nil for a shape without receipt slots) and an update's pieces' (nil for a shape
// without sync-committee claims).
type Keys struct {
	Statement, Header, Step, Rotation, Receipt groth16.VerifyingKey
	Sync                                       *SyncKeys
}

// Circuit verifies a batch. Its public input is the statement's low 253 bits
// (protocol.PublicInputOf).
type Circuit struct {
	Statement frontend.Variable `gnark:",public"`

	StatementLeaf Slot
	Claims        []Claim
	SyncClaims    []SyncClaim
	SyncRotations []SyncRotation
	Receipts      []ReceiptSlot
	Rotations     []Slot

	statementVK, headerVK, stepVK, rotationVK, receiptVK stdgroth16.VerifyingKey[g1, g2, gt] `gnark:"-"`
	syncVK                                               syncVKs                             `gnark:"-"`
	rules                                                synccommittee.ForkRules             `gnark:"-"`
}

// New returns the circuit of a shape over fixed leaf keys, as placeholder or to assign.
func New(shape Shape, keys Keys) (*Circuit, error) {
	if err := shape.check(); err != nil {
		return nil, err
	}
	if (shape.Rotations > 0) != (keys.Rotation != nil) {
		return nil, fmt.Errorf("aggregate: shape %s takes a rotation key exactly when it has rotation slots", shape)
	}
	if (shape.Receipts > 0) != (keys.Receipt != nil) {
		return nil, fmt.Errorf("aggregate: shape %s takes a receipt leaf key exactly when it has receipt slots", shape)
	}
	if (shape.Sync+shape.SyncRotations > 0) != (keys.Sync != nil) || shape.SyncRotations > 0 && (keys.Sync == nil || keys.Sync.Rotation == nil) {
		return nil, fmt.Errorf("aggregate: shape %s takes sync-committee keys exactly when it has sync-committee claims or rotations, and rotation keys for the latter", shape)
	}
	c := &Circuit{Claims: make([]Claim, shape.Claims), SyncClaims: make([]SyncClaim, shape.Sync), SyncRotations: make([]SyncRotation, shape.SyncRotations),
		Receipts: make([]ReceiptSlot, shape.Receipts), Rotations: make([]Slot, shape.Rotations)}
	var err error
	fixed := func(name string, vk groth16.VerifyingKey, dst *stdgroth16.VerifyingKey[g1, g2, gt]) {
		if err != nil {
			return
		}
		if *dst, err = stdgroth16.ValueOfVerifyingKeyFixed[g1, g2, gt](vk); err != nil {
			err = fmt.Errorf("aggregate: %s key: %w", name, err)
		}
	}
	fixed("statement", keys.Statement, &c.statementVK)
	fixed("header", keys.Header, &c.headerVK)
	fixed("step", keys.Step, &c.stepVK)
	if keys.Rotation != nil {
		fixed("rotation", keys.Rotation, &c.rotationVK)
	}
	if keys.Receipt != nil {
		fixed("receipt", keys.Receipt, &c.receiptVK)
	}
	if sk := keys.Sync; sk != nil {
		fixed("sync signature", sk.Signature, &c.syncVK.signature)
		fixed("sync header", sk.Header, &c.syncVK.header)
		fixed("sync finality branch", sk.Finality, &c.syncVK.finality)
		fixed("sync finalized header", sk.Finalized, &c.syncVK.finalized)
		fixed("sync payload", sk.Payload, &c.syncVK.payload)
		c.rules = sk.Rules
		if rk := sk.Rotation; rk != nil && shape.SyncRotations > 0 {
			fixed("sync rotation claim", rk.Claim, &c.syncVK.claim)
			fixed("sync committee chunk", rk.Chunk, &c.syncVK.chunk)
			if len(rk.layout().layers) > 0 {
				fixed("sync committee layer", rk.Merkle, &c.syncVK.merkle)
			}
			fixed("sync committee root", rk.Root, &c.syncVK.root)
		}
		if p := sk.Rules.SlotsPerPeriod; err == nil && (p == 0 || p&(p-1) != 0 || sk.Rules.SlotsPerEpoch == 0) {
			err = fmt.Errorf("aggregate: sync rules of %d slots a period, want a power of two", p)
		}
	}
	if err != nil {
		return nil, err
	}
	inputs := func(vk groth16.VerifyingKey) int {
		v := vk.(*groth16bls12377.VerifyingKey)
		return len(v.G1.K) - 1 - len(v.PublicAndCommitmentCommitted)
	}
	placeholder := func(vk groth16.VerifyingKey) Slot {
		v := vk.(*groth16bls12377.VerifyingKey)
		var s Slot
		s.Proof.Commitments = make([]pedersen.Commitment[g1], len(v.CommitmentKeys))
		s.Witness.Public = make([]emulated.Element[fr], inputs(vk))
		return s
	}
	type entry struct {
		name string
		vk   groth16.VerifyingKey
		want int // public inputs
	}
	registry := []entry{{"statement", keys.Statement, StatementInputs(shape.Lanes(), shape.Receipts, shape.Rotations+shape.SyncRotations)}, {"header", keys.Header, HeaderInputs}, {"step", keys.Step, StepInputs}}
	if keys.Rotation != nil {
		registry = append(registry, entry{"rotation", keys.Rotation, RotationInputs})
	}
	if keys.Receipt != nil {
		registry = append(registry, entry{"receipt", keys.Receipt, ReceiptLeafInputs})
	}
	if sk := keys.Sync; sk != nil {
		registry = append(registry, entry{"sync signature", sk.Signature, SyncSignatureInputs}, entry{"sync header", sk.Header, SyncHeaderInputs},
			entry{"sync finality branch", sk.Finality, SyncBranchInputs}, entry{"sync finalized header", sk.Finalized, SyncFinalizedInputs},
			entry{"sync payload", sk.Payload, SyncPayloadInputs})
		if rk := sk.Rotation; rk != nil && shape.SyncRotations > 0 {
			lay := rk.layout()
			if lay.chunks == 0 {
				return nil, fmt.Errorf("aggregate: a sync committee of %d keys in chunks of %d, layers of %d", rk.Size, rk.ChunkKeys, rk.Width)
			}
			registry = append(registry, entry{"sync rotation claim", rk.Claim, SyncRotationClaimInputs}, entry{"sync committee chunk", rk.Chunk, SyncChunkInputs},
				entry{"sync committee root", rk.Root, 2*lay.top + 2})
			if len(lay.layers) > 0 {
				registry = append(registry, entry{"sync committee layer", rk.Merkle, 2*rk.Width + 2})
			}
		}
	}
	for _, k := range registry {
		if _, ok := k.vk.(*groth16bls12377.VerifyingKey); !ok {
			return nil, fmt.Errorf("aggregate: the %s key is a %T, want BLS12-377", k.name, k.vk)
		}
		if got := inputs(k.vk); got != k.want {
			return nil, fmt.Errorf("aggregate: the %s key has %d public inputs, want %d (shape %s)", k.name, got, k.want, shape)
		}
	}
	c.StatementLeaf = placeholder(keys.Statement)
	chains := func(cs *[nChains]Chain) {
		for ch := range cs {
			n := shape.steps(ch)
			chain := Chain{Steps: make([]Slot, n), Used: make([]frontend.Variable, n)}
			for j := range chain.Steps {
				chain.Steps[j] = placeholder(keys.Step)
			}
			cs[ch] = chain
		}
	}
	for i := range c.Claims {
		c.Claims[i].Header = placeholder(keys.Header)
		chains(&c.Claims[i].Chains)
	}
	for i := range c.SyncClaims {
		s, sk := &c.SyncClaims[i], keys.Sync
		s.Update = syncUpdatePlaceholder(sk, placeholder)
		chains(&s.Chains)
	}
	for i := range c.SyncRotations {
		r, rk := &c.SyncRotations[i], keys.Sync.Rotation
		r.Update = syncUpdatePlaceholder(keys.Sync, placeholder)
		r.Claim, r.Root = placeholder(rk.Claim), placeholder(rk.Root)
		lay := rk.layout()
		r.Chunks = make([]Slot, lay.chunks)
		for j := range r.Chunks {
			r.Chunks[j] = placeholder(rk.Chunk)
		}
		r.Layers = make([][]Slot, len(lay.layers))
		for l, n := range lay.layers {
			r.Layers[l] = make([]Slot, n)
			for j := range r.Layers[l] {
				r.Layers[l][j] = placeholder(rk.Merkle)
			}
		}
	}
	for r := range c.Receipts {
		s := &c.Receipts[r]
		s.Header, s.Leaf = placeholder(keys.Header), placeholder(keys.Receipt)
		s.Steps = Chain{Steps: make([]Slot, shape.ReceiptSteps), Used: make([]frontend.Variable, shape.ReceiptSteps)}
		for j := range s.Steps.Steps {
			s.Steps.Steps[j] = placeholder(keys.Step)
		}
	}
	for r := range c.Rotations {
		c.Rotations[r] = placeholder(keys.Rotation)
	}
	return c, nil
}

// Public input layouts of the leaf circuits (their fields in declaration order).
const (
	HeaderInputs   = 9  // SrcDomain, Committee, BlockNumber, BlockHash[2], StateRoot[2], ReceiptsRoot[2]
	StepInputs     = 7  // Node[2], Key[2], Out[2], Shape
	RotationInputs = 2  // ClaimHash[2]
	claimInputs    = 15 // leaf.ClaimPublic
	statementFixed = 2  // Statement[2]
)

// StatementInputs is the number of public inputs of a statement leaf of claims lane claims,
// receipts receipt slots and rotations rotation slots (a claim hash each).
func StatementInputs(claims, receipts, rotations int) int {
	return statementFixed + claims*claimInputs + receipts*receiptClaimInputs + rotations*RotationInputs
}

// plainAPI hides the builder's commitment support, so that range checks decompose into bits
// instead of a lookup argument: the aggregation proof then carries no Groth16 commitment and
// the BN254 wrap that verifies it is ~35% smaller (5.0M instead of 7.6M constraints, before
// the subgroup checks of the proof's points, which add 0.87M), for ~7% more constraints here.
type plainAPI struct{ frontend.API }

// Define implements frontend.Circuit.
func (c *Circuit) Define(native frontend.API) error {
	api := frontend.API(plainAPI{native})
	v, err := stdgroth16.NewVerifier[fr, g1, g2, gt](api)
	if err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}
	l := &linker{api: api, rc: rangecheck.New(api)}
	// Every leaf proof's points are checked on the curve and in the prime-order subgroup
	// (~2.9k constraints a proof): without it, A + T and C + T for a torsion point T pass the
	// pairing equation (TestHardeningAggregationRefusesPointsOutsideTheGroup).

	if err := v.AssertProof(c.statementVK, c.StatementLeaf.Proof, c.StatementLeaf.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
		return fmt.Errorf("aggregate: statement leaf: %w", err)
	}
	sp := c.StatementLeaf.Witness.Public
	if len(sp) != StatementInputs(len(c.Claims)+len(c.SyncClaims), len(c.Receipts), len(c.Rotations)+len(c.SyncRotations)) {
		return errors.New("aggregate: statement leaf inputs do not match the claims")
	}
	// The public input: the statement hash's low 253 bits.
	hi, lo := l.small(&sp[0], 128), l.small(&sp[1], 128)
	hiBits := api.ToBinary(hi, 128)
	api.AssertIsEqual(c.Statement, api.Add(api.Mul(api.FromBinary(hiBits[:125]...), new(big.Int).Lsh(big.NewInt(1), 128)), lo))

	for i := range c.Claims {
		cl := &c.Claims[i]
		in := sp[statementFixed+i*claimInputs : statementFixed+(i+1)*claimInputs]
		claim := l.laneClaim(in)

		if err := v.AssertProof(c.headerVK, cl.Header.Proof, cl.Header.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return fmt.Errorf("aggregate: claim %d header: %w", i, err)
		}
		hp := cl.Header.Witness.Public
		l.equal(l.smalls(hp[0:1], 32), claim.src)
		// The committee commitment, a full field element: equal limbs are the same integer,
		// hence the same field element. (The emulated field's own equality check would
		// bring a lookup argument, and a commitment, into the circuit.)
		l.equal(hp[1].Limbs, in[1].Limbs)
		l.equal(l.smalls(hp[2:3], 64), claim.number)
		l.equal(l.smalls(hp[3:5], 128), claim.hash)
		stateRoot := l.canon(hp[5:7], 128)
		if err := l.chains(v, c.stepVK, &cl.Chains, &claim, stateRoot); err != nil {
			return fmt.Errorf("aggregate: claim %d %w", i, err)
		}
	}

	// Sync-committee claims: the same chains under the state root of an Ethereum update's
	// finalized execution payload, proven under the statement's committee commitment.
	for i := range c.SyncClaims {
		sc := &c.SyncClaims[i]
		k := len(c.Claims) + i
		in := sp[statementFixed+k*claimInputs : statementFixed+(k+1)*claimInputs]
		claim := l.laneClaim(in)
		u, err := l.update(v, &sc.Update, &c.syncVK, &c.rules, &in[1])
		if err != nil {
			return fmt.Errorf("aggregate: sync claim %d: %w", i, err)
		}
		l.equal([]frontend.Variable{u.number}, claim.number)
		l.equal(u.hash, claim.hash)
		if err := l.chains(v, c.stepVK, &sc.Chains, &claim, u.stateRoot); err != nil {
			return fmt.Errorf("aggregate: sync claim %d %w", i, err)
		}
	}

	// Receipt slots: a used one (a kind in the statement) is proven by its header leaf and the
	// receipt leaf under the header's receiptsRoot; an unused one holds any valid proofs.
	base := statementFixed + (len(c.Claims)+len(c.SyncClaims))*claimInputs
	for r := range c.Receipts {
		if err := l.receipt(v, &c.Receipts[r], sp[base+r*receiptClaimInputs:base+(r+1)*receiptClaimInputs], c.headerVK, c.stepVK, c.receiptVK); err != nil {
			return fmt.Errorf("aggregate: receipt slot %d: %w", r, err)
		}
	}

	// Rotation slots: a used slot (a non-zero hash in the statement) is the claim of a valid
	// rotation leaf; an unused one holds any valid rotation leaf, ignored.
	base += len(c.Receipts) * receiptClaimInputs
	for r := range c.Rotations {
		if err := v.AssertProof(c.rotationVK, c.Rotations[r].Proof, c.Rotations[r].Witness, stdgroth16.WithSubgroupCheck()); err != nil {
			return fmt.Errorf("aggregate: rotation %d: %w", r, err)
		}
		want := l.smalls(sp[base+r*RotationInputs:base+(r+1)*RotationInputs], 128)
		got := l.smalls(c.Rotations[r].Witness.Public[0:2], 128)
		l.usedRotation(want, got)
	}

	// Sync-committee rotation slots, after the committee's: the same rule, each a valid
	// rotation (an unused one the padding rotation of a public committee).
	base += len(c.Rotations) * RotationInputs
	for r := range c.SyncRotations {
		got, err := l.syncRotation(v, &c.SyncRotations[r], &c.syncVK, &c.rules)
		if err != nil {
			return fmt.Errorf("aggregate: sync rotation %d: %w", r, err)
		}
		want := l.smalls(sp[base+r*RotationInputs:base+(r+1)*RotationInputs], 128)
		l.usedRotation(want, got)
	}
	return nil
}

// usedRotation binds a rotation slot to the statement's claim hash want when the slot is
// used (want non-zero): got is the slot's proven claim hash.
func (l *linker) usedRotation(want, got []frontend.Variable) {
	api := l.api
	used := api.Sub(1, api.IsZero(api.Add(want[0], want[1])))
	for h := range want {
		api.AssertIsEqual(api.Mul(used, api.Sub(got[h], want[h])), 0)
	}
}

type linker struct {
	api frontend.API
	rc  frontend.Rangechecker
}

// laneClaim is a lane claim's statement inputs, unpacked: source domain, block number and
// hash as values, keys and values as canonical limbs. (The committee, in[1], is compared
// limb by limb where it is proven.)
type laneClaim struct {
	src, number, hash                      []frontend.Variable
	accountKey, wordKey, accKey, word, acc [][]frontend.Variable
}

func (l *linker) laneClaim(in []emulated.Element[fr]) laneClaim {
	return laneClaim{
		src: l.smalls(in[0:1], 32), number: l.smalls(in[2:3], 64), hash: l.smalls(in[3:5], 128),
		accountKey: l.canon(in[5:7], 128), wordKey: l.canon(in[7:9], 128), accKey: l.canon(in[9:11], 128),
		word: l.canon(in[11:13], 128), acc: l.canon(in[13:15], 128),
	}
}

// chains verifies a lane claim's state steps and links its three Merkle-Patricia proofs: the
// Outbox account under stateRoot, the lane word and accumulator under its storage root.
func (l *linker) chains(v *stdgroth16.Verifier[fr, g1, g2, gt], stepVK stdgroth16.VerifyingKey[g1, g2, gt], cs *[nChains]Chain, claim *laneClaim, stateRoot [][]frontend.Variable) error {
	for ch := range cs {
		for j, s := range cs[ch].Steps {
			if err := v.AssertProof(stepVK, s.Proof, s.Witness, stdgroth16.WithSubgroupCheck()); err != nil {
				return fmt.Errorf("chain %d step %d: %w", ch, j, err)
			}
		}
	}
	storageRoot := l.chain(&cs[AccountChain], stateRoot, claim.accountKey, 1)
	l.equalLimbs(l.chain(&cs[WordChain], storageRoot, claim.wordKey, 0), claim.word)
	l.equalLimbs(l.chain(&cs[AccChain], storageRoot, claim.accKey, 0), claim.acc)
	return nil
}

// small returns the value of a leaf's public input known to be below 2^bits (bits <= 128),
// asserting that its limbs encode it canonically: the limbs above are zero and the ones
// below are range-checked, so the value is below 2^bits and thus below the field modulus.
func (l *linker) small(e *emulated.Element[fr], bits int) frontend.Variable {
	var f fr
	w := int(f.BitsPerLimb())
	var v frontend.Variable = 0
	for i := len(e.Limbs) - 1; i >= 0; i-- {
		if i*w >= bits {
			l.api.AssertIsEqual(e.Limbs[i], 0)
			continue
		}
		l.rc.Check(e.Limbs[i], min(w, bits-i*w))
		v = l.api.Add(l.api.Mul(v, new(big.Int).Lsh(big.NewInt(1), uint(w))), e.Limbs[i])
	}
	return v
}

func (l *linker) smalls(es []emulated.Element[fr], bits int) []frontend.Variable {
	out := make([]frontend.Variable, len(es))
	for i := range es {
		out[i] = l.small(&es[i], bits)
	}
	return out
}

func (l *linker) equal(a, b []frontend.Variable) {
	for i := range a {
		l.api.AssertIsEqual(a[i], b[i])
	}
}

// canon asserts that each element encodes a value below 2^bits canonically (as small does)
// and returns their limbs: an element whose limbs equal a canonical element's is canonical
// and of the same value, so it needs no range check of its own.
func (l *linker) canon(es []emulated.Element[fr], bits int) [][]frontend.Variable {
	out := make([][]frontend.Variable, len(es))
	for i := range es {
		l.small(&es[i], bits)
		out[i] = es[i].Limbs
	}
	return out
}

func (l *linker) equalLimbs(a, b [][]frontend.Variable) {
	for i := range a {
		l.equal(a[i], b[i])
	}
}

func limbsOf(es []emulated.Element[fr]) [][]frontend.Variable {
	out := make([][]frontend.Variable, len(es))
	for i := range es {
		out[i] = es[i].Limbs
	}
	return out
}

// step is a state step's public inputs, unpacked: its node and key as raw limbs (a used
// step's are asserted equal to canonical limbs: its predecessor's Out or the root, and the
// statement's key), its Out checked canonical.
type step struct {
	node, key, out                                        [][]frontend.Variable
	depth, nextDepth, isLeaf, account, embedded, outEmbed frontend.Variable
}

func (l *linker) step(s *Slot) step {
	p := s.Witness.Public
	// The shape fits the low limb; ToBinary bounds it.
	for _, limb := range p[6].Limbs[1:] {
		l.api.AssertIsEqual(limb, 0)
	}
	shape := l.api.ToBinary(p[6].Limbs[0], leaf.ShapeBits)
	return step{
		node: limbsOf(p[0:2]), key: limbsOf(p[2:4]), out: l.canon(p[4:6], 128),
		depth: l.api.FromBinary(shape[0:8]...), nextDepth: l.api.FromBinary(shape[8:16]...),
		isLeaf: shape[16], account: shape[17], embedded: shape[18], outEmbed: shape[19],
	}
}

// chain links a Merkle-Patricia proof's steps as leaf.LinkStateSteps does: the first used
// step is root at depth 0, each used step continues its predecessor's Out at its NextDepth,
// all are of key in the trie kind account, only the last used one is a leaf, ending at depth
// 64. root and key are canonical limbs. It returns the limbs of that leaf's Out.
func (l *linker) chain(c *Chain, root, key [][]frontend.Variable, account int) [][]frontend.Variable {
	api := l.api
	n := len(c.Steps)
	steps := make([]step, n)
	for j := range c.Steps {
		steps[j] = l.step(&c.Steps[j])
		api.AssertIsBoolean(c.Used[j])
		if j > 0 {
			api.AssertIsEqual(api.Mul(c.Used[j], api.Sub(1, c.Used[j-1])), 0) // used steps come first
		}
	}
	api.AssertIsEqual(c.Used[0], 1)
	first := steps[0]
	l.equalLimbs(first.node, root)
	api.AssertIsEqual(first.depth, 0)
	api.AssertIsEqual(first.embedded, 0)

	out := make([][]frontend.Variable, len(root))
	for h := range out {
		out[h] = make([]frontend.Variable, len(root[h]))
		for k := range out[h] {
			out[h][k] = 0
		}
	}
	for j, s := range steps {
		used := c.Used[j]
		var next frontend.Variable = 0
		if j+1 < n {
			next = c.Used[j+1]
		}
		last := api.Sub(used, next) // 1 at the last used step only
		when := func(cond, a, b frontend.Variable) { api.AssertIsEqual(api.Mul(cond, api.Sub(a, b)), 0) }
		for h := range key {
			for k := range key[h] {
				when(used, s.key[h][k], key[h][k])
			}
		}
		when(used, s.account, account)
		api.AssertIsEqual(api.Mul(used, s.isLeaf), last)
		when(last, s.nextDepth, mpt.KeyNibbles)
		if j > 0 {
			prev := steps[j-1]
			for h := range s.node {
				for k := range s.node[h] {
					when(used, s.node[h][k], prev.out[h][k])
				}
			}
			when(used, s.depth, prev.nextDepth)
			when(used, s.embedded, prev.outEmbed)
		}
		for h := range out {
			for k := range out[h] {
				out[h][k] = api.Add(out[h][k], api.Mul(last, s.out[h][k]))
			}
		}
	}
	return out
}

// Leaf is a leaf proof and its public witness.
type Leaf struct {
	Proof  groth16.Proof
	Public witness.Witness
}

// ClaimLeaves are the leaf proofs of one lane claim: its header, and the steps of its
// account, word and accumulator proofs in order.
type ClaimLeaves struct {
	Header Leaf
	Chains [nChains][]Leaf
}

// Assign builds the circuit's assignment for a batch whose public input is statement: its
// statement leaf, its lane claims' leaves (under an attester committee, then under the sync
// committee), the leaves of every receipt slot (any valid ones for an unused slot), a
// rotation leaf for every rotation slot (the padding leaf, leaf.PaddingRotation, for an
// unused one) and the pieces of a rotation for every sync-committee rotation slot.
func Assign(shape Shape, keys Keys, statement *big.Int, stmt Leaf, claims []ClaimLeaves, sync []SyncLeaves, receipts []ReceiptLeaves, rotations []Leaf, syncRotations []SyncRotationLeaves) (*Circuit, error) {
	if len(claims) != shape.Claims {
		return nil, fmt.Errorf("aggregate: %d claims for a circuit of %d", len(claims), shape.Claims)
	}
	if len(sync) != shape.Sync {
		return nil, fmt.Errorf("aggregate: %d sync-committee claims for a circuit of %d", len(sync), shape.Sync)
	}
	if len(receipts) != shape.Receipts {
		return nil, fmt.Errorf("aggregate: %d receipt slots for a circuit of %d", len(receipts), shape.Receipts)
	}
	if len(rotations) != shape.Rotations {
		return nil, fmt.Errorf("aggregate: %d rotation leaves for a circuit of %d rotation slots", len(rotations), shape.Rotations)
	}
	c, err := New(shape, keys)
	if err != nil {
		return nil, err
	}
	c.Statement = statement
	if c.StatementLeaf, err = slot(stmt); err != nil {
		return nil, fmt.Errorf("aggregate: statement leaf: %w", err)
	}
	for i, cl := range claims {
		if c.Claims[i].Header, err = slot(cl.Header); err != nil {
			return nil, fmt.Errorf("aggregate: claim %d header: %w", i, err)
		}
		if err := assignChains(&c.Claims[i].Chains, cl.Chains, shape); err != nil {
			return nil, fmt.Errorf("aggregate: claim %d %w", i, err)
		}
	}
	for i := range sync {
		if err := sync[i].assign(&c.SyncClaims[i], shape); err != nil {
			return nil, fmt.Errorf("aggregate: sync claim %d: %w", i, err)
		}
	}
	if len(syncRotations) != shape.SyncRotations {
		return nil, fmt.Errorf("aggregate: %d sync rotations for a circuit of %d slots", len(syncRotations), shape.SyncRotations)
	}
	for i := range syncRotations {
		if err := syncRotations[i].assign(&c.SyncRotations[i], keys.Sync.Rotation.layout()); err != nil {
			return nil, fmt.Errorf("aggregate: sync rotation %d: %w", i, err)
		}
	}
	for r := range receipts {
		if err := receipts[r].assign(&c.Receipts[r], shape.ReceiptSteps); err != nil {
			return nil, fmt.Errorf("aggregate: receipt slot %d: %w", r, err)
		}
	}
	for r, rl := range rotations {
		if c.Rotations[r], err = slot(rl); err != nil {
			return nil, fmt.Errorf("aggregate: rotation %d: %w", r, err)
		}
	}
	return c, nil
}

// assignChains assigns a lane claim's three Merkle-Patricia proofs: each chain's steps in
// order, its unused slots repeating the last step (ignored).
func assignChains(dst *[nChains]Chain, chains [nChains][]Leaf, shape Shape) error {
	for ch, steps := range chains {
		max := shape.steps(ch)
		if len(steps) == 0 || len(steps) > max {
			return fmt.Errorf("chain %d: %d steps, the circuit takes 1 to %d", ch, len(steps), max)
		}
		for j := 0; j < max; j++ {
			var err error
			if dst[ch].Steps[j], err = slot(steps[min(j, len(steps)-1)]); err != nil {
				return fmt.Errorf("chain %d step %d: %w", ch, j, err)
			}
			dst[ch].Used[j] = 0
			if j < len(steps) {
				dst[ch].Used[j] = 1
			}
		}
	}
	return nil
}

func slot(l Leaf) (Slot, error) {
	var s Slot
	var err error
	if s.Proof, err = stdgroth16.ValueOfProof[g1, g2](l.Proof); err != nil {
		return s, err
	}
	s.Witness, err = stdgroth16.ValueOfWitness[fr](l.Public)
	return s, err
}
