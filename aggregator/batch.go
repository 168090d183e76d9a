// Package aggregator proves batches: each claim's leaf proofs on BLS12-377 (one leaf kind a
// piece of work, every kind's key in an allow-list), their aggregation on BW6-761
// (circuits/universal, one key for any mix of claims), and the BN254 wrap the destination's
// generated Solidity verifier checks (circuits/wrap). Its jobs run in process or on workers
// through NATS JetStream.
package aggregator

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	eddsanative "github.com/consensys/gnark-crypto/ecc/bls12-377/twistededwards/eddsa"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/circuits/committee"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
)

// Circuit is a compiled circuit with its keys (the verifying key: a job loads the proving
// key). A dispatcher's circuits have no constraint system: it proves nothing itself.
type Circuit struct {
	Name  string
	Curve ecc.ID
	CCS   constraint.ConstraintSystem
	Keys  *prover.Keys
}

var (
	bls12377 = ecc.BLS12_377.ScalarField()
	bw6761   = ecc.BW6_761.ScalarField()
	bn254    = ecc.BN254.ScalarField()
)

func compile(log *slog.Logger, name string, field *big.Int, c frontend.Circuit) (constraint.ConstraintSystem, error) {
	start := time.Now()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	log.Info("compiled", "circuit", name, "constraints", ccs.GetNbConstraints(), "seconds", time.Since(start).Seconds())
	if n := len(ccs.GetCommitments().CommitmentIndexes()); n > 1 {
		return nil, fmt.Errorf("%s: %d Groth16 commitments; the verifiers take at most one", name, n)
	}
	return ccs, nil
}

// load returns a compiled circuit with its verifying key, setting its keys up if the store
// lacks them; its proving key is read when a stage needs it.
func load(store *prover.Store, name string, ccs constraint.ConstraintSystem) (*Circuit, error) {
	keys, err := store.Ensure(name, ccs)
	if err != nil {
		return nil, err
	}
	curve, err := prover.CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	return &Circuit{Name: name, Curve: curve, CCS: ccs, Keys: keys}, nil
}

// stored returns a compiled circuit with its stored verifying key, and no setup: an error
// wrapping prover.ErrNotFound names a circuit whose keys the store lacks.
func stored(store *prover.Store, name string, ccs constraint.ConstraintSystem) (*Circuit, error) {
	keys, err := store.Verifying(name, ccs)
	if err != nil {
		return nil, fmt.Errorf("circuit %s: %w (isthmus setup makes them)", name, err)
	}
	curve, err := prover.CurveOf(ccs)
	if err != nil {
		return nil, err
	}
	return &Circuit{Name: name, Curve: curve, CCS: ccs, Keys: keys}, nil
}

// ClaimInput is what proves one lane claim: the finalized header's signatures by the
// committee, and the lane's state proof at that header. The claim is the lane's head, or,
// when Checkpoint is not zero, the checkpoint the Outbox stored at that count (its storage
// proof among Lane.Checkpoints).
type ClaimInput struct {
	Committee  committee.Committee
	Signatures map[int]*eddsanative.Signature // by member index
	Lane       *chain.LaneProof
	Checkpoint uint64
	// Sync, for a domain under Ethereum's sync committee, is the update that finalized the
	// lane's block (instead of Committee and Signatures).
	Sync *synccommittee.SignedUpdate
}

// committee is the commitment the input's claim names: its attester committee's, or its sync
// committee's for its period.
func (in *ClaimInput) committee() common.Hash {
	if in.Sync != nil {
		c := synccommittee.CommitmentOf(in.Sync.Committee, in.Sync.Period)
		return common.Hash(c.Bytes())
	}
	return in.Committee.CommitmentHash()
}

// SyncRotationInput is what proves one rotation of a domain under Ethereum's sync committee:
// an update of the current period that carries the next committee (Update.Next).
type SyncRotationInput struct {
	SrcDomain uint32
	Update    *synccommittee.SignedUpdate
	// Recorded reports whether the Inbox holds a key run (by its sync-keys fact), for a
	// hand-over over several batches (SyncConfig.Runs): a batch proves the first run it
	// lacks, and once it holds them all, the hand-over. Nil: none is recorded.
	Recorded func(fact common.Hash) (bool, error)
}

// Claim is the rotation claim the input proves: from the commitment of the update's committee
// for its period to that of the next committee for the next period.
func (in *SyncRotationInput) Claim() protocol.RotationClaim {
	su := in.Update
	cur, next := synccommittee.CommitmentOf(su.Committee, su.Period), synccommittee.CommitmentOf(su.Next, su.Period+1)
	return protocol.RotationClaim{SrcDomain: in.SrcDomain, Committee: common.Hash(cur.Bytes()), NextEpoch: su.Period + 1, NextCommittee: common.Hash(next.Bytes())}
}

