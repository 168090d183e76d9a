package aggregator

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// Every segment end of a lane in one batch, as the relay asks for it at several lane-claim
// slots: a checkpoint and the head of one lane proof, and a batch with fewer ends than slots
// filled by repeating the last. The statement lists the claims in order and its leaf solves.
func TestPlanOfSegmentEndsInOneBatch(t *testing.T) {
	d := devnet.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dst := d.Config.DestinationDomain
	const per = protocol.SegmentMaxGas / protocol.InlineGasLimit
	for i := 0; i < per+1; i++ {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, protocol.InlineGasLimit, nil); err != nil {
			t.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lane, err := d.Src.ProveLane(ctx, h, dst, []uint64{per})
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(d.Config.SourceDomain, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	in := func(count uint64) ClaimInput {
		return ClaimInput{Committee: members, Signatures: sigs, Lane: lane, Checkpoint: count}
	}
	p := plannerOf(t, Config{CommitteeCapacity: 4, Shape: aggregate.Shape{Claims: 2, AccountSteps: 4, StorageSteps: 3}})
	for name, tc := range map[string]struct {
		claims []ClaimInput
		counts []uint64
	}{
		"a checkpoint and the head": {[]ClaimInput{in(per), in(0)}, []uint64{per, per + 1}},
		"the head, repeated":        {[]ClaimInput{in(0), in(0)}, []uint64{per + 1, per + 1}},
	} {
		t.Run(name, func(t *testing.T) {
			plan, err := p.PlanLeaves(Batch{Claims: tc.claims})
			if err != nil {
				t.Fatal(err)
			}
			lanes := plan.Statement.Lanes
			if len(lanes) != len(tc.counts) {
				t.Fatalf("%d lane claims, want %d", len(lanes), len(tc.counts))
			}
			for i, c := range lanes {
				if c.Count != tc.counts[i] {
					t.Fatalf("claim %d of count %d, want %d", i, c.Count, tc.counts[i])
				}
			}
			solveTasks(t, plan)
		})
	}
}
