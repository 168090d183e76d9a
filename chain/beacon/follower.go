package beacon

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

// maxPeriods is the most periods one Updates request asks for (the API's
// MAX_REQUEST_LIGHT_CLIENT_UPDATES).
const maxPeriods = 128

// Follower keeps a light-client store in step with a beacon node.
type Follower struct {
	Client *Client
	Store  *synccommittee.Store
}

// Follow checks that the node serves cfg's network, reads the bootstrap of the block root the
// operator trusts and starts a store from it (its header must hash to that root, its
// committee hang under the header's state by its branch).
func Follow(ctx context.Context, c *Client, cfg synccommittee.Config, trusted common.Hash) (*Follower, error) {
	if err := c.CheckNetwork(ctx, cfg); err != nil {
		return nil, err
	}
	b, err := c.Bootstrap(ctx, trusted)
	if err != nil {
		return nil, fmt.Errorf("bootstrap of %s: %w", trusted, err)
	}
	s, err := synccommittee.NewStore(cfg, &b.Data, trusted)
	if err != nil {
		return nil, fmt.Errorf("bootstrap of %s: %w", trusted, err)
	}
	return &Follower{Client: c, Store: s}, nil
}

// Step brings the store up to the node at the clock's currentSlot: the update of every period
// from the store's to the clock's, in order (each must be of the period after the one before:
// a missing period is a gap the store's committees cannot cross), then the newest finality
// update. It returns what each update it applied proved. A failed step changes the store only
// by the updates applied before the failure, so it can be retried when the node recovers.
func (f *Follower) Step(ctx context.Context, currentSlot uint64) ([]*synccommittee.Verified, error) {
	cfg := &f.Store.Config
	var out []*synccommittee.Verified
	period, last := cfg.Period(f.Store.Finalized.Slot), cfg.Period(currentSlot)
	for period <= last {
		count := min(last-period+1, maxPeriods)
		us, err := f.Client.Updates(ctx, period, count)
		if err != nil {
			return out, fmt.Errorf("updates from period %d: %w", period, err)
		}
		if len(us) == 0 {
			break // the node has none past the store's yet
		}
		for i := range us {
			u := &us[i].Data
			got := cfg.Period(uint64(u.AttestedHeader.Beacon.Slot))
			if got != period {
				return out, fmt.Errorf("%w: the store is at period %d, the node's next update is of period %d", ErrPeriodGap, period, got)
			}
			if known(f.Store, u) {
				period++
				continue
			}
			v, err := f.Store.Apply(u, currentSlot)
			if err != nil {
				return out, fmt.Errorf("the update of period %d: %w", period, err)
			}
			if v.Applied {
				out = append(out, v)
			}
			period++
		}
		if uint64(len(us)) < count {
			break
		}
	}
	fin, err := f.Client.FinalityUpdate(ctx)
	if err != nil {
		return out, fmt.Errorf("finality update: %w", err)
	}
	if fin.Data.FinalizedHeader != nil && uint64(fin.Data.FinalizedHeader.Beacon.Slot) > f.Store.Finalized.Slot {
		v, err := f.Store.Apply(&fin.Data, currentSlot)
		if err != nil {
			return out, fmt.Errorf("finality update: %w", err)
		}
		if v.Applied {
			out = append(out, v)
		}
	}
	return out, nil
}

// known reports whether an update adds nothing to the store: it finalizes no newer header and
// the store already knows the next committee.
func known(s *synccommittee.Store, u *synccommittee.Update) bool {
	return s.Next != nil && (u.FinalizedHeader == nil || uint64(u.FinalizedHeader.Beacon.Slot) <= s.Finalized.Slot)
}