// RotationInput is what proves one rotation claim: the signatures of the rotation by the
// current committee, which the claim names.
type RotationInput struct {
	Claim      protocol.RotationClaim
	Committee  committee.Committee
	Signatures map[int]*eddsanative.Signature // by member index
}

// Batch is what one batch proof proves: its lane claims proven by storage (under attester
// committees or Ethereum's sync committee), its claims by receipt, its rotations, in this
// order in its statement (lanes by receipt before events, attester-committee rotations
// before sync-committee ones).
type Batch struct {
	// Sync is the beacon chain of the claims under Ethereum's sync committee and how its
	// rotations are chunked (default: the prover's config's).
	Sync          *SyncConfig
	Claims        []ClaimInput
	Receipts      []ReceiptInput
	Rotations     []RotationInput
	SyncRotations []SyncRotationInput
}

// ErrNoCheckpoint is returned for a checkpoint claim whose storage proof the lane proof lacks.
var ErrNoCheckpoint = errors.New("no proof of the checkpoint")

// checkpoint is the storage proof of the input's checkpoint.
func (in *ClaimInput) checkpoint() (*chain.StorageProof, error) {
	for i := range in.Lane.Checkpoints {
		if cp := &in.Lane.Checkpoints[i]; cp.Count == in.Checkpoint {
			return &cp.StorageProof, nil
		}
	}
	return nil, fmt.Errorf("%w: lane %d→%d at block %d holds no proof of a checkpoint at %d", ErrNoCheckpoint,
		in.Lane.SrcDomain, in.Lane.DstDomain, in.Lane.Header.Number, in.Checkpoint)
}

// storage returns the input's two storage proofs: a head's word and accumulator, or a
// checkpoint's proof twice.
func (in *ClaimInput) storage() (word, acc *chain.StorageProof, err error) {
	if in.Checkpoint == 0 {
		return &in.Lane.Word, &in.Lane.Acc, nil
	}
	cp, err := in.checkpoint()
	return cp, cp, err
}

// ErrEmptyLane is returned for a lane that has sent no message: there is nothing to prove.
var ErrEmptyLane = errors.New("the lane has sent no message")

// Claim is the lane claim the input proves: the lane's head at the header, or its
// checkpoint.
func (in *ClaimInput) Claim() (protocol.LaneClaim, error) {
	head, err := in.Lane.Head()
	if err != nil {
		return protocol.LaneClaim{}, err
	}
	kind := protocol.KindLaneHead
	if in.Checkpoint != 0 {
		cp, err := in.checkpoint()
		if err != nil {
			return protocol.LaneClaim{}, err
		}
		kind, head = protocol.KindLaneCheckpoint, protocol.Accumulator{Count: in.Checkpoint, Acc: cp.Value}
	}
	if head.Count == 0 {
		return protocol.LaneClaim{}, fmt.Errorf("%w: lane %d→%d of Outbox %s at block %d", ErrEmptyLane,
			in.Lane.SrcDomain, in.Lane.DstDomain, in.Lane.Outbox, in.Lane.Header.Number)
	}
	return protocol.LaneClaim{
		Kind: kind, SrcDomain: in.Lane.SrcDomain, DstDomain: in.Lane.DstDomain, Outbox: in.Lane.Outbox,
		Committee: in.committee(), BlockNumber: in.Lane.Header.Number.Uint64(),
		BlockHash: in.Lane.Header.Hash(), Count: head.Count, Acc: head.Acc,
	}, nil
}

// Stage is one step of a batch's pipeline: its proofs, their proving seconds summed (the
// wall time with one worker), and the peak memory of the workers that made them.
type Stage struct {
	Name    string        `json:"name"`
	Proofs  int           `json:"proofs"`
	Elapsed time.Duration `json:"elapsed"`
	PeakGiB float64       `json:"peakGiB"` // the largest peak resident memory of a worker during one of its proofs
}

// BatchProof is a batch's final proof with what it attests.
type BatchProof struct {
	Statement   protocol.Statement
	PublicInput *big.Int
	Proof       groth16.Proof // BN254, for the generated Solidity verifier
	Stages      []Stage
	Jobs        []JobRecord // in the order they were done
}

// ErrShape is returned for a batch the aggregation cannot hold.
var ErrShape = errors.New("batch does not fit the aggregation")

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

// ErrReceiptTooLarge: a claim by receipt whose receipt the allow-list's receipt kinds cannot
// take: over the receipt log leaf's bounds where the chunked receipt kinds are not in the
// list, or over leaf.MaxChunkedNode (prove the lane by storage instead).
var ErrReceiptTooLarge = leaf.ErrReceiptTooLarge

func nodes(p []hexutil.Bytes) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}
