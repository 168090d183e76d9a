package devnet

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
)

// DemoConfig says what the demo sends and how it proves.
type DemoConfig struct {
	Messages int    // messages to send
	Seed     uint64 // seeds payloads and gas limits
	// MaxGasLimit bounds the messages' gas limits, drawn from 90,000 up (0:
	// protocol.InlineGasLimit, the most deliver runs; a message above it is deferred to retry).
	MaxGasLimit uint64
	Log         *slog.Logger
	// Prove proves the lane at the finalized header for the Inbox's verifier, one batch a
	// segment end (each stored checkpoint, then the head), each delivered before the next.
	// Nil submits them all in one batch with a TestOnlyProof.
	Prove BatchProver
}

// BatchProver proves a batch of one lane claim: the checkpoint of lane at checkpoint (its
// storage proof in lane), or the lane's head when checkpoint is zero.
type BatchProver func(ctx context.Context, lane *chain.LaneProof, checkpoint uint64) (*ProvedBatch, error)

// ProvedBatch is a statement with the proof the Inbox's verifier takes.
type ProvedBatch struct {
	Statement *protocol.Statement
	Proof     []byte
	Stages    []Stage
}

// Stage is one timed step of the demo.
type Stage struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"durationNs"`
}

// Delivery is one deliver transaction.
type Delivery struct {
	From    uint64   `json:"from"`
	To      uint64   `json:"to"`
	GasUsed uint64   `json:"gasUsed"`
	Failed  []uint64 `json:"failed"`
}

// DemoReport is what the demo did.
type DemoReport struct {
	Sent              int                  `json:"sent"`
	SendGas           uint64               `json:"sendGas"` // total gas of the send transactions
	Block             uint64               `json:"block"`
	BlockHash         common.Hash          `json:"blockHash"`
	StateRoot         common.Hash          `json:"stateRoot"`
	Head              protocol.Accumulator `json:"head"`
	Checkpoints       []uint64             `json:"checkpoints"`
	AccountProofNodes int                  `json:"accountProofNodes"`
	StorageProofNodes int                  `json:"storageProofNodes"`
	Statement         common.Hash          `json:"statement"` // of the last batch
	Batches           int                  `json:"batches"`
	ProofSize         int                  `json:"proofSize"`
	SubmitGas         uint64               `json:"submitGas"` // of all batches
	Deliveries        []Delivery           `json:"deliveries"`
	Received          uint64               `json:"received"` // messages the recipient recorded
	Stages            []Stage              `json:"stages"`
}

// RunDemo runs the contracts-only flow on a started devnet: send messages on the source,
// prove the lane's (count, acc) with a storage proof checked against the finalized block's
// stateRoot, submit the batch to the destination Inbox (through the TestOnlyVerifier until
// the Groth16 verifier lands), and deliver every message.
func RunDemo(ctx context.Context, d *Devnet, cfg DemoConfig) (*DemoReport, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := &DemoReport{}
	stage := func(name string, start time.Time) {
		rep.Stages = append(rep.Stages, Stage{name, time.Since(start)})
	}
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain

	start := time.Now()
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		return nil, fmt.Errorf("deploy recipient: %w", err)
	}
	maxGas := cfg.MaxGasLimit
	if maxGas == 0 {
		maxGas = protocol.InlineGasLimit
	}
	if maxGas < 90_000 {
		return nil, fmt.Errorf("max gas limit %d is below 90,000", maxGas)
	}
	user := DevKey("user")
	r := rand.New(rand.NewPCG(cfg.Seed, 0x15745))
	var lastBlock uint64
	for i := 0; i < cfg.Messages; i++ {
		payload := make([]byte, r.IntN(1025))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		gasLimit := 90_000 + r.Uint64N(maxGas-90_000+1)
		m, receipt, err := d.Src.Send(ctx, user, dst, recipient, gasLimit, payload)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		rep.Sent++
		rep.SendGas += receipt.GasUsed
		if (i+1)%10 == 0 || i+1 == cfg.Messages {
			log.Info("sent", "messages", i+1, "of", cfg.Messages, "nonce", m.Nonce)
		}
		lastBlock = d.Source.Head()
	}
	stage("send messages", start)

	start = time.Now()
	d.Source.Finalize(lastBlock)
	header, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		return nil, err
	}
	state, err := d.Dst.State(ctx, src)
	if err != nil {
		return nil, err
	}
	checkpoints, err := d.Src.Checkpoints(ctx, dst, state.DeliveredCount, ^uint64(0), header.Number)
	if err != nil {
		return nil, err
	}
	proof, err := d.Src.ProveLane(ctx, header, dst, checkpoints)
	if err != nil {
		return nil, err
	}
	if rep.Head, err = proof.Head(); err != nil {
		return nil, err
	}
	rep.Block, rep.BlockHash, rep.StateRoot = header.Number.Uint64(), header.Hash(), header.Root
	rep.Checkpoints = checkpoints
	rep.AccountProofNodes = len(proof.AccountProof)
	rep.StorageProofNodes = len(proof.Word.Proof) + len(proof.Acc.Proof)
	for _, cp := range proof.Checkpoints {
		rep.StorageProofNodes += len(cp.Proof)
	}
	log.Info("lane proven against finalized stateRoot", "block", rep.Block, "count", rep.Head.Count,
		"acc", rep.Head.Acc, "checkpoints", len(checkpoints))
	stage("read and verify storage proof", start)

	claims, err := proof.Claims(d.Config.Committee) // the checkpoints, then the head
	if err != nil {
		return nil, err
	}
	msgs, err := d.Src.Messages(ctx, dst, state.DeliveredCount, rep.Head.Count, header.Number)
	if err != nil {
		return nil, err
	}
	rebuilt, err := protocol.Accumulator{Count: state.DeliveredCount, Acc: state.DeliveredAcc}.Accumulate(msgs)
	if err != nil {
		return nil, err
	}
	if rebuilt != rep.Head {
		return nil, fmt.Errorf("%w: events give %+v, proven %+v", chain.ErrMissingMessages, rebuilt, rep.Head)
	}
	rounds := [][]protocol.LaneClaim{claims}
	if cfg.Prove != nil {
		rounds = nil
		for _, c := range claims {
			rounds = append(rounds, []protocol.LaneClaim{c})
		}
	}
	from := state.DeliveredCount
	for _, round := range rounds {
		var statement *protocol.Statement
		var batchProof []byte
		if cfg.Prove != nil {
			checkpoint := uint64(0)
			if round[0].Kind == protocol.KindLaneCheckpoint {
				checkpoint = round[0].Count
			}
			pb, err := cfg.Prove(ctx, proof, checkpoint)
			if err != nil {
				return nil, fmt.Errorf("prove: %w", err)
			}
			statement, batchProof = pb.Statement, pb.Proof
			rep.Stages = append(rep.Stages, pb.Stages...)
		} else {
			statement = &protocol.Statement{Lanes: round}
			batchProof = TestOnlyProof(statement.PublicInput())
		}
		rep.ProofSize = len(batchProof)

		start = time.Now()
		rep.Statement = statement.Hash()
		receipt, err := d.Dst.SubmitBatch(ctx, d.Relayer, batchProof, statement)
		if err != nil {
			return nil, err
		}
		rep.Batches++
		rep.SubmitGas += receipt.GasUsed
		log.Info("batch accepted", "statement", rep.Statement, "claims", len(statement.Lanes), "gas", receipt.GasUsed)
		stage("submit batch", start)

		start = time.Now()
		for _, c := range statement.Lanes {
			batch := msgs[from-state.DeliveredCount : c.Count-state.DeliveredCount]
			dr, err := d.Dst.Deliver(ctx, d.Relayer, src, batch, 0)
			if err != nil {
				return nil, err
			}
			rep.Deliveries = append(rep.Deliveries, Delivery{From: from, To: c.Count, GasUsed: dr.Receipt.GasUsed, Failed: dr.Failed})
			log.Info("delivered", "from", from, "to", c.Count, "gas", dr.Receipt.GasUsed, "failed", len(dr.Failed))
			from = c.Count
		}
		stage("deliver", start)
	}

	rec := testbindings.NewTestRecordingRecipient()
	if rep.Received, err = chain.CallUint(ctx, d.DestinationClient, rec, recipient, rec.PackReceivedCount(), rec.UnpackReceivedCount); err != nil {
		return nil, fmt.Errorf("read recipient: %w", err)
	}
	return rep, nil
}
