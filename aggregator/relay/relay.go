// Package relay is the long-running service between a source Outbox and a destination Inbox:
// it watches the lane, proves its head at a finalized block when enough messages wait or the
// oldest has waited long enough, submits the batch, and delivers the messages.
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

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/internal/fileio"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Prover proves a batch of one lane claim, the head of lane.
type Prover func(ctx context.Context, lane *chain.LaneProof) (*Batch, error)

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
	Key      *ecdsa.PrivateKey // the relayer's account on the destination
}

// Relay is one lane's relay.
type Relay struct {
	Config  Config
	Src     *chain.Source
	Dst     *chain.Destination
	Prove   Prover
	Metrics *Metrics
	Log     *slog.Logger

	// Test hooks: called after a batch is saved, and after a delivery is sent.
	afterSave, afterDeliver func()

	waitingSince time.Time
}

const pendingFile = "pending-batch.json"

// Run steps until ctx ends; a failing step is logged and retried at the next poll.
func (r *Relay) Run(ctx context.Context) error {
	poll := r.Config.Poll
	if poll == 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := r.Step(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log().Warn("relay step failed; retrying", "err", err)
			r.Metrics.add(&r.Metrics.Errors, 1)
		}
		select {
		case <-ctx.Done():
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

// Step does the next thing the lane needs: submit a saved batch, deliver proven messages, or
// prove the head when a batch is due.
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
	if st.ProvenCount > st.DeliveredCount {
		return r.deliver(ctx, st)
	}
	h, err := r.Src.FinalizedHeader(ctx)
	if err != nil {
		return err
	}
	lane, err := r.Src.ProveLane(ctx, h, cfg.DstDomain, nil)
	if err != nil {
		return err
	}
	head, err := lane.Head()
	if err != nil {
		return err
	}
	if head.Count <= st.ProvenCount {
		r.waitingSince = time.Time{}
		return nil
	}
	if r.waitingSince.IsZero() {
		r.waitingSince = time.Now()
	}
	waiting := head.Count - st.ProvenCount
	due := waiting >= max(cfg.BatchMessages, 1) || (cfg.MaxAge > 0 && time.Since(r.waitingSince) >= cfg.MaxAge)
	if !due {
		return nil
	}
	r.log().Info("proving the lane head", "block", h.Number, "count", head.Count, "waiting", waiting)
	start := time.Now()
	b, err := r.Prove(ctx, lane)
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

func (r *Relay) submit(ctx context.Context, b *Batch, st chain.DomainState) error {
	top := uint64(0)
	for _, c := range b.Statement.Lanes {
		top = max(top, c.Count)
	}
	if top > st.ProvenCount {
		rec, err := r.Dst.SubmitBatch(ctx, r.Config.Key, b.Proof, &b.Statement)
		var rv *chain.Revert
		switch {
		case err == nil:
			r.Metrics.add(&r.Metrics.Batches, 1)
			r.Metrics.add(&r.Metrics.Gas, float64(rec.GasUsed))
			r.log().Info("batch accepted", "statement", b.Statement.Hash(), "count", top, "gas", rec.GasUsed)
		case errors.As(err, &rv):
			// Refused for good (an invalid proof, or proven meanwhile by another relay): drop
			// it, so that the next step proves the lane again, and report why.
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

func (r *Relay) deliver(ctx context.Context, st chain.DomainState) error {
	cfg := r.Config
	msgs, err := r.Src.Messages(ctx, cfg.DstDomain, st.DeliveredCount, st.ProvenCount, nil)
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
	r.log().Info("delivered", "from", st.DeliveredCount, "to", st.ProvenCount, "failed", len(rep.Failed), "gas", rep.Receipt.GasUsed)
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
