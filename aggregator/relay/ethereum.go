package relay

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/beacon"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// Ethereum is the consensus of a source domain under Ethereum's sync committee (the Inbox's
// adapter for it): a light client kept in step with a beacon node, and the beacon chain's
// clock. The relay proves each claim at the execution block of a finalized header that the
// Inbox's committee signed, and carries the hand-over to the next period when its light
// client is past the Inbox's.
type Ethereum struct {
	Follower *beacon.Follower
	// Clock is the beacon chain's current slot.
	Clock func(ctx context.Context) (uint64, error)

	committees map[uint64]*synccommittee.Committee // by period, as the light client learned them
}

// Errors of the Ethereum adapter, beside the beacon client's.
var (
	// ErrCommitteeUnknown: the light client has not seen the committee of the Inbox's period
	// (it was bootstrapped after it).
	ErrCommitteeUnknown = errors.New("the light client does not know the committee of the Inbox's period")
	// ErrCommitteeMismatch: the Inbox trusts another committee for its period than the one the
	// beacon node's chain has.
	ErrCommitteeMismatch = errors.New("the Inbox trusts another sync committee than the beacon node's")
	// ErrOtherChain: the execution node's block is not the one the beacon chain finalized.
	ErrOtherChain = errors.New("the execution node is not on the beacon chain's execution chain")
)

// learn records the committees the light client holds and the next ones its updates brought.
func (e *Ethereum) learn(vs []*synccommittee.Verified) {
	if e.committees == nil {
		e.committees = map[uint64]*synccommittee.Committee{}
	}
	s := e.Follower.Store
	cfg := &s.Config
	p := cfg.Period(s.Finalized.Slot)
	e.committees[p] = s.Current
	if s.Next != nil {
		e.committees[p+1] = s.Next
	}
	for _, v := range vs {
		if v.Next != nil {
			e.committees[cfg.Period(v.Attested.Slot)+1] = v.Next
		}
	}
}

// finality brings the light client up to the node and returns the block to prove at, the
// update that proves it under the Inbox's committee (period st.Epoch), and whether the batch
// carries the hand-over to the next period: when the light client is past the Inbox's period,
// the update is the best one of that period, with the next committee; otherwise the newest
// finality update signed in it. A node that is down or serves bad data fails the step, which
// the relay retries: nothing is lost.
func (e *Ethereum) finality(ctx context.Context, src *chain.Source, st chain.DomainState) (*types.Header, *synccommittee.SignedUpdate, bool, error) {
	clock, err := e.Clock(ctx)
	if err != nil {
		return nil, nil, false, fmt.Errorf("beacon clock: %w", err)
	}
	e.learn(nil)
	vs, err := e.Follower.Step(ctx, clock)
	e.learn(vs)
	if err != nil {
		return nil, nil, false, fmt.Errorf("light client: %w", err)
	}
	s := e.Follower.Store
	cfg := &s.Config
	period := st.Epoch
	com := e.committees[period]
	if com == nil {
		return nil, nil, false, fmt.Errorf("%w: period %d (the light client is at period %d)", ErrCommitteeUnknown, period, cfg.Period(s.Finalized.Slot))
	}
	if c := synccommittee.CommitmentOf(com, period); common.Hash(c.Bytes()) != st.Committee {
		return nil, nil, false, fmt.Errorf("%w: period %d: the Inbox holds %s, the node's committee commits to %x", ErrCommitteeMismatch, period, common.Hash(st.Committee), c.Bytes())
	}
	rotate := cfg.Period(s.Finalized.Slot) > period
	var u *synccommittee.Update
	if !rotate {
		fin, err := e.Follower.Client.FinalityUpdate(ctx)
		if err != nil {
			return nil, nil, false, fmt.Errorf("finality update: %w", err)
		}
		if fin.Data.FinalizedHeader != nil && cfg.Period(uint64(fin.Data.SignatureSlot)) == period {
			u = &fin.Data
		}
	}
	if u == nil {
		us, err := e.Follower.Client.Updates(ctx, period, 1)
		if err != nil {
			return nil, nil, false, fmt.Errorf("update of period %d: %w", period, err)
		}
		if len(us) == 0 {
			return nil, nil, false, fmt.Errorf("%w: the node has no update of period %d", beacon.ErrNotFound, period)
		}
		u = &us[0].Data
	}
	v, err := cfg.VerifyUpdate(com, period, u, clock)
	if err != nil {
		return nil, nil, false, fmt.Errorf("the update of period %d: %w", period, err)
	}
	su := &synccommittee.SignedUpdate{Update: u, Period: period, Committee: com}
	if rotate {
		if v.Next == nil || cfg.Period(v.Finalized.Slot) != period || cfg.Period(v.Attested.Slot) != period {
			return nil, nil, false, fmt.Errorf("%w: the update of period %d does not hand over to the next committee within it", synccommittee.ErrUpdate, period)
		}
		su.Next = v.Next
	}
	h, err := src.Client.Eth.HeaderByNumber(ctx, new(big.Int).SetUint64(v.Execution.BlockNumber))
	if err != nil {
		return nil, nil, false, fmt.Errorf("execution block %d: %w", v.Execution.BlockNumber, err)
	}
	if h.Hash() != v.Execution.BlockHash {
		return nil, nil, false, fmt.Errorf("%w: block %d is %s, the beacon chain finalized %s", ErrOtherChain, v.Execution.BlockNumber, h.Hash(), v.Execution.BlockHash)
	}
	return h, su, rotate, nil
}
