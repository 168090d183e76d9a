package aggregator

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	frbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/aggregate"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// pipelineEnv is a devnet whose Inbox checks batches with the generated verifier of the
// devnet pipeline's keys, and a lane of messages sent and proven at a finalized block. Each
// message's packed size is half the segment's bytes (pipelinePayload), so the Outbox closes
// a segment every two messages: the lane proof holds the first checkpoint's storage proof,
// at count 2.
type pipelineEnv struct {
	p          *Prover
	d          *devnet.Devnet
	recipient  common.Address
	lane       *chain.LaneProof
	input      ClaimInput // the head
	checkpoint ClaimInput // the checkpoint at 2
	messages   int
}

// pipelinePayload makes two messages a segment: a third would take it past SegmentMaxBytes.
// Each is run with the most gas deliver runs (its recipient hashes the payload).
const (
	pipelinePayload  = protocol.SegmentMaxBytes/2 - protocol.PackedOverhead
	pipelineGasLimit = protocol.InlineGasLimit
)

func newPipelineEnv(tb testing.TB, ctx context.Context, messages int) *pipelineEnv {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(testLog{tb}, nil))
	dir, err := prover.DefaultDir()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := NewProver(&prover.Store{Dir: dir, Log: log}, DevnetConfig(), log)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range p.Circuits() {
		tb.Logf("%s: %d constraints, setup %.0f s, keys %s", c.Name, c.CCS.GetNbConstraints(), c.Keys.Manifest.SetupSeconds, sizes(c.Keys.Manifest))
	}
	compiled, err := p.Verifier(filepath.Join("..", "contracts"))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := devnet.DefaultConfig()
	cfg.DeployVerifier = func(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey) (common.Address, error) {
		return verifier.Deploy(ctx, c, key, compiled)
	}
	d, err := devnet.Start(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	e := &pipelineEnv{p: p, d: d, messages: messages}
	if e.recipient, err = d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < messages; i++ {
		payload := make([]byte, pipelinePayload)
		payload[0], payload[1] = byte(i), 0xee
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), cfg.DestinationDomain, e.recipient, pipelineGasLimit, payload); err != nil {
			tb.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if e.lane, err = d.Src.ProveLane(ctx, h, cfg.DestinationDomain, []uint64{2}); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("lane proof at block %d: %d account nodes, %d word nodes, %d acc nodes, %d checkpoint nodes", h.Number,
		len(e.lane.AccountProof), len(e.lane.Word.Proof), len(e.lane.Acc.Proof), len(e.lane.Checkpoints[0].Proof))
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(cfg.SourceDomain, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		tb.Fatal(err)
	}
	e.input = ClaimInput{Committee: members, Signatures: sigs, Lane: e.lane}
	e.checkpoint = ClaimInput{Committee: members, Signatures: sigs, Lane: e.lane, Checkpoint: 2}
	return e
}

func sizes(m *prover.Manifest) string {
	out := ""
	for f, sum := range m.Files {
		out += fmt.Sprintf("%s %.1f MiB ", f, float64(sum.Size)/(1<<20))
	}
	return out
}

