package aggregator

import (
	"bytes"
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

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/universal"
	"github.com/isthmus-xyz/isthmus/contracts/testbindings"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// pipelinePayload makes two messages a segment: a third would take it past SegmentMaxBytes.
// Each is run with the most gas deliver runs (its recipient hashes the payload).
const (
	pipelinePayload  = protocol.SegmentMaxBytes/2 - protocol.PackedOverhead
	pipelineGasLimit = protocol.InlineGasLimit
)

// testUniversal is the config of make test's real-proof run: an allow-list of the fold and
// the attester committee's rotation, and the small aggregation alone, so that a fresh
// machine sets up four keys (the two kinds, the aggregation, the wrap) before it runs.
func testUniversal() Config {
	return Config{Committee: []string{KindFold, KindRotation}, Sizes: []universal.Sizes{SmallSizes}}
}

// pipelineEnv is a devnet whose Inbox checks batches with the verifier generated for a
// universal prover's wrap key and config.
type pipelineEnv struct {
	p        *Prover
	d        *devnet.Devnet
	compiled *verifier.Compiled
}

func newPipelineEnv(tb testing.TB, ctx context.Context, cfg Config) *pipelineEnv {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(testLog{tb}, nil))
	dir, err := prover.DefaultDir()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := NewProver(&prover.Store{Dir: dir, Log: log}, cfg, log)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range p.Circuits() {
		tb.Logf("%s: %d constraints, setup %.0f s", c.Name, c.Keys.Manifest.Constraints, c.Keys.Manifest.SetupSeconds)
	}
	compiled, err := p.Verifier()
	if err != nil {
		tb.Fatal(err)
	}
	return &pipelineEnv{p: p, d: devnetBehind(tb, ctx, compiled), compiled: compiled}
}

