// Package relay is the long-running service between a source Outbox and a destination Inbox:
// it watches the lane, proves it at a finalized block when enough messages wait or the
// oldest has waited long enough, submits the batch, and delivers the messages.
//
// Every delivery ends at the next segment end: the first checkpoint the Outbox stored after
// the delivered count, or the head when there is none. The Outbox's segment bounds make each
// such span fit one destination transaction, whatever its senders chose (the liveness rule),
// so the relay proves that count, as a checkpoint claim or a head claim, and delivers up to
// it, segment after segment. With Config.ByReceipt (a prover whose circuits have receipt
// slots) it proves that count by the receipt of its last message's MessageSent log instead:
// one receipt leaf where the storage proofs take a dozen state steps. When that receipt is
// over the receipt leaf's bounds (a send inside a transaction with many logs, or a large
// payload), it says so in its log and proves the count by storage. A head proven by someone else whose span holds checkpoints is
// delivered the same way: the relay proves the checkpoints inside it (the Inbox accepts a
// checkpoint at any finalized block).
//
// The Inbox is the relay's ledger: what is proven and delivered is read from it at every
// step, so a relay killed at any point and restarted resumes without losing or duplicating a
// message (the Inbox refuses replays by construction). The one thing kept on disk is a batch
// proven but not yet accepted, written atomically, so that a restart submits it instead of
// proving again.
package relay

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Claim is what the relay asks its prover for: the claim of Lane's head, or, with Receipt
// set (and Lane nil), the lane by receipt of that MessageSent log; signed by the committee of
// Epoch (the Inbox's); with Rotate, the batch also carries the hand-over to Epoch+1 that
// Relay.Rotation found signed. Under Ethereum's sync committee, Sync is the update that
// proves the block final (and, with Rotate, carries the next committee).
type Claim struct {
	Lane    *chain.LaneProof
	Receipt *chain.ReceiptProof
	Epoch   uint64
	Rotate  bool
	Sync    *synccommittee.SignedUpdate
}

// Prover proves a batch of the lane claim a Claim names. For a claim by receipt whose receipt
// its circuits cannot take, it returns an error wrapping ErrReceiptTooLarge.
type Prover func(ctx context.Context, c Claim) (*Batch, error)

// ErrReceiptTooLarge: the receipt of a lane's send is over the prover's receipt leaf bounds;
// the relay proves that count by storage.
var ErrReceiptTooLarge = errors.New("the send's receipt is over the receipt leaf's bounds")

// Batch is a proven batch: the statement and the proof the Inbox's verifier takes.
type Batch struct {
	Statement protocol.Statement `json:"statement"`
	Proof     hexutil.Bytes      `json:"proof"`
}

// Config says what the relay serves and when it proves.
type Config struct {
	SrcDomain, DstDomain uint32
	// Prove when at least BatchMessages wait, or when the oldest waiting message has waited
	// MaxAge (0: no age bound).
	BatchMessages uint64
	MaxAge        time.Duration
	Poll          time.Duration
	// StateDir keeps the batch proven but not yet accepted.
	StateDir string
	// ByReceipt proves each count by its last message's receipt (the prover's circuits have
	// receipt slots), by storage when the receipt is over their bounds.
	ByReceipt bool
	Key       *ecdsa.PrivateKey // the relayer's account on the destination
}

// Relay is one lane's relay.
type Relay struct {
	Config Config
	Src    *chain.Source
	Dst    *chain.Destination
	Prove  Prover
	// Rotation, if set, reports whether a quorum of the current committee signed the
	// hand-over to epoch next; the relay then carries it in its next batch, with the lane
	// claim due or, when no message waits, the lane's head (which the Inbox skips).
	Rotation func(ctx context.Context, next uint64) (bool, error)
	// Ethereum, for a domain under Ethereum's sync committee, is where finality comes from
	// (instead of the source node's finalized tag, and Rotation).
	Ethereum *Ethereum
	Metrics  *Metrics
	Log      *slog.Logger

	sync *synccommittee.SignedUpdate // the update proving this step's block, under Ethereum

	// Test hooks: called after a batch is saved, and after a delivery is sent.
	afterSave, afterDeliver func()

	waitingSince time.Time
}

const pendingFile = "pending-batch.json"