// The whole pipeline with real proofs at every layer, on the job graph's queue, checked by
// the generated Solidity verifier on the devnet: send → attest → leaf proofs →
// aggregation → wrap → submitBatch → deliver. An embedded NATS server holds the jobs; two
// worker processes prove them. One of them holds a rotation-leaf key that does not match
// its manifest, so it refuses that circuit and the other proves it; and it is killed with
// SIGKILL in the middle of its first proof, whose job goes to the other worker. The batch
// holds the two claim kinds a head-only pipeline could not prove: a lane checkpoint (a
// segment end, as the relay proves when a span needs more than one delivery) and a committee
// rotation signed by the current committee. Keys come from the key store (set up once per
// machine: ~45 min the first time).
func TestWorkerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("real proofs at every layer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Minute)
	defer cancel()
	e := newPipelineEnv(t, ctx, 5)
	p, d, lane, recipient := e.p, e.d, e.lane, e.recipient
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain
	h := lane.Header
	rot, rotSigs, err := devnet.AttestRotation(src, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()

	srv, err := StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	q, err := Connect(ctx, srv.URL, "test dispatcher", slog.New(slog.NewTextHandler(testLog{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	p.Exec = q // the test keeps the compiled circuits: it solves forged aggregations
	names := p.Config.Circuits()
	w1 := startWorkerProcess(t, ctx, "w1", srv.URL, badKeyDir(t, p.store, names.Rotation))
	w2 := startWorkerProcess(t, ctx, "w2", srv.URL, p.store.Dir)
	killed := make(chan string, 1)
	go func() { // SIGKILL w1 two seconds into its first proof
		for line := range w1.lines {
			if strings.Contains(line, `msg=proving`) {
				time.Sleep(2 * time.Second)
				w1.cmd.Process.Kill()
				killed <- line
				return
			}
		}
	}()
	defer w2.stop()

	batch := Batch{Claims: []ClaimInput{e.checkpoint}, Rotations: []RotationInput{{Claim: rot, Committee: members, Signatures: rotSigs}}}
	start := time.Now()
	bp := &BatchProof{}
	leaves, err := p.ProveLeaves(ctx, batch, bp)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-killed:
		t.Logf("w1 killed in the middle of: %s", line)
	default:
		t.Fatal("w1 proved nothing before the leaves were done")
	}
	redelivered := 0
	for _, j := range bp.Jobs {
		t.Logf("job %s (%s): worker %s, %.1f s, delivery %d", j.Label, j.Circuit, j.Worker, j.Seconds, j.Deliveries)
		if j.Circuit == names.Rotation && j.Worker != "w2" {
			t.Fatalf("the rotation leaf proven by %s, which refused its key", j.Worker)
		}
		if j.Deliveries > 1 {
			redelivered++
			if j.Worker != "w2" {
				t.Fatalf("the killed worker's job finished by %s", j.Worker)
			}
		}
	}
	if redelivered != 1 {
		t.Fatalf("%d jobs redelivered, want the killed worker's one", redelivered)
	}
	if c := leaves.Statement.Lanes[0]; c.Kind != protocol.KindLaneCheckpoint || c.Count != 2 || len(leaves.Statement.Rotations) != 1 {
		t.Fatalf("statement %+v: want the checkpoint at 2 and the rotation", leaves.Statement)
	}
	refuseForgedAggregations(t, ctx, p, d, lane, leaves)
	// Through the files between the steps, as `prove --leaves-only`, `aggregate` and `wrap`
	// pass them on.
	dir := t.TempDir()
	lf, err := leaves.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(filepath.Join(dir, "leaves.json"), lf); err != nil {
		t.Fatal(err)
	}
	var lf2 LeavesFile
	if err := ReadJSON(filepath.Join(dir, "leaves.json"), &lf2); err != nil {
		t.Fatal(err)
	}
	leaves, err = lf2.Decode()
	if err != nil {
		t.Fatal(err)
	}
	agg, err := p.ProveAggregation(ctx, leaves, bp)
	if err != nil {
		t.Fatal(err)
	}
	af, err := EncodeAggregation(leaves.Statement, agg)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(filepath.Join(dir, "aggregation.json"), af); err != nil {
		t.Fatal(err)
	}
	var af2 AggregationFile
	if err := ReadJSON(filepath.Join(dir, "aggregation.json"), &af2); err != nil {
		t.Fatal(err)
	}
	if agg, err = af2.Decode(); err != nil {
		t.Fatal(err)
	}
	af2.Statement.Lanes[0].Count++
	if _, err := af2.Decode(); !errors.Is(err, ErrFile) {
		t.Fatalf("an aggregation file of another statement: %v", err)
	}
	if err := p.ProveWrap(ctx, agg, bp); err != nil {
		t.Fatal(err)
	}
	t.Logf("batch proven in %s: %+v", time.Since(start).Round(time.Second), bp.Stages)
	if err := verifier.Verify(p.Wrap.Keys.VK, bp.Proof, bp.PublicInput); err != nil {
		t.Fatal(err)
	}
	calldata, err := verifier.Calldata(bp.Proof)
	if err != nil {
		t.Fatal(err)
	}
	back, err := verifier.FromCalldata(calldata)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.Verify(p.Wrap.Keys.VK, back, bp.PublicInput); err != nil {
		t.Fatalf("decoded calldata: %v", err)
	}

	// Natively, the proof is bound to its statement.
	other := bp.Statement
	other.Lanes = append([]protocol.LaneClaim(nil), other.Lanes...)
	other.Lanes[0].Count--
	if verifier.Verify(p.Wrap.Keys.VK, bp.Proof, other.PublicInput()) == nil {
		t.Fatal("the proof verifies natively for another statement")
	}

	// On-chain: any claim field changed in calldata is refused by the verifier, a checkpoint
	// presented as a head included, and the rotation left out or changed.
	mutations := map[string]func(s *protocol.Statement){
		"count":                        func(s *protocol.Statement) { s.Lanes[0].Count-- },
		"acc":                          func(s *protocol.Statement) { s.Lanes[0].Acc[0] ^= 1 },
		"block number":                 func(s *protocol.Statement) { s.Lanes[0].BlockNumber++ },
		"block hash":                   func(s *protocol.Statement) { s.Lanes[0].BlockHash[31] ^= 1 },
		"source":                       func(s *protocol.Statement) { s.Lanes[0].SrcDomain++ },
		"the checkpoint as a head":     func(s *protocol.Statement) { s.Lanes[0].Kind = protocol.KindLaneHead },
		"the rotation left out":        func(s *protocol.Statement) { s.Rotations = nil },
		"another next committee":       func(s *protocol.Statement) { s.Rotations[0].NextCommittee[31] ^= 1 },
		"another epoch":                func(s *protocol.Statement) { s.Rotations[0].NextEpoch++ },
		"the rotation of a domain":     func(s *protocol.Statement) { s.Rotations[0].SrcDomain++ },
		"the rotation's own committee": func(s *protocol.Statement) { s.Rotations[0].Committee[0] ^= 1 },
	}
	for name, mutate := range mutations {
		s := protocol.Statement{Lanes: append([]protocol.LaneClaim(nil), bp.Statement.Lanes...), Rotations: append([]protocol.RotationClaim(nil), bp.Statement.Rotations...)}
		mutate(&s)
		_, err := d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &s)
		wantRevert(t, name, err, "InboxInvalidProof")
	}
	// Flipped proof bytes are refused.
	bad := append([]byte(nil), calldata...)
	bad[100] ^= 1
	_, err = d.Dst.SubmitBatch(ctx, d.Relayer, bad, &bp.Statement)
	wantRevert(t, "a flipped proof byte", err, "InboxInvalidProof")

	// The valid batch: the checkpoint is proven, then the committee rotates.
	r, err := d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &bp.Statement)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("submitBatch: %d gas, proof %d bytes", r.GasUsed, len(calldata))
	st, err := d.Dst.State(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 1 || st.Committee != rot.NextCommittee || st.ProvenCount != 2 {
		t.Fatalf("after the batch: epoch %d, committee %s, proven %d; want epoch 1, %s, 2", st.Epoch, st.Committee, st.ProvenCount, rot.NextCommittee)
	}
	// Replayed, its lane claim names a committee the Inbox no longer trusts.
	_, err = d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &bp.Statement)
	wantRevert(t, "the batch replayed", err, "InboxWrongCommittee")

	msgs, err := d.Src.Messages(ctx, dst, 0, 2, h.Number)
	if err != nil {
		t.Fatal(err)
	}
	dr, err := d.Dst.Deliver(ctx, d.Relayer, src, msgs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dr.Failed) != 0 {
		t.Fatalf("failed deliveries: %v", dr.Failed)
	}
	rec := testbindings.NewTestRecordingRecipient()
	got, err := chain.CallUint(ctx, d.DestinationClient, rec, recipient, rec.PackReceivedCount(), rec.UnpackReceivedCount)
	if err != nil {
		t.Fatal(err)
	}
	if got != 2 {
		t.Fatalf("recipient received %d messages, want the checkpoint's 2", got)
	}

	// An Inbox trusting another committee refuses the same valid proof.
	cfg2 := d.Config
	cfg2.Committee = common.BigToHash(new(big.Int).Mod(crypto.Keccak256Hash([]byte("another committee")).Big(), protocol.CommitmentModulus))
	d2, err := devnet.Start(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if d2.Outbox != d.Outbox {
		t.Fatalf("the second devnet's Outbox is %s, want %s", d2.Outbox, d.Outbox)
	}
	_, err = d2.Dst.SubmitBatch(ctx, d2.Relayer, calldata, &bp.Statement)
	wantRevert(t, "an untrusted committee", err, "InboxWrongCommittee")
}

func wantRevert(t *testing.T, what string, err error, want string) {
	t.Helper()
	var r *chain.Revert
	if !errors.As(err, &r) || r.Decoded == nil {
		t.Fatalf("%s: want revert %s, got %v", what, want, err)
	}
	if got := reflect.TypeOf(r.Decoded).Elem().Name(); got != want {
		t.Fatalf("%s: want revert %s, got %s%+v", what, want, got, r.Decoded)
	}
}

// anyStepCircuit is a test double: a circuit with a state step's public inputs that
// constrains nothing, so its proofs "prove" any step.
type anyStepCircuit struct {
	P [7]frontend.Variable `gnark:",public"`
}

func (c *anyStepCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.P[6], 1), c.P[6])
	return nil
}

// refuseForgedAggregations checks in-circuit refusals on the aggregation's constraint system,
// for leaves of a checkpoint claim and a rotation: a proof of another circuit in a step slot,
// a state proof under another stateRoot, another block's header, unused slots made to count,
// a head presented as a checkpoint and the reverse, the rotation's leaf left out; and, on a
// head claim's leaves (another block's), its word and accumulator chains swapped or dropped.
func refuseForgedAggregations(t *testing.T, ctx context.Context, p *Prover, d *devnet.Devnet, lane *chain.LaneProof, leaves *Leaves) {
	t.Helper()
	solve := func(l *Leaves, edit func(c *aggregate.Circuit)) error {
		a, err := p.AggregationAssignment(l)
		if err != nil {
			return err
		}
		if edit != nil {
			edit(a)
		}
		w, err := frontend.NewWitness(a, ecc.BW6_761.ScalarField())
		if err != nil {
			return err
		}
		return p.Aggregate.CCS.IsSolved(w)
	}
	if err := solve(leaves, nil); err != nil {
		t.Fatalf("the valid leaves do not solve the aggregation: %v", err)
	}
	clone := func(of *Leaves) *Leaves {
		c := *of
		c.Claims = []aggregate.ClaimLeaves{of.Claims[0]}
		for ch := range c.Claims[0].Chains {
			c.Claims[0].Chains[ch] = append([]aggregate.Leaf(nil), of.Claims[0].Chains[ch]...)
		}
		c.Rotations = append([]aggregate.Leaf(nil), of.Rotations...)
		return &c
	}
	refuse := func(name string, l *Leaves, edit func(c *aggregate.Circuit)) {
		t.Helper()
		if solve(l, edit) == nil {
			t.Errorf("aggregation accepted %s", name)
		}
	}

	// A proof of another circuit with the step's public inputs.
	ccs, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, &anyStepCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	real := leaves.Claims[0].Chains[aggregate.AccountChain][0]
	var fake anyStepCircuit
	for i, v := range real.Public.Vector().(frbls12377.Vector) {
		fake.P[i] = v.BigInt(new(big.Int))
	}
	fw, err := frontend.NewWitness(&fake, ecc.BLS12_377.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	fp, err := groth16.Prove(ccs, pk, fw, stdgroth16.GetNativeProverOptions(ecc.BW6_761.ScalarField(), ecc.BLS12_377.ScalarField()))
	if err != nil {
		t.Fatal(err)
	}
	fpub, _ := fw.Public()
	l := clone(leaves)
	l.Claims[0].Chains[aggregate.AccountChain][0] = aggregate.Leaf{Proof: fp, Public: fpub}
	refuse("a proof of another circuit in a step slot", l, nil)
	l = clone(leaves)
	l.Claims[0].Chains[aggregate.AccountChain] = l.Claims[0].Chains[aggregate.AccountChain][1:]
	refuse("an account proof without its root node", l, nil)

	// Unused slots: one made to count, or the last real step left out.
	word := len(leaves.Claims[0].Chains[aggregate.WordChain])
	if word < p.Config.Shape.StorageSteps {
		refuse("an unused slot marked used", leaves, func(c *aggregate.Circuit) { c.Claims[0].Chains[aggregate.WordChain].Used[word] = 1 })
	}
	refuse("the leaf step marked unused", leaves, func(c *aggregate.Circuit) { c.Claims[0].Chains[aggregate.WordChain].Used[word-1] = 0 })
	refuse("another statement", leaves, func(c *aggregate.Circuit) {
		c.Statement = new(big.Int).Add(leaves.Statement.PublicInput(), big.NewInt(1))
	})

	// The rotation's slot holding the padding leaf (valid, of another claim).
	pad, err := leaf.PaddingRotation(p.Config.CommitteeCapacity)
	if err != nil {
		t.Fatal(err)
	}
	padLeaves, err := p.run(ctx, &BatchProof{}, []task{{"rotation leaves", p.Rotation, "padding", pad}})
	if err != nil {
		t.Fatal(err)
	}
	padLeaf := padLeaves[0]
	l = clone(leaves)
	l.Rotations[0] = padLeaf
	refuse("the rotation's leaf replaced by the padding", l, nil)

	// Another block: a state change that leaves the Outbox alone (a contract deployed). Its
	// head claim's leaves.
	if _, err := d.SourceClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestNoopRecipientMetaData.Bin), nil); err != nil {
		t.Fatal(err)
	}
	d.Source.Finalize(d.Source.Head())
	h2, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lane2, err := d.Src.ProveLane(ctx, h2, d.Config.DestinationDomain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lane2.StorageRoot != lane.StorageRoot || h2.Root == lane.Header.Root {
		t.Fatalf("block %d: want the same Outbox storage under another stateRoot", h2.Number)
	}
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(d.Config.SourceDomain, h2.Number.Uint64(), h2.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.ProveLeaves(ctx, Batch{Claims: []ClaimInput{{Committee: members, Signatures: sigs, Lane: lane2}}}, &BatchProof{})
	if err != nil {
		t.Fatal(err)
	}
	if err := solve(other, nil); err != nil {
		t.Fatalf("the head's valid leaves do not solve the aggregation: %v", err)
	}
	l = clone(leaves)
	l.Claims[0].Chains[aggregate.AccountChain] = other.Claims[0].Chains[aggregate.AccountChain]
	refuse("an account proof under another block's stateRoot", l, nil)
	l = clone(leaves)
	l.Claims[0].Header = other.Claims[0].Header
	refuse("another block's header", l, nil)

	// A head presented as a checkpoint: the head's word and accumulator proofs (under the same
	// storageRoot) in the checkpoint claim's slots; and the reverse.
	l = clone(leaves)
	l.Claims[0].Chains[aggregate.WordChain] = other.Claims[0].Chains[aggregate.WordChain]
	l.Claims[0].Chains[aggregate.AccChain] = other.Claims[0].Chains[aggregate.AccChain]
	refuse("a head's proofs for a checkpoint claim", l, nil)
	l = clone(other)
	l.Claims[0].Chains[aggregate.WordChain] = leaves.Claims[0].Chains[aggregate.WordChain]
	l.Claims[0].Chains[aggregate.AccChain] = leaves.Claims[0].Chains[aggregate.AccChain]
	refuse("a checkpoint's proofs for a head claim", l, nil)

	// Swapped and dropped chains of the head.
	l = clone(other)
	l.Claims[0].Chains[aggregate.WordChain] = other.Claims[0].Chains[aggregate.AccChain]
	refuse("the accumulator's proof as the word's", l, nil)
	l = clone(other)
	l.Claims[0].Chains[aggregate.AccChain] = other.Claims[0].Chains[aggregate.WordChain]
	refuse("the word's proof as the accumulator's", l, nil)
}

// benchRun is one batch proven, submitted and delivered on the devnet, shared by the
// benchmarks of this package (each reports its own figure of the same run).
type benchRun struct {
	env       *pipelineEnv
	proof     *BatchProof
	proveS    float64
	peakGiB   float64
	submitGas uint64
	latency   time.Duration // finalized header → proof ready → delivered
}

var (
	benchOnce sync.Once
	bench     *benchRun
	benchErr  error
)

func sharedRun(b *testing.B) *benchRun {
	benchOnce.Do(func() {
		ctx := context.Background()
		e := newPipelineEnv(b, ctx, 5)
		r := &benchRun{env: e}
		start := time.Now()
		if r.proof, benchErr = e.p.Prove(ctx, Batch{Claims: []ClaimInput{e.input}}); benchErr != nil {
			return
		}
		r.proveS, r.peakGiB = time.Since(start).Seconds(), prover.PeakGiB()
		calldata, err := verifier.Calldata(r.proof.Proof)
		if err != nil {
			benchErr = err
			return
		}
		receipt, err := e.d.Dst.SubmitBatch(ctx, e.d.Relayer, calldata, &r.proof.Statement)
		if err != nil {
			benchErr = err
			return
		}
		r.submitGas = receipt.GasUsed
		msgs, err := e.d.Src.Messages(ctx, e.d.Config.DestinationDomain, 0, uint64(e.messages), e.lane.Header.Number)
		if err != nil {
			benchErr = err
			return
		}
		if _, benchErr = e.d.Dst.Deliver(ctx, e.d.Relayer, e.d.Config.SourceDomain, msgs, 0); benchErr != nil {
			return
		}
		r.latency = time.Since(start)
		bench = r
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

// BenchmarkProve/pipeline: one batch (one lane claim on the devnet) through every layer,
// keys loaded.
func BenchmarkProve(b *testing.B) {
	b.Run("pipeline-"+DevnetConfig().Shape.String(), func(b *testing.B) {
		r := sharedRun(b)
		for i := 0; i < b.N; i++ {
			b.ReportMetric(r.proveS, "prove-s")
			b.ReportMetric(r.peakGiB, "peak-GiB")
		}
	})
}

// BenchmarkGasSubmitBatch: submitBatch of that batch through the generated verifier.
func BenchmarkGasSubmitBatch(b *testing.B) {
	r := sharedRun(b)
	for i := 0; i < b.N; i++ {
		b.ReportMetric(float64(r.submitGas), "gas/batch")
	}
}

// BenchmarkPipeline: the time of each proving stage of that batch, and its latency from the
// finalized header to the messages delivered.
func BenchmarkPipeline(b *testing.B) {
	r := sharedRun(b)
	for _, s := range r.proof.Stages {
		b.Run("stage="+strings.ReplaceAll(s.Name, " ", "-"), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.ReportMetric(s.Elapsed.Seconds(), "s")
			}
		})
	}
	b.Run("latency", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.ReportMetric(r.latency.Seconds(), "s")
		}
	})
}

// BenchmarkKeys/<circuit>: each pipeline circuit's stored keys: the proving key's size, the
// time to check and load them, and the setup seconds recorded when they were made.
func BenchmarkKeys(b *testing.B) {
	dir, err := prover.DefaultDir()
	if err != nil {
		b.Fatal(err)
	}
	store := &prover.Store{Dir: dir}
	p, err := NewProver(store, DevnetConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range p.Circuits() {
		b.Run(c.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				start := time.Now()
				k, err := store.Load(c.Name, c.CCS)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "load-s")
				b.ReportMetric(float64(k.Manifest.Files["pk.dump"].Size)/(1<<20), "pk-MiB")
				b.ReportMetric(k.Manifest.SetupSeconds, "setup-s")
				b.ReportMetric(float64(c.CCS.GetNbConstraints()), "constraints")
			}
		})
	}
}