// devnetBehind starts a devnet whose Inbox checks batches with the compiled verifier, closed
// when the test ends.
func devnetBehind(tb testing.TB, ctx context.Context, compiled *verifier.Compiled) *devnet.Devnet {
	tb.Helper()
	dc := devnet.DefaultConfig()
	dc.DeployVerifier = func(ctx context.Context, c *chain.Client, key *ecdsa.PrivateKey) (common.Address, error) {
		return verifier.Deploy(ctx, c, key, compiled)
	}
	d, err := devnet.Start(ctx, dc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// TestUniversalEndToEnd: a batch with real proofs at every layer, on the job graph's queue,
// checked by the generated Solidity verifier behind the devnet's Inbox: a committee
// rotation signed by the current committee → its leaves (the rotation, the fold) →
// the small aggregation → the wrap → submitBatch. An embedded NATS server holds the jobs;
// two worker processes prove them. One holds a rotation key that does not match its
// manifest, so it refuses that kind and the other proves it; and it is killed with SIGKILL
// in the middle of its first proof, whose job goes to the other worker. Between the steps
// the proofs go through the files `prove --leaves-only`, `aggregate` and `wrap` pass on.
// The proof is refused for any other statement, natively under another config, on chain
// for any claim changed, a flipped proof byte, and an Inbox trusting another committee.
// Keys come from the key store (set up once per machine: about 45 minutes on 2 cores the
// first time).
func TestUniversalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("real proofs at every layer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Minute)
	defer cancel()
	e := newPipelineEnv(t, ctx, testUniversal())
	p, d := e.p, e.d
	src := d.Config.SourceDomain
	// The verifier compiled for the devnet is kept beside the wrap key: where no compiler is
	// found (an installed binary), the kept one serves.
	t.Setenv("ISTHMUS_CONTRACTS_DIR", t.TempDir())
	if kept, err := p.Verifier(); err != nil || !bytes.Equal(kept.Bytecode, e.compiled.Bytecode) || kept.Source != e.compiled.Source {
		t.Fatalf("the kept verifier, with no compiler: %v", err)
	}
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
	p.Dispatch(q)
	// w1 alone first: it takes the fold's job (it refuses the rotation's) and is killed in
	// the middle of that proof; w2 starts then, and proves the rotation and, after the ack
	// wait, the fold again.
	w1 := startWorkerProcess(t, ctx, "w1", srv.URL, badKeyDir(t, p.store, KindRotation), "test")
	ready := false
	for line := range w1.lines {
		if ready = strings.Contains(line, `msg="worker ready"`); ready {
			break
		}
	}
	if !ready {
		t.Fatal("w1 stopped before it was ready")
	}
	batch := Batch{Rotations: []RotationInput{{Claim: rot, Committee: members, Signatures: rotSigs}}}
	start := time.Now()
	bp := &BatchProof{}
	type proven struct {
		leaves *Leaves
		err    error
	}
	done := make(chan proven, 1)
	go func() {
		leaves, err := p.ProveLeaves(ctx, batch, bp)
		done <- proven{leaves, err}
	}()
	killed := ""
	for line := range w1.lines {
		if strings.Contains(line, `msg=proving`) {
			time.Sleep(300 * time.Millisecond)
			w1.cmd.Process.Kill()
			killed = line
			break
		}
	}
	if killed == "" {
		t.Fatal("w1 stopped before it proved anything")
	}
	t.Logf("w1 killed in the middle of: %s", killed)
	w2 := startWorkerProcess(t, ctx, "w2", srv.URL, p.store.Dir, "test")
	defer w2.stop()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	leaves := res.leaves
	redelivered := 0
	for _, j := range bp.Jobs {
		t.Logf("job %s (%s): worker %s, %.1f s, delivery %d", j.Label, j.Circuit, j.Worker, j.Seconds, j.Deliveries)
		if j.Circuit == KindRotation && j.Worker != "w2" {
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
	if s := leaves.Statement; len(s.Rotations) != 1 || s.Rotations[0].Hash() != rot.Hash() || len(s.Lanes)+len(s.Events) != 0 {
		t.Fatalf("statement %+v: want the rotation alone", s)
	}
	if leaves.Size != 0 || len(leaves.Leaves) != 2 {
		t.Fatalf("%d leaves for aggregation size %d: want the rotation and the fold in the small aggregation", len(leaves.Leaves), leaves.Size)
	}

	// Through the files between the steps, as `prove --leaves-only`, `aggregate` and `wrap`
	// pass them on.
	dir := t.TempDir()
	lf, err := p.EncodeLeaves(leaves)
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
	if leaves, err = p.DecodeLeaves(&lf2); err != nil {
		t.Fatal(err)
	}
	agg, err := p.ProveAggregation(ctx, leaves, bp)
	if err != nil {
		t.Fatal(err)
	}
	af, err := p.EncodeAggregation(leaves.Statement, agg)
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
	if agg, err = p.DecodeAggregation(&af2); err != nil {
		t.Fatal(err)
	}
	af2.Statement.Rotations[0].NextEpoch++
	if _, err := p.DecodeAggregation(&af2); !errors.Is(err, ErrFile) {
		t.Fatalf("an aggregation file of another statement: %v", err)
	}
	if err := p.ProveWrap(ctx, agg, bp); err != nil {
		t.Fatal(err)
	}
	// NewProver stored the compiled aggregation and wrap beside their keys: a job reads them
	// back (its log says so) rather than compiling them a second time.
	for _, c := range []*Circuit{p.Aggregates[0], p.Wrap} {
		if _, err := p.store.Compiled(c.Name, c.Keys.Manifest.Digest); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	t.Logf("batch proven in %s: %+v", time.Since(start).Round(time.Second), bp.Stages)
	if bp.PublicInput.Cmp(bp.Statement.PublicInput()) != 0 {
		t.Fatalf("public input %x, the statement's is %x", bp.PublicInput, bp.Statement.PublicInput())
	}
	if err := verifier.Verify(p.Wrap.Keys.VK, bp.Proof, bp.PublicInput, p.WrapConfig); err != nil {
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
	if err := verifier.Verify(p.Wrap.Keys.VK, back, bp.PublicInput, p.WrapConfig); err != nil {
		t.Fatalf("decoded calldata: %v", err)
	}

	// Natively, the proof is bound to its statement and to the deployment's config.
	other := bp.Statement
	other.Rotations = []protocol.RotationClaim{rot}
	other.Rotations[0].NextEpoch++
	if verifier.Verify(p.Wrap.Keys.VK, bp.Proof, other.PublicInput(), p.WrapConfig) == nil {
		t.Fatal("the proof verifies natively for another statement")
	}
	if verifier.Verify(p.Wrap.Keys.VK, bp.Proof, bp.PublicInput, new(big.Int).Add(p.WrapConfig, big.NewInt(1))) == nil {
		t.Fatal("the proof verifies natively under another config")
	}

	// On-chain: any claim field changed in calldata is refused by the verifier, as is a
	// claim added or the rotation left out.
	lane := protocol.LaneClaim{Kind: protocol.KindLaneHead, SrcDomain: src, DstDomain: d.Config.DestinationDomain, Outbox: d.Outbox,
		Committee: rot.Committee, BlockNumber: 1, BlockHash: common.Hash{1}, Count: 1, Acc: common.Hash{2}}
	mutations := map[string]func(s *protocol.Statement){
		"another next committee":       func(s *protocol.Statement) { s.Rotations[0].NextCommittee[31] ^= 1 },
		"another epoch":                func(s *protocol.Statement) { s.Rotations[0].NextEpoch++ },
		"the rotation of a domain":     func(s *protocol.Statement) { s.Rotations[0].SrcDomain++ },
		"the rotation's own committee": func(s *protocol.Statement) { s.Rotations[0].Committee[0] ^= 1 },
		"a lane claim added":           func(s *protocol.Statement) { s.Lanes = []protocol.LaneClaim{lane} },
		"the rotation twice":           func(s *protocol.Statement) { s.Rotations = append(s.Rotations, s.Rotations[0]) },
	}
	for name, mutate := range mutations {
		s := protocol.Statement{Rotations: append([]protocol.RotationClaim(nil), bp.Statement.Rotations...)}
		mutate(&s)
		_, err := d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &s)
		wantRevert(t, name, err, "InboxInvalidProof")
	}
	bad := append([]byte(nil), calldata...)
	bad[100] ^= 1
	_, err = d.Dst.SubmitBatch(ctx, d.Relayer, bad, &bp.Statement)
	wantRevert(t, "a flipped proof byte", err, "InboxInvalidProof")

	// The valid batch: the committee rotates.
	r, err := d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &bp.Statement)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("submitBatch: %d gas, proof %d bytes", r.GasUsed, len(calldata))
	st, err := d.Dst.State(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 1 || st.Committee != rot.NextCommittee {
		t.Fatalf("after the batch: epoch %d, committee %s; want epoch 1, %s", st.Epoch, st.Committee, rot.NextCommittee)
	}
	// Replayed, its rotation names a committee the Inbox no longer trusts.
	_, err = d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &bp.Statement)
	wantRevert(t, "the batch replayed", err, "InboxWrongCommittee")

	// An Inbox trusting another committee refuses the same valid proof.
	cfg2 := d.Config
	cfg2.Committee = common.BigToHash(new(big.Int).Mod(crypto.Keccak256Hash([]byte("another committee")).Big(), protocol.CommitmentModulus))
	d2, err := devnet.Start(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
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

// devnetHead sends n messages on the devnet's lane to a recording recipient, finalizes the
// source chain and returns the lane's proof at the finalized block and its head claim's
// input, signed by three of the devnet committee's four members.
func devnetHead(tb testing.TB, ctx context.Context, d *devnet.Devnet, n int) (*chain.LaneProof, ClaimInput) {
	tb.Helper()
	recipient, err := d.DestinationClient.Deploy(ctx, d.Deployer, common.FromHex(testbindings.TestRecordingRecipientMetaData.Bin), nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		payload := make([]byte, pipelinePayload)
		payload[0], payload[1] = byte(i), 0xee
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), d.Config.DestinationDomain, recipient, pipelineGasLimit, payload); err != nil {
			tb.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	lane, err := d.Src.ProveLane(ctx, h, d.Config.DestinationDomain, nil)
	if err != nil {
		tb.Fatal(err)
	}
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(d.Config.SourceDomain, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		tb.Fatal(err)
	}
	return lane, ClaimInput{Committee: members, Signatures: sigs, Lane: lane}
}

// benchRun is one batch proven, submitted and delivered on the devnet, shared by the
// benchmarks of this package (each reports its own figure of the same run): the lane's head
// after 5 messages, under the devnet's universal config (its keys from the store: ~90
// minutes of setup on 2 cores the first time).
type benchRun struct {
	env       *pipelineEnv
	input     ClaimInput
	proof     *BatchProof
	proveS    float64
	peakGiB   float64
	submitGas uint64
	latency   time.Duration // finalized header → proof ready → delivered
}

const benchMessages = 5

var (
	benchOnce sync.Once
	bench     *benchRun
	benchErr  error
)

func sharedRun(b *testing.B) *benchRun {
	benchOnce.Do(func() {
		ctx := context.Background()
		e := newPipelineEnv(b, ctx, DefaultConfig())
		lane, input := devnetHead(b, ctx, e.d, benchMessages)
		r := &benchRun{env: e, input: input}
		start := time.Now()
		if r.proof, benchErr = e.p.Prove(ctx, Batch{Claims: []ClaimInput{input}}); benchErr != nil {
			return
		}
		r.proveS, r.peakGiB = time.Since(start).Seconds(), prover.PeakGiB()
		calldata, err := verifier.Calldata(r.proof.Proof)
		if err != nil {
			benchErr = err
			return
		}
		d := e.d
		receipt, err := d.Dst.SubmitBatch(ctx, d.Relayer, calldata, &r.proof.Statement)
		if err != nil {
			benchErr = err
			return
		}
		r.submitGas = receipt.GasUsed
		msgs, err := d.Src.Messages(ctx, d.Config.DestinationDomain, 0, benchMessages, lane.Header.Number)
		if err != nil {
			benchErr = err
			return
		}
		if _, benchErr = d.Dst.Deliver(ctx, d.Relayer, d.Config.SourceDomain, msgs, 0); benchErr != nil {
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

// BenchmarkProve/pipeline: one batch (a lane head on the devnet) through every layer, keys
// loaded.
func BenchmarkProve(b *testing.B) {
	b.Run("pipeline-universal", func(b *testing.B) {
		r := sharedRun(b)
		for i := 0; i < b.N; i++ {
			b.ReportMetric(r.proveS, "prove-s")
			b.ReportMetric(r.peakGiB, "peak-GiB")
		}
	})
}

// BenchmarkGasSubmitBatch: submitBatch of that batch (a domain's first) through the
// generated verifier.
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

// BenchmarkKeys/<circuit>: each circuit of the devnet's universal config: its stored keys'
// proving key size, the time to check and load them, the setup seconds recorded when they
// were made, and its constraints.
func BenchmarkKeys(b *testing.B) {
	dir, err := prover.DefaultDir()
	if err != nil {
		b.Fatal(err)
	}
	store := &prover.Store{Dir: dir}
	set := &CircuitSet{Store: store, Config: DefaultConfig()}
	names, err := set.Names()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c, err := set.Circuit(name)
				if err != nil {
					b.Fatal(err)
				}
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

// BenchmarkWorkers/N=<n>: the devnet batch (a lane head) proven through an embedded server
// by n worker processes started for it (each compiles the circuits it proves): the wall
// time from dispatch to the wrap, in s, and the wall time ModelWall predicts for n workers
// of their own machine from its jobs' proving seconds.
func BenchmarkWorkers(b *testing.B) {
	ctx := context.Background()
	r := sharedRun(b)
	p := r.env.p
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
				p.Dispatch(q)
				var workers []*childWorker
				for w := range n {
					workers = append(workers, startWorkerProcess(b, ctx, fmt.Sprintf("w%d", w+1), srv.URL, p.store.Dir, "devnet"))
				}
				start := time.Now()
				bp, err := p.Prove(ctx, Batch{Claims: []ClaimInput{r.input}})
				if err != nil {
					b.Fatal(err)
				}
				wall := time.Since(start).Seconds()
				for _, w := range workers {
					w.stop()
				}
				q.Close()
				srv.Close()
				serialOnes := map[string]bool{p.Wrap.Name: true}
				for _, c := range p.Aggregates {
					serialOnes[c.Name] = true
				}
				var leaves, serial []float64
				for _, j := range bp.Jobs {
					if serialOnes[j.Circuit] {
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
	p.Dispatch(nil)
}
