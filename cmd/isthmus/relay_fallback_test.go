package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/aggregator/relay"
	"github.com/isthmus-xyz/isthmus/chain"
)

// A claim by receipt the prover refuses as too large for its kinds, or whose pieces no
// aggregation holds, sends the relay to storage (relay.ErrReceiptTooLarge); a claim by
// storage refused for its size, or any other refusal, stays what it is.
func TestRelayReceiptFallback(t *testing.T) {
	byReceipt, byStorage := relay.Claim{Receipt: &chain.ReceiptProof{}}, relay.Claim{Lane: &chain.LaneProof{}}
	tooMany := fmt.Errorf("plan: %w", aggregator.ErrTooManyLeaves)
	tooLarge := fmt.Errorf("plan: %w", aggregator.ErrReceiptTooLarge)
	other := errors.New("no quorum")
	for _, c := range []struct {
		name     string
		claim    relay.Claim
		err      error
		fallback bool
	}{
		{"a receipt over the kinds", byReceipt, tooLarge, true},
		{"a receipt's pieces over every aggregation", byReceipt, tooMany, true},
		{"a receipt's other refusal", byReceipt, other, false},
		{"a lane by storage over every aggregation", byStorage, tooMany, false},
	} {
		err := receiptFallback(c.claim, c.err)
		if errors.Is(err, relay.ErrReceiptTooLarge) != c.fallback || !errors.Is(err, c.err) {
			t.Errorf("%s: %v; want the fallback %v, the cause kept", c.name, err, c.fallback)
		}
	}
}