// BenchmarkWorkers/N=<n>: the devnet batch (one head claim) proven through an embedded
// server by n worker processes started for it (each compiles the circuits it proves): the
// wall time from dispatch to the wrap, in s, and the wall time ModelWall predicts for n
// workers of their own machine from its jobs' proving seconds.
func BenchmarkWorkers(b *testing.B) {
	ctx := context.Background()
	e := newPipelineEnv(b, ctx, 5)
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				srv, err := StartEmbedded(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				q, err := Connect(ctx, srv.URL, "bench", nil)
				if err != nil {
					b.Fatal(err)
				}
				e.p.Exec = q
				var workers []*childWorker
				for w := range n {
					workers = append(workers, startWorkerProcess(b, ctx, fmt.Sprintf("w%d", w+1), srv.URL, e.p.store.Dir))
				}
				start := time.Now()
				bp, err := e.p.Prove(ctx, Batch{Claims: []ClaimInput{e.input}})
				if err != nil {
					b.Fatal(err)
				}
				wall := time.Since(start).Seconds()
				for _, w := range workers {
					w.stop()
				}
				q.Close()
				srv.Close()
				var leaves, serial []float64
				for _, j := range bp.Jobs {
					if j.Circuit == e.p.Aggregate.Name || j.Circuit == e.p.Wrap.Name {
						serial = append(serial, j.Seconds)
					} else {
						leaves = append(leaves, j.Seconds)
					}
				}
				b.ReportMetric(wall, "s")
				b.ReportMetric(ModelWall(leaves, serial, n), "model-s")
				b.Logf("%d workers: %.1f s wall, model %.1f s; jobs %+v", n, wall, ModelWall(leaves, serial, n), bp.Jobs)
			}
		})
	}
}