// Run steps until ctx ends, a poll apart. A failing step is logged and retried with
// exponential backoff and jitter (from the poll interval up to a minute), so that a node that
// is down is not asked, nor reported, every poll; the first step that succeeds resets it.
func (r *Relay) Run(ctx context.Context) error {
	poll := r.Config.Poll
	if poll == 0 {
		poll = time.Second
	}
	retry := backoff.NewExponentialBackOff()
	retry.InitialInterval, retry.MaxInterval, retry.MaxElapsedTime = poll, time.Minute, 0
	retry.Reset()
	for {
		wait := poll
		if err := r.Step(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait = retry.NextBackOff()
			r.log().Warn("relay step failed; retrying", "err", err, "in", wait.Round(time.Millisecond))
			r.Metrics.add(&r.Metrics.Errors, 1)
		} else {
			retry.Reset()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (r *Relay) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Step does the next thing the lane needs: submit a saved batch, deliver the next proven
// segment, derive a segment end a delivery needs from the proven count above it
// (Inbox.deriveCheckpoint), or prove the lane's head when a batch is due. A batch proves the
// head alone: every segment end below it is then derived on the destination, one
// transaction a segment, so a sender who closes segments delays no later message by more
// than one batch.
func (r *Relay) Step(ctx context.Context) error {
	if r.Metrics == nil {
		r.Metrics = &Metrics{}
	}
	cfg := r.Config
	st, err := r.Dst.State(ctx, cfg.SrcDomain)
	if err != nil {
		return err
	}
	if b, err := r.loadPending(); err != nil {
		return err
	} else if b != nil {
		return r.submit(ctx, b, st)
	}
	h, rotate, err := r.finality(ctx, st)
	if err != nil {
		return err
	}
	if st.Paused {
		// Nothing moves a paused domain but a hand-over (after a proven contradiction, the
		// committee's successor); the owner lifts the pause.
		if !rotate {
			r.log().Debug("the domain is paused on the Inbox: waiting", "domain", cfg.SrcDomain)
			return nil
		}
		r.log().Info("the domain is paused: carrying the committee hand-over", "epoch", st.Epoch+1)
		return r.prove(ctx, h, nil, st, true)
	}
	d := st.DeliveredCount
	cps, err := r.Src.Checkpoints(ctx, cfg.DstDomain, d, ^uint64(0), h.Number)
	if err != nil {
		return err
	}
	if st.ProvenCount > d {
		// Deliver up to the next segment end, once it is proven.
		end := st.ProvenCount
		if len(cps) > 0 && cps[0] < end {
			end = cps[0]
		}
		acc, err := r.Dst.ProvenAcc(ctx, cfg.SrcDomain, end)
		if err != nil {
			return err
		}
		if acc != (common.Hash{}) {
			return r.deliver(ctx, d, end)
		}
		return r.derive(ctx, st, cps, end)
	}
	lane, err := r.Src.ProveLane(ctx, h, cfg.DstDomain, nil)
	if err != nil {
		return err
	}
	head, err := lane.Head()
	if err != nil {
		return err
	}
	if head.Count <= d {
		r.waitingSince = time.Time{}
		if rotate && head.Count > 0 {
			r.log().Info("carrying the committee hand-over with the lane's head", "epoch", st.Epoch+1)
			return r.prove(ctx, h, lane, st, true)
		}
		return nil
	}
	if r.waitingSince.IsZero() {
		r.waitingSince = time.Now()
	}
	waiting := head.Count - d
	due := waiting >= max(cfg.BatchMessages, 1) || (cfg.MaxAge > 0 && time.Since(r.waitingSince) >= cfg.MaxAge)
	// A closed segment is due at once: it will not grow; so is a hand-over.
	if !due && !rotate && (len(cps) == 0 || cps[0] >= head.Count) {
		return nil
	}
	return r.prove(ctx, h, lane, st, rotate)
}

// derive proves the segment end `end` (unproven, above the delivered count) on the
// destination: it finds the lowest proven count above it among the later segment ends and the
// proven count, and derives the segment end just below that one from it, by the hashes of the
// messages between (at most a segment's). Steps repeat it, top down, until end is proven.
func (r *Relay) derive(ctx context.Context, st chain.DomainState, cps []uint64, end uint64) error {
	cfg := r.Config
	below, above := end, st.ProvenCount
	for _, c := range cps {
		if c <= end || c >= st.ProvenCount {
			continue
		}
		acc, err := r.Dst.ProvenAcc(ctx, cfg.SrcDomain, c)
		if err != nil {
			return err
		}
		if acc != (common.Hash{}) {
			above = c
			break
		}
		below = c
	}
	d := st.DeliveredCount
	msgs, err := r.Src.Messages(ctx, cfg.DstDomain, d, above, nil)
	if err != nil {
		return err
	}
	acc := common.Hash(st.DeliveredAcc)
	for i := range msgs[:below-d] {
		acc = protocol.Fold(acc, msgs[i].Hash())
	}
	rec, err := r.Dst.DeriveCheckpoint(ctx, cfg.Key, cfg.SrcDomain, acc, msgs[below-d:])
	if err != nil {
		return err
	}
	r.Metrics.add(&r.Metrics.Gas, float64(rec.GasUsed))
	r.Metrics.add(&r.Metrics.Derived, 1)
	r.log().Info("derived a segment end from the proven count above it", "count", below, "from", above,
		"delivered", d, "gas", rec.GasUsed)
	return nil
}

// finality returns the finalized block to prove at and whether the batch carries the
// hand-over to the Inbox's next epoch: the source node's finalized block and Rotation's
// answer, or, under Ethereum, the light client's (which sets r.sync).
func (r *Relay) finality(ctx context.Context, st chain.DomainState) (*types.Header, bool, error) {
	r.sync = nil
	if r.Ethereum != nil {
		if r.Config.ByReceipt {
			return nil, false, errors.New("relay: lanes by receipt are proven under an attester committee only")
		}
		h, su, rotate, err := r.Ethereum.finality(ctx, r.Src, st)
		r.sync = su
		return h, rotate, err
	}
	h, err := r.Src.FinalizedHeader(ctx)
	if err != nil {
		return nil, false, err
	}
	rotate, err := r.rotationDue(ctx, st)
	return h, rotate, err
}

// rotationDue reports whether a hand-over to the Inbox's next epoch is signed.
func (r *Relay) rotationDue(ctx context.Context, st chain.DomainState) (bool, error) {
	if r.Rotation == nil {
		return false, nil
	}
	return r.Rotation(ctx, st.Epoch+1)
}

// prove proves the lane's head at h, with the hand-over if rotate; lane is the proof at h
// already read, if any. By receipt it proves the head's count by its last message's log
// (by storage when that receipt is over the receipt leaf's bounds).
func (r *Relay) prove(ctx context.Context, h *types.Header, lane *chain.LaneProof, st chain.DomainState, rotate bool) error {
	if lane == nil {
		var err error
		if lane, err = r.Src.ProveLane(ctx, h, r.Config.DstDomain, nil); err != nil {
			return err
		}
	}
	head, err := lane.Head()
	if err != nil {
		return err
	}
	if r.Config.ByReceipt && head.Count > st.DeliveredCount {
		err := r.proveByReceipt(ctx, h, head.Count, st, rotate)
		if !errors.Is(err, ErrReceiptTooLarge) {
			return err
		}
		r.log().Warn("proving the lane by storage: the receipt of its last message is over the receipt leaf's bounds", "count", head.Count, "err", err)
		r.Metrics.add(&r.Metrics.StorageFallbacks, 1)
	}
	r.log().Info("proving the lane", "claim", "head", "block", h.Number, "count", head.Count,
		"delivered", st.DeliveredCount, "rotation", rotate)
	return r.proveAndSubmit(ctx, Claim{Lane: lane, Epoch: st.Epoch, Rotate: rotate, Sync: r.sync}, st)
}

// proveByReceipt proves the lane at count by the MessageSent log of nonce count − 1, in a block
// at or before the finalized h.
func (r *Relay) proveByReceipt(ctx context.Context, h *types.Header, count uint64, st chain.DomainState, rotate bool) error {
	block, tx, log, err := r.Src.FindSend(ctx, r.Config.DstDomain, count-1, h.Number)
	if err != nil {
		return err
	}
	rp, err := r.Src.Client.ProveReceipt(ctx, r.Config.SrcDomain, block, tx, log)
	if err != nil {
		return err
	}
	r.log().Info("proving the lane by receipt", "count", count, "block", block.Number, "tx", tx, "log", log,
		"delivered", st.DeliveredCount, "rotation", rotate)
	return r.proveAndSubmit(ctx, Claim{Receipt: rp, Epoch: st.Epoch, Rotate: rotate}, st)
}

// proveAndSubmit proves a claim, saves the batch, and submits it.
func (r *Relay) proveAndSubmit(ctx context.Context, c Claim, st chain.DomainState) error {
	start := time.Now()
	b, err := r.Prove(ctx, c)
	if err != nil {
		return fmt.Errorf("prove: %w", err)
	}
	r.Metrics.add(&r.Metrics.ProvingSeconds, time.Since(start).Seconds())
	if err := r.savePending(b); err != nil {
		return err
	}
	if r.afterSave != nil {
		r.afterSave()
	}
	return r.submit(ctx, b, st)
}

// submit sends a saved batch unless the Inbox holds all it proves already, then forgets it.
func (r *Relay) submit(ctx context.Context, b *Batch, st chain.DomainState) error {
	needed := false
	for _, rot := range b.Statement.Rotations {
		needed = needed || rot.NextEpoch == st.Epoch+1
	}
	// A run of a hand-over over several batches: needed until the Inbox records it.
	for _, f := range b.Statement.KeyRuns {
		if needed {
			break
		}
		ok, err := r.Dst.KeyRunProven(ctx, f)
		if err != nil {
			return err
		}
		needed = !ok
	}
	top := uint64(0)
	for _, c := range b.Statement.Lanes {
		top = max(top, c.Count)
		if c.Count <= st.DeliveredCount || needed {
			continue
		}
		acc, err := r.Dst.ProvenAcc(ctx, r.Config.SrcDomain, c.Count)
		if err != nil {
			return err
		}
		needed = acc == (common.Hash{})
	}
	if needed {
		rec, err := r.Dst.SubmitBatch(ctx, r.Config.Key, b.Proof, &b.Statement)
		var rv *chain.Revert
		switch {
		case err == nil:
			r.Metrics.add(&r.Metrics.Batches, 1)
			r.Metrics.add(&r.Metrics.Gas, float64(rec.GasUsed))
			r.log().Info("batch accepted", "statement", b.Statement.Hash(), "count", top, "rotations", len(b.Statement.Rotations),
				"key runs", len(b.Statement.KeyRuns), "gas", rec.GasUsed)
		case errors.As(err, &rv):
			// Refused for good (an invalid proof, or a head older than one proven
			// meanwhile): drop it, so that the next step proves the lane again, and report why.
			if rmErr := os.Remove(filepath.Join(r.Config.StateDir, pendingFile)); rmErr != nil {
				return rmErr
			}
			return fmt.Errorf("%w: %w", ErrRefused, err)
		default:
			return err // not sent, or not known: keep it and retry
		}
	}
	return os.Remove(filepath.Join(r.Config.StateDir, pendingFile))
}

// ErrRefused is returned when the Inbox refuses a batch; the relay drops it.
var ErrRefused = errors.New("the Inbox refused the batch")

// deliver delivers the lane's messages [from, to), to a proven count.
func (r *Relay) deliver(ctx context.Context, from, to uint64) error {
	cfg := r.Config
	msgs, err := r.Src.Messages(ctx, cfg.DstDomain, from, to, nil)
	if err != nil {
		return err
	}
	rep, err := r.Dst.Deliver(ctx, cfg.Key, cfg.SrcDomain, msgs, 0)
	if r.afterDeliver != nil {
		r.afterDeliver()
	}
	if err != nil {
		return err
	}
	r.Metrics.add(&r.Metrics.Delivered, float64(len(msgs)))
	r.Metrics.add(&r.Metrics.Failed, float64(len(rep.Failed)))
	r.Metrics.add(&r.Metrics.Gas, float64(rep.Receipt.GasUsed))
	r.log().Info("delivered", "from", from, "to", to, "failed", len(rep.Failed), "deferred", len(rep.Deferred), "gas", rep.Receipt.GasUsed)
	if len(rep.Failed) > 0 {
		r.log().Warn("recipients reverted: their messages are stored for retry", "nonces", rep.Failed)
	}
	return nil
}

func (r *Relay) loadPending() (*Batch, error) {
	data, err := os.ReadFile(filepath.Join(r.Config.StateDir, pendingFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var b Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w (a corrupt state file: remove it to prove the batch again)", pendingFile, err)
	}
	return &b, nil
}

func (r *Relay) savePending(b *Batch) error {
	if err := os.MkdirAll(r.Config.StateDir, 0o755); err != nil {
		return err
	}
	return fileio.WriteJSON(filepath.Join(r.Config.StateDir, pendingFile), b)
}
