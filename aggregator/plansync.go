package aggregator

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// updateTasks are the tasks of an update's five pieces.
type updateTasks struct {
	signature, header, finality, finalized, payload int
	signatureSlot                                   uint64
}

func (t *updateTasks) leaves(proofs []aggregate.Leaf) aggregate.UpdateLeaves {
	return aggregate.UpdateLeaves{Signature: proofs[t.signature], Header: proofs[t.header], Finality: proofs[t.finality],
		Finalized: proofs[t.finalized], Payload: proofs[t.payload], SignatureSlot: t.signatureSlot}
}

// planUpdate checks an update natively as the aggregation will (synccommittee.Step.Links under
// the commitment of its committee and period, every slot in the fork the circuits serve and,
// when block is not zero, its finalized payload that block) and plans its five proofs.
func (p *Prover) planUpdate(add func(stage string, c *Circuit, label string, a frontend.Circuit) int, su *synccommittee.SignedUpdate, label string, block common.Hash) (*updateTasks, error) {
	sc := p.Config.Sync
	if sc == nil {
		return nil, fmt.Errorf("%w: a claim under the sync committee, and no sync-committee circuits", ErrShape)
	}
	cfg := &sc.Beacon
	u := su.Update
	if u == nil || u.FinalizedHeader == nil || su.Committee == nil {
		return nil, fmt.Errorf("%w: an update with a finalized header and its committee", synccommittee.ErrUpdate)
	}
	st, err := synccommittee.StepProof(*cfg, su.Committee, u)
	if err != nil {
		return nil, err
	}
	if err := st.Links(*cfg, synccommittee.CommitmentOf(su.Committee, su.Period), su.Period); err != nil {
		return nil, err
	}
	for what, slot := range map[string]uint64{"signature slot − 1": st.SignatureSlot - 1, "attested slot": uint64(u.AttestedHeader.Beacon.Slot),
		"finalized slot": uint64(u.FinalizedHeader.Beacon.Slot)} {
		if f := cfg.Current(slot); f != sc.Fork {
			return nil, fmt.Errorf("%w: the update's %s %d is in fork %s, the circuits serve %s", ErrShape, what, slot, f, sc.Fork)
		}
	}
	if block != (common.Hash{}) {
		exec, err := u.FinalizedHeader.Execution.Header()
		if err != nil {
			return nil, err
		}
		if exec.BlockHash != block {
			return nil, fmt.Errorf("%w: the update finalizes block %s, the claim is at %s", synccommittee.ErrUpdate, exec.BlockHash, block)
		}
	}
	return &updateTasks{
		signature:     add("sync updates", p.Sync.Signature, label+", sync committee signature", st.Signature),
		header:        add("sync updates", p.Sync.Header, label+", attested header", st.Header),
		finality:      add("sync updates", p.Sync.Finality, label+", finality branch", st.Finality),
		finalized:     add("sync updates", p.Sync.Finalized, label+", finalized header", st.Finalized),
		payload:       add("sync updates", p.Sync.Payload, label+", execution payload", st.Payload),
		signatureSlot: st.SignatureSlot,
	}, nil
}

// syncRotationPlan is one sync-committee rotation, checked: its claim and its pieces' witnesses.
type syncRotationPlan struct {
	in       *SyncRotationInput
	claim    protocol.RotationClaim
	rotation *synccommittee.Rotation
}

// syncRotationTasks are the tasks of one sync rotation.
type syncRotationTasks struct {
	update      *updateTasks
	claim, root int
	chunks      []int
	layers      [][]int
}

func (t *syncRotationTasks) leaves(proofs []aggregate.Leaf) aggregate.SyncRotationLeaves {
	out := aggregate.SyncRotationLeaves{Claim: proofs[t.claim], Update: t.update.leaves(proofs), Root: proofs[t.root]}
	for _, k := range t.chunks {
		out.Chunks = append(out.Chunks, proofs[k])
	}
	for _, layer := range t.layers {
		var ls []aggregate.Leaf
		for _, k := range layer {
			ls = append(ls, proofs[k])
		}
		out.Layers = append(out.Layers, ls)
	}
	return out
}

// planSyncRotations checks each rotation natively as the aggregation will
// (synccommittee.Step.RotationLinks and Rotation.Links: the update signed in its period, its
// attested and finalized headers in it, the next committee under the attested state from
// ChainStart of the next period) and assigns its pieces; the update's own checks come with
// its tasks (planUpdate).
func (p *Prover) planSyncRotations(inputs []SyncRotationInput) ([]syncRotationPlan, error) {
	var out []syncRotationPlan
	for i := range inputs {
		in := &inputs[i]
		su := in.Update
		sc := p.Config.Sync
		if sc == nil {
			return nil, fmt.Errorf("%w: a sync-committee rotation, and no sync-committee circuits", ErrShape)
		}
		if su == nil || su.Update == nil || su.Next == nil || su.Committee == nil {
			return nil, fmt.Errorf("sync rotation %d: %w: an update carrying the next committee", i, synccommittee.ErrUpdate)
		}
		rules, err := sc.rules()
		if err != nil {
			return nil, err
		}
		cfg := &sc.Beacon
		if err := synccommittee.VerifyBranch(su.Next.Root, su.Update.NextSyncCommitteeBranch, rules.NextCommitteeGindex, su.Update.AttestedHeader.Beacon.StateRoot); err != nil {
			return nil, fmt.Errorf("sync rotation %d: the next committee: %w", i, err)
		}
		rot, err := synccommittee.RotationProof(su.Next, su.Period+1, sc.ChunkKeys, sc.Width, rules.NextCommitteeGindex,
			su.Update.AttestedHeader.Beacon.StateRoot, su.Update.NextSyncCommitteeBranch)
		if err != nil {
			return nil, fmt.Errorf("sync rotation %d: %w", i, err)
		}
		st, err := synccommittee.StepProof(*cfg, su.Committee, su.Update)
		if err != nil {
			return nil, fmt.Errorf("sync rotation %d: %w", i, err)
		}
		if err := st.RotationLinks(*cfg, rot, su.Period); err != nil {
			return nil, fmt.Errorf("sync rotation %d: %w", i, err)
		}
		if err := rot.Links(su.Period+1, rot.Commitment); err != nil {
			return nil, fmt.Errorf("sync rotation %d: %w", i, err)
		}
		out = append(out, syncRotationPlan{in: in, rotation: rot, claim: in.Claim()})
	}
	return out, nil
}
