package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

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
	if err := d.SubmitTestOnly(ctx, &protocol.Statement{Lanes: claims[len(claims)-1:]}); err != nil {
		return nil, err
	}
	msgs, err := d.Src.Messages(ctx, dst, state.DeliveredCount, head.Count, header.Number)
	if err != nil {
		return nil, err
	}
	return d.Dst.Deliver(ctx, d.Relayer, src, msgs, 0)
}

// DeployForTest deploys bytecode (hex) with constructor args from key on c, or fails tb.
func DeployForTest(tb testing.TB, ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey, bin string, args []byte) common.Address {
	tb.Helper()
	a, err := c.Deploy(ctx, key, common.FromHex(bin), args)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// RevertReason is a refusal's require message (Error(string)) when it has one, else the
// error's text (which names a decoded custom error).
func RevertReason(err error) string {
	var r *chain.Revert
	if errors.As(err, &r) {
		if s, uerr := abi.UnpackRevert(r.Data); uerr == nil {
			return s
		}
	}
	return err.Error()
}

// WantRevert fails tb unless err is a refusal naming want (a custom error or a require
// message); what says what was tried.
func WantRevert(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s: accepted, want a refusal (%s)", what, want)
	}
	if !strings.Contains(err.Error(), want) && !strings.Contains(RevertReason(err), want) {
		tb.Fatalf("%s: refused with %q, want %q", what, RevertReason(err), want)
	}
}

// EventOf is the event claim of log logIndex of the source chain's receipt r (proven against
// its block's receipts root), under the devnet's committee, and the receipt's encoded size.
func (d *Devnet) EventOf(ctx context.Context, r *types.Receipt, logIndex int) (protocol.EventClaim, int, error) {
	header, err := d.SourceClient.Eth.HeaderByNumber(ctx, r.BlockNumber)
	if err != nil {
		return protocol.EventClaim{}, 0, err
	}
	proof, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, header, uint32(r.TransactionIndex), uint32(logIndex))
	if err != nil {
		return protocol.EventClaim{}, 0, err
	}
	rec, err := proof.Receipt()
	if err != nil {
		return protocol.EventClaim{}, 0, err
	}
	enc, err := rec.MarshalBinary()
	if err != nil {
		return protocol.EventClaim{}, 0, err
	}
	ev, err := proof.Event(d.Config.Committee)
	return ev, len(enc), err
}

// SubmitTestOnly submits the statement s with a TestOnlyProof.
func (d *Devnet) SubmitTestOnly(ctx context.Context, s *protocol.Statement) error {
	_, err := d.Dst.SubmitBatch(ctx, d.Relayer, TestOnlyProof(s.PublicInput()), s)
	return err
}
