package devnet

import (
	"context"
	"testing"
	"time"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// StartForTest starts a devnet of the default configuration for a test (or fails it), and
// closes it when the test ends.
func StartForTest(tb testing.TB) *Devnet {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := Start(ctx, DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close devnet: %v", err)
		}
	})
	return d
}

// RelayTestOnly does what a relay does for the lane's messages up to the source's head, with
// a TestOnlyProof (for an Inbox with the TestOnlyVerifier): finalizes the head, proves the
// lane's head there by storage, submits it and delivers the messages in one transaction (one
// segment: up to 64 messages of the inline gas cap). It returns nil if none is waiting.
func (d *Devnet) RelayTestOnly(ctx context.Context) (*chain.DeliveryReport, error) {
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain
	d.Source.Finalize(d.Source.Head())
	header, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		return nil, err
	}
	state, err := d.Dst.State(ctx, src)
	if err != nil {
		return nil, err
	}
	proof, err := d.Src.ProveLane(ctx, header, dst, nil)
	if err != nil {
		return nil, err
	}
	head, err := proof.Head()
	if err != nil || head.Count == state.DeliveredCount {
		return nil, err
	}
	claims, err := proof.Claims(d.Config.Committee)
	if err != nil {
		return nil, err
	}
	s := &protocol.Statement{Lanes: claims[len(claims)-1:]}
	if _, err := d.Dst.SubmitBatch(ctx, d.Relayer, TestOnlyProof(s.PublicInput()), s); err != nil {
		return nil, err
	}
	msgs, err := d.Src.Messages(ctx, dst, state.DeliveredCount, head.Count, header.Number)
	if err != nil {
		return nil, err
	}
	return d.Dst.Deliver(ctx, d.Relayer, src, msgs, 0)
}
