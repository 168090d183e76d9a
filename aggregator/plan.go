package aggregator

import (
	"fmt"

	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/mpt"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// ReceiptInput is what proves one claim by receipt: the signatures of the log's block by the
// committee, and the log's receipt proof. With Outbox set the log is that Outbox's
// MessageSent and the claim a lane by receipt (the lane at nonce + 1); without, the claim is
// an event claim of the log.
type ReceiptInput struct {
	Committee  committee.Committee
	Signatures map[int]*eddsanative.Signature // by member index
	Proof      *chain.ReceiptProof
	Outbox     common.Address
}

// Claim is the claim the input proves: a lane by receipt (Lane) or an event (Event).
func (in *ReceiptInput) Claim() (lane *protocol.LaneClaim, event *protocol.EventClaim, err error) {
	c := in.Committee.CommitmentHash()
	if in.Outbox != (common.Address{}) {
		l, err := in.Proof.LaneByReceipt(in.Outbox, c)
		return &l, nil, err
	}
	e, err := in.Proof.Event(c)
	return nil, &e, err
}

// ErrReceiptTooLarge: a claim by receipt whose receipt is over the receipt leaf's bounds
// (prove the lane by storage instead).
var ErrReceiptTooLarge = leaf.ErrReceiptTooLarge

// LeafPlan is a batch's leaf proofs, planned and checked natively: its statement, one task a
// proof, and how their proofs make the aggregation's Leaves.
type LeafPlan struct {
	Statement protocol.Statement
	tasks     []task
	build     func(proofs []aggregate.Leaf) *Leaves
}

// PlanLeaves checks a batch natively, as the circuits will (every proof's walk, every claim's
// link), and plans its leaf proofs: the statement leaf; each lane claim's header leaf and state
// steps; each receipt slot's header leaf, receipts-trie steps and receipt leaf (an unused slot
// takes proofs of the batch's other slots, or padding ones); a rotation leaf a rotation slot.
func (p *Prover) PlanLeaves(b Batch) (*LeafPlan, error) {
	shape, inputs := p.Config.Shape, b.Claims
	if len(inputs) != shape.Lanes() {
		return nil, fmt.Errorf("%w: %d claims, the circuits take %d", ErrShape, len(inputs), shape.Lanes())
	}
	for i := range inputs {
		if (i >= shape.Claims) != (inputs[i].Sync != nil) {
			return nil, fmt.Errorf("%w: claim %d: the circuits take %d claims under attester committees, then %d under the sync committee", ErrShape, i, shape.Claims, shape.Sync)
		}
	}
	if len(b.SyncRotations) > shape.SyncRotations || len(b.SyncRotations) > 0 && len(b.Rotations) != shape.Rotations {
		return nil, fmt.Errorf("%w: %d sync-committee rotations (and %d of committees), the circuits take up to %d (after exactly %d)", ErrShape,
			len(b.SyncRotations), len(b.Rotations), shape.SyncRotations, shape.Rotations)
	}
	if len(b.Receipts) > shape.Receipts {
		return nil, fmt.Errorf("%w: %d claims by receipt, the circuits take up to %d", ErrShape, len(b.Receipts), shape.Receipts)
	}
	if len(b.Rotations) > shape.Rotations {
		return nil, fmt.Errorf("%w: %d rotations, the circuits take up to %d", ErrShape, len(b.Rotations), shape.Rotations)
	}

	// Plan: the claims, their words, and every state step, checked natively first.
	claims := make([]protocol.LaneClaim, len(inputs))
	words := make([]common.Hash, len(inputs))
	type chainPlan struct {
		key     common.Hash
		account bool
		steps   []mpt.Step
		value   []byte
	}
	plans := make([][3]chainPlan, len(inputs))
	for i := range inputs {
		in := &inputs[i]
		if err := in.Lane.Verify(); err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		var err error
		if claims[i], err = in.Claim(); err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		word, acc, err := in.storage()
		if err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		words[i] = word.Value
		keys := leaf.KeysOf(claims[i], words[i])
		proofs := [3]struct {
			root  common.Hash
			key   common.Hash
			nodes [][]byte
		}{
			{in.Lane.Header.Root, keys.AccountKey, nodes(in.Lane.AccountProof)},
			{in.Lane.StorageRoot, keys.WordKey, nodes(word.Proof)},
			{in.Lane.StorageRoot, keys.AccKey, nodes(acc.Proof)},
		}
		for ch, pr := range proofs {
			value, steps, err := mpt.VerifyNative(pr.root, pr.key[:], pr.nodes)
			if err != nil {
				return nil, fmt.Errorf("claim %d, chain %d: %w", i, ch, err)
			}
			max := shape.AccountSteps
			if ch != aggregate.AccountChain {
				max = shape.StorageSteps
			}
			if len(steps) > max {
				return nil, fmt.Errorf("%w: claim %d, chain %d: a proof of %d nodes, the circuits take %d", ErrShape, i, ch, len(steps), max)
			}
			plans[i][ch] = chainPlan{pr.key, ch == aggregate.AccountChain, steps, value}
		}
	}

	// Claims by receipt: lanes first, then events (the statement's order), each checked as the
	// aggregation will check it.
	receipts, err := p.planReceipts(b.Receipts)
	if err != nil {
		return nil, err
	}
	stmt := protocol.Statement{Lanes: claims}
	for _, r := range receipts {
		if r.lane != nil {
			stmt.Lanes = append(stmt.Lanes, *r.lane)
		} else {
			stmt.Events = append(stmt.Events, *r.event)
		}
	}
	for _, r := range b.Rotations {
		stmt.Rotations = append(stmt.Rotations, r.Claim)
	}
	syncInputs := b.SyncRotations
	for len(syncInputs) < shape.SyncRotations {
		pad, err := p.Config.Sync.Beacon.PaddingUpdate(p.Config.Sync.Fork)
		if err != nil {
			return nil, fmt.Errorf("sync rotation padding: %w", err)
		}
		syncInputs = append(syncInputs, SyncRotationInput{Update: pad})
	}
	syncRots, err := p.planSyncRotations(syncInputs)
	if err != nil {
		return nil, err
	}
	for _, r := range syncRots[:len(b.SyncRotations)] {
		stmt.Rotations = append(stmt.Rotations, r.claim)
	}
	plan := &LeafPlan{Statement: stmt}

	// The leaf jobs, independent of each other: the statement leaf, each claim's header leaf
	// and state steps, each receipt slot's leaves, a rotation leaf per rotation slot.
	sa, _, err := leaf.AssignStatement(stmt, words, shape.Receipts, shape.Rotations+shape.SyncRotations)
	if err != nil {
		return nil, err
	}
	add := func(stage string, c *Circuit, label string, a frontend.Circuit) int {
		plan.tasks = append(plan.tasks, task{stage, c, label, a})
		return len(plan.tasks) - 1
	}
	add("statement", p.Statement, "statement leaf", sa)
	headers := make([]int, len(inputs))
	updates := map[*synccommittee.Update]*updateTasks{}
	for i := range inputs {
		in := &inputs[i]
		if in.Sync != nil {
			if updates[in.Sync.Update], err = p.planUpdate(add, in.Sync, fmt.Sprintf("claim %d", i), in.Lane.Header.Hash()); err != nil {
				return nil, fmt.Errorf("claim %d: %w", i, err)
			}
			continue
		}
		enc, err := rlp.EncodeToBytes(in.Lane.Header)
		if err != nil {
			return nil, fmt.Errorf("claim %d: header: %w", i, err)
		}
		ha, _, err := leaf.AssignHeader(in.Lane.SrcDomain, enc, in.Committee, in.Signatures, p.Config.CommitteeCapacity)
		if err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		headers[i] = add("header leaves", p.Header, fmt.Sprintf("claim %d, header", i), ha)
	}
	chains := make([][3][]int, len(inputs))
	anyStep := -1
	for i := range plans {
		for ch, pl := range plans[i] {
			if repeats(claims[i], ch) {
				continue
			}
			for j := range pl.steps {
				sa, _, err := leaf.AssignStateStep(pl.key, pl.steps, j, pl.value, pl.account)
				if err != nil {
					return nil, fmt.Errorf("claim %d, chain %d: %w", i, ch, err)
				}
				k := add("state steps", p.Step, fmt.Sprintf("claim %d, chain %d, step %d of %d", i, ch, j+1, len(pl.steps)), sa)
				chains[i][ch] = append(chains[i][ch], k)
				anyStep = k
			}
		}
	}
	type slotTasks struct {
		header, leaf int
		steps        []int
	}
	slots := make([]slotTasks, len(receipts))
	for r, rp := range receipts {
		ha, _, err := leaf.AssignHeader(rp.in.Proof.SrcDomain, rp.header, rp.in.Committee, rp.in.Signatures, p.Config.CommitteeCapacity)
		if err != nil {
			return nil, fmt.Errorf("receipt claim %d: %w", r, err)
		}
		slots[r].header = add("header leaves", p.Header, fmt.Sprintf("receipt claim %d, header", r), ha)
		for j, s := range rp.steps {
			k := add("state steps", p.Step, fmt.Sprintf("receipt claim %d, receipts-trie step %d of %d", r, j+1, len(rp.steps)), s)
			slots[r].steps = append(slots[r].steps, k)
			anyStep = k
		}
		slots[r].leaf = add("receipt leaves", p.Receipt, fmt.Sprintf("receipt claim %d, log %d of transaction %d", r, rp.in.Proof.LogIndex, rp.in.Proof.TxIndex), rp.leaf)
	}
	// Unused receipt slots, and step slots a walk leaves empty, take proofs of the batch's
	// other slots, or padding ones: the aggregation links nothing of them.
	padHeader, padLeaf := -1, -1
	switch {
	case len(receipts) > 0:
		padHeader, padLeaf = slots[0].header, slots[0].leaf
	case shape.Claims > 0:
		padHeader = headers[0]
	}
	if len(receipts) < shape.Receipts {
		if padHeader < 0 {
			return nil, fmt.Errorf("%w: a batch without lane claims or claims by receipt leaves its receipt slots without a header proof", ErrShape)
		}
		if padLeaf < 0 {
			pa, err := leaf.PaddingReceipt(leaf.ReceiptNodeLen, leaf.ReceiptMaxData)
			if err != nil {
				return nil, err
			}
			padLeaf = add("receipt leaves", p.Receipt, "receipt slot (padding)", pa)
		}
	}
	if shape.Receipts > 0 && shape.ReceiptSteps > 0 && anyStep < 0 {
		ps, err := leaf.PaddingStep()
		if err != nil {
			return nil, err
		}
		anyStep = add("state steps", p.Step, "receipts-trie step (padding)", ps)
	}
	rotations := make([]int, shape.Rotations)
	for r := range shape.Rotations {
		var ra *leaf.RotationCircuit
		label := fmt.Sprintf("rotation %d", r)
		if r < len(b.Rotations) {
			in := &b.Rotations[r]
			if ra, _, err = leaf.AssignRotation(in.Claim, in.Committee, in.Signatures, p.Config.CommitteeCapacity); err != nil {
				return nil, fmt.Errorf("rotation %d: %w", r, err)
			}
		} else {
			if ra, err = leaf.PaddingRotation(p.Config.CommitteeCapacity); err != nil {
				return nil, err
			}
			label += " (padding)"
		}
		rotations[r] = add("rotation leaves", p.Rotation, label, ra)
	}
	syncRotations := make([]syncRotationTasks, len(syncRots))
	for r, sr := range syncRots {
		label := fmt.Sprintf("sync rotation %d", r)
		if r >= len(b.SyncRotations) {
			label += " (padding)"
		}
		t := &syncRotations[r]
		if t.update = updates[sr.in.Update.Update]; t.update == nil {
			if t.update, err = p.planUpdate(add, sr.in.Update, label, common.Hash{}); err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			updates[sr.in.Update.Update] = t.update
		}
		t.claim = add("sync rotations", p.Sync.Claim, label+", claim", leaf.AssignSyncRotationClaim(sr.claim))
		for j, c := range sr.rotation.Chunks {
			t.chunks = append(t.chunks, add("sync rotations", p.Sync.Chunk, fmt.Sprintf("%s, chunk %d of %d", label, j+1, len(sr.rotation.Chunks)), c))
		}
		for l, layer := range sr.rotation.Layers {
			var ks []int
			for j, m := range layer {
				ks = append(ks, add("sync rotations", p.Sync.Merkle, fmt.Sprintf("%s, key tree layer %d node %d", label, l+1, j+1), m))
			}
			t.layers = append(t.layers, ks)
		}
		t.root = add("sync rotations", p.Sync.Root, label+", committee root", sr.rotation.Root)
	}

	plan.build = func(proofs []aggregate.Leaf) *Leaves {
		l := &Leaves{Statement: stmt, StatementLeaf: proofs[0], Claims: make([]aggregate.ClaimLeaves, shape.Claims),
			Sync: make([]aggregate.SyncLeaves, shape.Sync), Receipts: make([]aggregate.ReceiptLeaves, shape.Receipts)}
		for i := range inputs {
			var cs [3][]aggregate.Leaf
			for ch := range chains[i] {
				for _, k := range chains[i][ch] {
					cs[ch] = append(cs[ch], proofs[k])
				}
			}
			if repeats(claims[i], aggregate.AccChain) {
				cs[aggregate.AccChain] = cs[aggregate.WordChain]
			}
			if inputs[i].Sync != nil {
				l.Sync[i-shape.Claims] = aggregate.SyncLeaves{Update: updates[inputs[i].Sync.Update].leaves(proofs), Chains: cs}
				continue
			}
			l.Claims[i] = aggregate.ClaimLeaves{Header: proofs[headers[i]], Chains: cs}
		}
		for _, t := range syncRotations {
			l.SyncRotations = append(l.SyncRotations, t.leaves(proofs))
		}
		for r := range l.Receipts {
			rl := &l.Receipts[r]
			if r < len(slots) {
				rl.Header, rl.Leaf, rl.Used = proofs[slots[r].header], proofs[slots[r].leaf], len(slots[r].steps)
				for _, k := range slots[r].steps {
					rl.Steps = append(rl.Steps, proofs[k])
				}
			} else {
				rl.Header, rl.Leaf = proofs[padHeader], proofs[padLeaf]
			}
			if len(rl.Steps) == 0 && anyStep >= 0 {
				rl.Steps = []aggregate.Leaf{proofs[anyStep]}
			}
		}
		for _, k := range rotations {
			l.Rotations = append(l.Rotations, proofs[k])
		}
		return l
	}
	return plan, nil
}

// receiptPlan is one claim by receipt, checked: its claim, its header's encoding, and its
// leaves' witnesses.
type receiptPlan struct {
	in     *ReceiptInput
	lane   *protocol.LaneClaim
	event  *protocol.EventClaim
	header []byte
	steps  []*leaf.StateStepCircuit
	leaf   *leaf.ReceiptLeafCircuit
}

// planReceipts checks each claim by receipt natively (its walk under the header's
// receiptsRoot, its log against the claim: leaf.LinkReceipt and leaf.MatchReceipt) and assigns
// its leaves; the lanes come first.
func (p *Prover) planReceipts(inputs []ReceiptInput) ([]receiptPlan, error) {
	var lanes, events []receiptPlan
	for i := range inputs {
		in := &inputs[i]
		if in.Proof == nil || in.Proof.Header == nil {
			return nil, fmt.Errorf("receipt claim %d: no receipt proof", i)
		}
		rp := receiptPlan{in: in}
		var err error
		if rp.lane, rp.event, err = in.Claim(); err != nil {
			return nil, fmt.Errorf("receipt claim %d: %w", i, err)
		}
		h := in.Proof.Header
		if rp.header, err = rlp.EncodeToBytes(h); err != nil {
			return nil, fmt.Errorf("receipt claim %d: header: %w", i, err)
		}
		enc, _ := rlp.EncodeToBytes(uint64(in.Proof.TxIndex))
		_, steps, err := mpt.VerifyNative(h.ReceiptHash, enc, nodes(in.Proof.Nodes))
		if err != nil {
			return nil, fmt.Errorf("receipt claim %d: %w", i, err)
		}
		if len(steps)-1 > p.Config.Shape.ReceiptSteps {
			return nil, fmt.Errorf("%w: receipt claim %d: %d receipts-trie nodes above the leaf, the circuits take %d", ErrShape, i, len(steps)-1, p.Config.Shape.ReceiptSteps)
		}
		key, _, err := leaf.ReceiptKey(uint64(in.Proof.TxIndex))
		if err != nil {
			return nil, err
		}
		var stepPubs []*leaf.StateStepPublic
		for j := range steps[:len(steps)-1] {
			a, pub, err := leaf.AssignStateStep(key, steps, j, nil, false)
			if err != nil {
				return nil, fmt.Errorf("receipt claim %d, step %d: %w", i, j, err)
			}
			rp.steps, stepPubs = append(rp.steps, a), append(stepPubs, pub)
		}
		var pub *leaf.ReceiptLeafPublic
		if rp.leaf, pub, err = leaf.AssignReceiptLeaf(int(in.Proof.TxIndex), steps, int(in.Proof.LogIndex), leaf.ReceiptNodeLen, leaf.ReceiptMaxData); err != nil {
			return nil, fmt.Errorf("receipt claim %d: %w", i, err)
		}
		if err := leaf.LinkReceipt(h.ReceiptHash, stepPubs, pub); err != nil {
			return nil, fmt.Errorf("receipt claim %d: %w", i, err)
		}
		hp := &leaf.HeaderPublic{SrcDomain: in.Proof.SrcDomain, Committee: in.Committee.CommitmentHash(), BlockNumber: h.Number.Uint64(),
			BlockHash: h.Hash(), StateRoot: h.Root, ReceiptsRoot: h.ReceiptHash}
		var log leaf.ReceiptLog
		if rp.lane != nil {
			log = leaf.LogOfLane(*rp.lane)
		} else {
			log = leaf.LogOfEvent(*rp.event)
		}
		if err := leaf.MatchReceipt(log, hp, pub); err != nil {
			return nil, fmt.Errorf("receipt claim %d: %w", i, err)
		}
		if rp.lane != nil {
			lanes = append(lanes, rp)
		} else {
			events = append(events, rp)
		}
	}
	return append(lanes, events...), nil
}
