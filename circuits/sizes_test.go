package circuits_test

import (
	"testing"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/circuits/internal/mainnet"
)

// TestUniversalSizesHoldMainnetDepth: the large aggregation holds the batches of mainnet
// depth, counted by the planner's rule (aggregator.PlanBatch: a step leaf a proof node, one
// header leaf a block, one lane or claim leaf a claim, a fold per three claims) over the
// deepest real mainnet proofs in testdata: a lane head by storage (an Outbox account as deep
// as the deepest account proof, its two lane slots as deep as the deepest storage proof), the
// heads of two lanes of one Outbox at one block, and a lane by receipt with an event of the
// same block and a committee rotation.
func TestUniversalSizesHoldMainnetDepth(t *testing.T) {
	proofs, err := mainnet.StateProofs()
	if err != nil {
		t.Fatal(err)
	}
	account, storage := 0, 0
	for _, p := range proofs {
		if p.Account {
			account = max(account, len(p.Nodes))
		} else {
			storage = max(storage, len(p.Nodes))
		}
	}
	receipt, err := mainnet.ReceiptProof()
	if err != nil {
		t.Fatal(err)
	}
	// The receipts trie's last node is the log leaf's; the steps walk the others.
	receiptSteps := len(receipt.Nodes) - 1
	folds := func(claims int) int { return (claims + 2) / 3 }
	large := aggregator.LargeSizes
	fits := func(leaves, kinds int) bool { return leaves <= large.Slots && kinds <= large.Keys }
	heads := func(lanes, storage int) int { return 1 + account + lanes*(2*storage+1) + folds(lanes) }
	byReceipt := func(claims int) int { return 1 + claims*(receiptSteps+2) + folds(claims) }
	for _, c := range []struct {
		name          string
		leaves, kinds int
	}{
		{"a lane head by storage", heads(1, storage), 4},
		{"a lane by receipt, an event and a rotation", byReceipt(2) + 1 + folds(3) - folds(2), 6},
		{"three lanes by receipt and an event of one block", byReceipt(4), 5},
		{"two lane heads of one Outbox whose storage proofs are 4 nodes", heads(2, 4), 4},
	} {
		t.Logf("%s at mainnet depth (accounts %d nodes, storage %d, receipts %d): %d leaves of %d kinds", c.name, account, storage, len(receipt.Nodes), c.leaves, c.kinds)
		if !fits(c.leaves, c.kinds) {
			t.Errorf("%s: %d leaves of %d kinds, past the large aggregation's %d slots and %d keys", c.name, c.leaves, c.kinds, large.Slots, large.Keys)
		}
	}
	// Past it: two heads by storage as deep as WETH's (a storage trie of millions of slots; an
	// Outbox's holds two a lane and one a segment end) take two batches.
	if n := heads(2, storage); fits(n, 4) {
		t.Errorf("two lane heads with %d-node storage proofs: %d leaves fit; the limit documented is wrong", storage, n)
	}
}
