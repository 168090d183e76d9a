package aggregator

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	groth16bls12377 "github.com/consensys/gnark/backend/groth16/bls12-377"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// A batch of claims by receipt, planned: a devnet send proves its lane by receipt and a plain
// ERC-20 Transfer its event; the statement lists the lane, then the event; every leaf task's
// witness is made, and the statement leaf's solves its circuit (compiled here, with no key:
// the real-proof run is the devnet pipeline's); the unused receipt slot takes the first slot's
// proofs; a send whose receipt is over the receipt leaf's bound is refused, for the relay to
// prove by storage.
func TestEventPlanOfADevnetBatch(t *testing.T) {
	d := devnet.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dst := d.Config.DestinationDomain
	for i := range 2 {
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, 100_000, bytes.Repeat([]byte{byte(i)}, 64)); err != nil {
			t.Fatal(err)
		}
	}
	token, transfer, err := devnet.TokenTransfers(ctx, d, common.HexToAddress("0xc0"))
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()
	input := func(h *common.Hash, tx, log uint32, outbox common.Address) ReceiptInput {
		t.Helper()
		header, err := d.SourceClient.Eth.HeaderByHash(ctx, *h)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := devnet.Attest(d.Config.SourceDomain, header.Number.Uint64(), header.Hash(), 3)
		if err != nil {
			t.Fatal(err)
		}
		rp, err := d.SourceClient.ProveReceipt(ctx, d.Config.SourceDomain, header, tx, log)
		if err != nil {
			t.Fatal(err)
		}
		return ReceiptInput{Committee: members, Signatures: sigs, Proof: rp, Outbox: outbox}
	}
	sendHeader, sendTx, sendLog, err := d.Src.FindSend(ctx, dst, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	sendHash := sendHeader.Hash()
	lane := input(&sendHash, sendTx, sendLog, d.Outbox)
	event := input(&transfer.BlockHash, uint32(transfer.TransactionIndex), 0, common.Address{})

	cfg := Config{CommitteeCapacity: 4, Shape: aggregate.Shape{Claims: 0, AccountSteps: 1, StorageSteps: 1, Receipts: 3, ReceiptSteps: 1}}
	// The statement leaf is compiled (its witness is the planner's own work); the other
	// leaves' witnesses come from the leaf package's assigners, solved in its tests, after
	// the planner's native checks (LinkReceipt, MatchReceipt).
	p := plannerOf(t, cfg)
	// The event first: the plan puts the lane before it.
	plan, err := p.PlanLeaves(Batch{Receipts: []ReceiptInput{event, lane}})
	if err != nil {
		t.Fatal(err)
	}
	st := plan.Statement
	if len(st.Lanes) != 1 || st.Lanes[0].Kind != protocol.KindLaneReceipt || st.Lanes[0].Count != 2 || len(st.Events) != 1 || st.Events[0].Emitter != token {
		t.Fatalf("statement %+v: want the lane by receipt at count 2, then the token's event", st)
	}
	solveTasks(t, plan)
	// The leaves go to their slots: proofs marked by their task's index.
	got, label := plan.build(markedProofs(len(plan.tasks))), labelOf(plan)
	if len(got.Receipts) != 3 || label(got.StatementLeaf) != "statement leaf" {
		t.Fatalf("%d receipt slots, statement leaf %q", len(got.Receipts), label(got.StatementLeaf))
	}
	want := []struct{ header, leaf string }{
		{"receipt claim 0, header", "receipt claim 0, log"}, {"receipt claim 1, header", "receipt claim 1, log"},
		{"receipt claim 0, header", "receipt claim 0, log"}, // the unused slot
	}
	for r, w := range want {
		s := got.Receipts[r]
		if label(s.Header) != w.header || !bytes.HasPrefix([]byte(label(s.Leaf)), []byte(w.leaf)) || len(s.Steps) == 0 {
			t.Fatalf("receipt slot %d holds %q and %q (%d steps)", r, label(s.Header), label(s.Leaf), len(s.Steps))
		}
	}
	// A send over the receipt leaf's bound, and more claims than slots.
	if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, 100_000, make([]byte, 400)); err != nil {
		t.Fatal(err)
	}
	bigHeader, bigTx, bigLog, err := d.Src.FindSend(ctx, dst, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	bigHash := bigHeader.Hash()
	if _, err := p.PlanLeaves(Batch{Receipts: []ReceiptInput{input(&bigHash, bigTx, bigLog, d.Outbox)}}); !errors.Is(err, ErrReceiptTooLarge) {
		t.Fatalf("a 400-byte send by receipt: %v", err)
	}
	if _, err := p.PlanLeaves(Batch{Receipts: []ReceiptInput{lane, lane, event, event}}); !errors.Is(err, ErrShape) {
		t.Fatalf("four claims by receipt in three slots: %v", err)
	}
	// The Transfer claimed as a lane by receipt of the Outbox: no such log.
	asLane := event
	asLane.Outbox = d.Outbox
	if _, err := p.PlanLeaves(Batch{Receipts: []ReceiptInput{asLane}}); err == nil {
		t.Fatal("a Transfer planned as a lane by receipt")
	}
}

// plannerOf is a prover of cfg that plans batches and compiles only its statement leaf (its
// witness is the planner's own work; the other leaves' come from the assigners their packages
// solve), with no key.
func plannerOf(t *testing.T, cfg Config) *Prover {
	t.Helper()
	p := &Prover{Config: cfg}
	leaves := cfg.leafCircuits()
	if err := p.setLeaves(func(name string) (*Circuit, error) {
		c := &Circuit{Name: name, Curve: ecc.BLS12_377}
		if name != cfg.Circuits().Statement {
			return c, nil
		}
		var err error
		c.CCS, err = frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, leaves[name])
		return c, err
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

// solveTasks makes every task's witness and solves those whose circuit is compiled.
func solveTasks(t *testing.T, plan *LeafPlan) {
	t.Helper()
	for k, task := range plan.tasks {
		w, err := frontend.NewWitness(task.assignment, ecc.BLS12_377.ScalarField())
		if err != nil {
			t.Fatalf("task %d (%s, %s): %v", k, task.circuit.Name, task.label, err)
		}
		if task.circuit.CCS == nil {
			continue
		}
		if err := task.circuit.CCS.IsSolved(w); err != nil {
			t.Fatalf("task %d (%s, %s): %v", k, task.circuit.Name, task.label, err)
		}
	}
}

// markedProofs are n stand-in proofs, each marked by its index (labelOf reads it back).
func markedProofs(n int) []aggregate.Leaf {
	proofs := make([]aggregate.Leaf, n)
	for k := range proofs {
		var pr groth16bls12377.Proof
		pr.Ar.X.SetUint64(uint64(k + 1))
		proofs[k].Proof = &pr
	}
	return proofs
}

// labelOf returns the label of the task whose marked proof a leaf is.
func labelOf(plan *LeafPlan) func(aggregate.Leaf) string {
	return func(l aggregate.Leaf) string {
		return plan.tasks[int(l.Proof.(*groth16bls12377.Proof).Ar.X.Uint64())-1].label
	}
}
