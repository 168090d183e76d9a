package devnet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/protocol"
)

func startDevnet(t *testing.T) *Devnet { return StartForTest(t) }

// The whole contracts-only flow over loopback JSON-RPC: what `make demo` runs.
func TestDemoDeliversEveryMessage(t *testing.T) {
	d := startDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n = 80
	rep, err := RunDemo(ctx, d, DemoConfig{Messages: n, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deliveries: %+v", rep.Deliveries)
	if rep.Sent != n || rep.Head.Count != n || rep.Received != n {
		t.Fatalf("sent %d, proven count %d, received %d; want %d each", rep.Sent, rep.Head.Count, rep.Received, n)
	}
	if len(rep.Checkpoints) == 0 {
		t.Fatal("gas limits of 90,000 to 125,000 over 80 messages must close at least one 8M-gas segment")
	}
	last := rep.Deliveries[len(rep.Deliveries)-1]
	if last.To != n || len(rep.Deliveries) != len(rep.Checkpoints)+1 {
		t.Fatalf("deliveries %+v do not cover the checkpoints %v and the head", rep.Deliveries, rep.Checkpoints)
	}
	state, err := d.Dst.State(ctx, d.Config.SourceDomain)
	if err != nil {
		t.Fatal(err)
	}
	if state.DeliveredCount != n || state.DeliveredAcc != rep.Head.Acc {
		t.Fatalf("inbox delivered (%d, %x), want (%d, %x)", state.DeliveredCount, state.DeliveredAcc, n, rep.Head.Acc)
	}

	// A second round continues from the delivered state.
	rep2, err := RunDemo(ctx, d, DemoConfig{Messages: 5, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Head.Count != n+5 || rep2.Deliveries[0].From != n {
		t.Fatalf("second round: head %d, first delivery from %d", rep2.Head.Count, rep2.Deliveries[0].From)
	}
}

func TestLaneProofRefusesTampering(t *testing.T) {
	d := startDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	user := DevKey("user")
	var msgs []protocol.Message
	for i := 0; i < 3; i++ {
		m, _, err := d.Src.Send(ctx, user, d.Config.DestinationDomain, common.Address{0xbe}, 21_000, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, *m)
	}
	d.Source.Finalize(d.Source.Head())
	header, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := d.Src.ProveLane(ctx, header, d.Config.DestinationDomain, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := protocol.Accumulator{}.Accumulate(msgs)
	if err != nil {
		t.Fatal(err)
	}
	if head, err := proof.Head(); err != nil || head != want {
		t.Fatalf("proven head %+v (%v), native twin %+v", head, err, want)
	}

	tamper := map[string]func(p *chain.LaneProof){
		"account node byte": func(p *chain.LaneProof) { p.AccountProof[len(p.AccountProof)-1][7] ^= 1 },
		"storage node byte": func(p *chain.LaneProof) { p.Acc.Proof[0][9] ^= 1 },
		"acc value":         func(p *chain.LaneProof) { p.Acc.Value[31] ^= 1 },
		"count value":       func(p *chain.LaneProof) { p.Word.Value[31]++ },
		"storage root":      func(p *chain.LaneProof) { p.StorageRoot[0] ^= 1 },
		"state root":        func(p *chain.LaneProof) { p.Header.Root[0] ^= 1 },
		"other outbox":      func(p *chain.LaneProof) { p.Outbox[19] ^= 1 },
		"other lane":        func(p *chain.LaneProof) { p.DstDomain++ },
		"truncated":         func(p *chain.LaneProof) { p.Acc.Proof = p.Acc.Proof[:len(p.Acc.Proof)-1] },
		"swapped slots":     func(p *chain.LaneProof) { p.Word, p.Acc = p.Acc, p.Word },
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			p, err := d.Src.ProveLane(ctx, header, d.Config.DestinationDomain, nil)
			if err != nil {
				t.Fatal(err)
			}
			hdr := *p.Header
			p.Header = &hdr
			f(p)
			if err := p.Verify(); !errors.Is(err, chain.ErrBadProof) {
				t.Fatalf("tampered proof: err = %v, want ErrBadProof", err)
			}
		})
	}
}

// SendMany: many messages from one sender in fewer blocks than one a message, every one in the
// lane; a message the Outbox refuses fails at the first, with nothing sent.
func TestSendManyFillsBlocks(t *testing.T) {
	d := startDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dst, user := d.Config.DestinationDomain, DevKey("user")
	count := func() uint64 {
		t.Helper()
		d.Source.Finalize(d.Source.Head())
		h, err := d.Src.FinalizedHeader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := d.Src.ProveLane(ctx, h, dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		head, err := p.Head()
		if err != nil {
			t.Fatal(err)
		}
		return head.Count
	}
	before := d.Source.Head()
	const n = 120
	if err := d.Src.SendMany(ctx, user, dst, common.Address{0xbe}, protocol.InlineGasLimit, []byte("many"), n); err != nil {
		t.Fatal(err)
	}
	blocks := d.Source.Head() - before
	if got := count(); got != n {
		t.Fatalf("lane count %d after %d sends", got, n)
	}
	if blocks >= n {
		t.Fatalf("%d messages took %d blocks", n, blocks)
	}
	t.Logf("%d messages in %d blocks", n, blocks)
	err := d.Src.SendMany(ctx, user, dst, common.Address{0xbe}, protocol.InlineGasLimit, make([]byte, protocol.MaxPayload+1), 3)
	var rev *chain.Revert
	if !errors.As(err, &rev) {
		t.Fatalf("a payload above the maximum: %v, want the Outbox's revert", err)
	}
	if got := count(); got != n {
		t.Fatalf("lane count %d after a refused send, want %d", got, n)
	}
}
