package aggregator

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/isthmus-xyz/isthmus/chain"
	"github.com/isthmus-xyz/isthmus/chain/devnet"
	"github.com/isthmus-xyz/isthmus/circuits/facts"
	"github.com/isthmus-xyz/isthmus/circuits/leaf"
	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
	"github.com/isthmus-xyz/isthmus/contracts/bindings"
	"github.com/isthmus-xyz/isthmus/protocol"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// e2eOut is the folder make e2e writes its reports to; the test is skipped outside make e2e.
func e2eOut(t *testing.T) string {
	t.Helper()
	if os.Getenv("ISTHMUS_E2E") == "" {
		t.Skip("a real-proof path of make e2e (ISTHMUS_E2E=1)")
	}
	out := os.Getenv("ISTHMUS_E2E_OUT")
	if out == "" {
		out = "e2e-report"
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// e2eRun is a make e2e test's universal prover, its key store and log, and its report.
type e2eRun struct {
	p      *Prover
	store  *prover.Store
	log    *slog.Logger
	report *strings.Builder
}

// newE2ERun makes the universal prover of cfg (the keys it lacks are set up) and opens the
// report with its circuits: constraints, setup seconds, whether this run made their keys.
func newE2ERun(t *testing.T, cfg Config, title string) *e2eRun {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	dir, err := prover.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	store := &prover.Store{Dir: dir, Log: log}
	start := time.Now()
	p, err := NewProver(store, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	r := &e2eRun{p: p, store: store, log: log, report: e2eHead(title)}
	fmt.Fprintf(r.report, "Circuits compiled and keyed in %.0f s.\n\n| circuit | constraints | setup s | made here |\n|---|---:|---:|---|\n", time.Since(start).Seconds())
	for _, c := range p.Circuits() {
		fmt.Fprintf(r.report, "| %s | %d | %.0f | %v |\n", c.Name, c.Keys.Manifest.Constraints, c.Keys.Manifest.SetupSeconds, !c.Keys.Loaded)
	}
	return r
}

// devnet starts a devnet whose Inbox checks batches with the verifier generated for the
// prover's wrap key and config (p.Verifier), closed when the test ends.
func (r *e2eRun) devnet(t *testing.T, ctx context.Context) *devnet.Devnet {
	t.Helper()
	compiled, err := r.p.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	return devnetBehind(t, ctx, compiled)
}

// verifier is the verifier generated for the prover's wrap key and Config.
func (r *e2eRun) verifier(t *testing.T) *verifier.Compiled {
	t.Helper()
	compiled, err := verifier.Compile(mustContracts(t), r.p.Wrap.Keys.VK, r.p.WrapConfig)
	if err != nil {
		t.Fatal(err)
	}
	return compiled
}

// batch reports a proven batch: its proofs, wall time, verifyBatch's gas (when measured: not
// zero), and its stages.
func (r *e2eRun) batch(name string, bp *BatchProof, wall time.Duration, gas uint64) {
	verify := ""
	if gas > 0 {
		verify = fmt.Sprintf("; verifyBatch %d gas (a transaction of its own)", gas)
	}
	fmt.Fprintf(r.report, "\n%s: %d proofs in %.0f s%s.\n\n| stage | proofs | seconds | peak GiB |\n|---|---:|---:|---:|\n",
		name, len(bp.Jobs), wall.Seconds(), verify)
	for _, s := range bp.Stages {
		fmt.Fprintf(r.report, "| %s | %d | %.1f | %.2f |\n", s.Name, s.Proofs, s.Elapsed.Seconds(), s.PeakGiB)
	}
}

// TestE2EUniversalPipeline proves a devnet batch through the universal prover, with real
// proofs at every layer: a lane's checkpoint (a segment end) by storage and a committee
// rotation, planned into leaves of five kinds, proven one job at a time by a worker serving
// the universal circuits through an embedded job server, aggregated under the allow-list of
// every kind and wrapped. The verifier generated for the prover's allow-list, on a chain of
// its own, takes the proof for the batch's statement chain and refuses it for another. It writes universal-pipeline.md (the keys it made, each stage's
// seconds and peak, verifyBatch's gas) to ISTHMUS_E2E_OUT.
func TestE2EUniversalPipeline(t *testing.T) {
	out := e2eOut(t)
	ctx, cancel := context.WithTimeout(context.Background(), 160*time.Minute)
	defer cancel()
	r := newE2ERun(t, DefaultConfig(), "The universal pipeline on a devnet batch, real proofs")
	p, log := r.p, r.log
	compiled, err := p.Verifier()
	if err != nil {
		t.Fatal(err)
	}

	d := devnet.StartForTest(t)
	src, dst := d.Config.SourceDomain, d.Config.DestinationDomain
	for i := 0; i < 3; i++ { // two messages a segment: a checkpoint at 2
		payload := make([]byte, pipelinePayload)
		payload[0] = byte(i)
		if _, _, err := d.Src.Send(ctx, devnet.DevKey("user"), dst, common.Address{0xbb}, pipelineGasLimit, payload); err != nil {
			t.Fatal(err)
		}
	}
	d.Source.Finalize(d.Source.Head())
	h, err := d.Src.FinalizedHeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lane, err := d.Src.ProveLane(ctx, h, dst, []uint64{2})
	if err != nil {
		t.Fatal(err)
	}
	members, _ := devnet.Committee()
	sigs, err := devnet.Attest(src, h.Number.Uint64(), h.Hash(), 3)
	if err != nil {
		t.Fatal(err)
	}
	rot, rotSigs, err := devnet.AttestRotation(src, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	batch := Batch{Claims: []ClaimInput{{Committee: members, Signatures: sigs, Lane: lane, Checkpoint: 2}},
		Rotations: []RotationInput{{Claim: rot, Committee: members, Signatures: rotSigs}}}
	// The jobs go through an embedded job server to a worker serving the universal
	// circuits, as a deployment's workers take them.
	srv, err := StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	q, err := Connect(ctx, srv.URL, "e2e dispatcher", log)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	p.Dispatch(q)
	cfg := DefaultConfig()
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	go func() {
		err := ServeWorker(workerCtx, WorkerConfig{Name: "e2e worker", URL: srv.URL, Store: r.store, Config: cfg, Log: log})
		if err != nil && workerCtx.Err() == nil {
			t.Errorf("worker: %v", err)
		}
	}()
	start := time.Now()
	bp, err := p.Prove(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	if c := bp.Statement.Lanes; len(c) != 1 || c[0].Kind != protocol.KindLaneCheckpoint || c[0].Count != 2 || len(bp.Statement.Rotations) != 1 {
		t.Fatalf("statement %+v: want the checkpoint at 2 and the rotation", bp.Statement)
	}
	if want := protocol.ChainInput(protocol.ChainStatement(bp.Statement.ClaimHashes())); bp.PublicInput.Cmp(want) != 0 {
		t.Fatalf("public input %x, want the statement chain's %x", bp.PublicInput, want)
	}
	other := bp.Statement
	other.Lanes = append([]protocol.LaneClaim(nil), other.Lanes...)
	other.Lanes[0].Count--
	gas := verifyE2E(t, compiled, bp, protocol.ChainInput(protocol.ChainStatement(other.ClaimHashes())))
	r.batch("The batch (a checkpoint by storage, a rotation)", bp, wall, gas)
	fmt.Fprintf(r.report, "\nThe allow-list's root %x.\n", p.List.Root())
	writeE2E(t, out, "universal-pipeline.md", r.report.String())
}

// mustContracts is the contracts folder, for the pinned Solidity compiler.
func mustContracts(t *testing.T) string {
	t.Helper()
	dir, err := verifier.ContractsDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeE2E writes a report of make e2e.
func writeE2E(t *testing.T, out, file, report string) {
	path := filepath.Join(out, file)
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %s\n%s", path, report)
}

// e2eHead opens a report: its title, when, where.
func e2eHead(title string) *strings.Builder {
	report := &strings.Builder{}
	host, _ := os.Hostname()
	fmt.Fprintf(report, "# %s\n\n%s, %s, %d cores\n\n", title, time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU())
	return report
}

// verifyE2E deploys a generated verifier on a chain of its own and calls its verifyBatch
// with a batch proof: it must take the proof for the batch's public input and refuse it for
// other's; it returns the gas of the call as a transaction of its own.
func verifyE2E(t *testing.T, compiled *verifier.Compiled, bp *BatchProof, other *big.Int) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	calldata, err := verifier.Calldata(bp.Proof)
	if err != nil {
		t.Fatal(err)
	}
	key := devnet.DevKey("deployer")
	c, err := devnet.StartChain(9, types.GenesisAlloc{crypto.PubkeyToAddress(key.PublicKey): {Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client, err := chain.Dial(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.PollInterval = devnet.BlockInterval / 2
	addr, err := verifier.Deploy(ctx, client, key, compiled)
	if err != nil {
		t.Fatal(err)
	}
	vb := bindings.NewIBatchVerifier()
	bound := client.Contract(vb, addr)
	verify := func(input *big.Int) bool {
		ok, err := bind.Call(bound, &bind.CallOpts{Context: ctx}, vb.PackVerifyBatch(calldata, input), vb.UnpackVerifyBatch)
		if err != nil {
			t.Fatalf("verifyBatch reverted: %v", err)
		}
		return ok
	}
	if !verify(bp.PublicInput) {
		t.Fatal("the generated verifier refuses the batch")
	}
	if verify(other) {
		t.Fatal("the generated verifier takes the proof for another statement")
	}
	gas, err := client.Eth.EstimateGas(ctx, ethereum.CallMsg{To: &addr, Data: vb.PackVerifyBatch(calldata, bp.PublicInput)})
	if err != nil {
		t.Fatal(err)
	}
	return gas
}

// testOnlyClaimKind is a TEST-ONLY leaf kind: it produces the claim fact of the hash it is
// given, a claim that holds by fiat (no real allow-list holds it). It shows that a new kind
// needs its own setup and nothing else.
type testOnlyClaimKind struct {
	IO   facts.IO
	Hash [2]frontend.Variable
}

func (c *testOnlyClaimKind) Define(api frontend.API) error {
	rc := rangecheck.New(api) // the one commitment every leaf carries
	rc.Check(c.Hash[0], 128)
	rc.Check(c.Hash[1], 128)
	for _, f := range c.IO.Consumed {
		api.AssertIsEqual(f, 0)
	}
	d, err := facts.Digest(api, facts.Tag("isthmus.fact.claim.v1"), c.Hash[0], c.Hash[1])
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.IO.Produced, d)
	return nil
}

// TestE2EUniversalNewKind adds a test-only kind to the universal prover's allow-list and
// proves a batch holding its claim with real proofs under the aggregation and wrap keys that
// TestE2EUniversalPipeline made (loaded here, not made again): only the new kind's setup
// runs, and the verifier generated for the new list's root takes the batch. Its report is
// universal-new-kind.md.
func TestE2EUniversalNewKind(t *testing.T) {
	out := e2eOut(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Minute)
	defer cancel()
	r := newE2ERun(t, DefaultConfig(), "A new kind under the universal aggregation's keys, real proofs")
	p, store, log := r.p, r.store, r.log
	for _, c := range append([]*Circuit{p.Wrap}, p.Aggregates...) {
		if !c.Keys.Loaded {
			t.Fatalf("%s's keys were made here: run it after TestE2EUniversalPipeline, as make e2e does", c.Name)
		}
	}
	extra, err := keyed(store, log, "test-only-claim", bls12377, &testOnlyClaimKind{})
	if err != nil {
		t.Fatal(err)
	}
	root := p.List.Root()
	p.Kinds = append(p.Kinds, extra)
	if err := p.setList(); err != nil {
		t.Fatal(err)
	}
	if p.List.Root().Cmp(root) == 0 {
		t.Fatal("a new kind left the allow-list's root as it was")
	}
	h := crypto.Keccak256Hash([]byte("a claim of the test-only kind"))
	a := &testOnlyClaimKind{Hash: [2]frontend.Variable{new(big.Int).SetBytes(h[:16]), new(big.Int).SetBytes(h[16:])}}
	v := facts.Values{Produced: leaf.ClaimFact(h)}
	v.Assign(&a.IO)
	fa, fv, chainOf, err := leaf.AssignFoldLeaf(protocol.ChainGenesis, []common.Hash{h}, true)
	if err != nil {
		t.Fatal(err)
	}
	plan := &Plan{Chain: chainOf, Leaves: []PlannedLeaf{{Kind: extra.Name, Label: "test-only claim", Assignment: a, Facts: v},
		{Kind: KindFold, Label: "fold 0", Assignment: fa, Facts: fv}}}
	bp := &BatchProof{}
	start := time.Now()
	leaves, err := p.ProvePlan(ctx, plan, bp)
	if err != nil {
		t.Fatal(err)
	}
	agg, err := p.ProveAggregation(ctx, leaves, bp)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ProveWrap(ctx, agg, bp); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	gas := verifyE2E(t, r.verifier(t), bp, protocol.ChainInput(protocol.ChainStatement([]common.Hash{{1}})))
	fmt.Fprintf(r.report, "\nThe test-only kind: %d constraints, setup %.1f s (its manifest; made in this run: %v); the aggregation's and the wrap's keys loaded, not made.\n",
		extra.CCS.GetNbConstraints(), extra.Keys.Manifest.SetupSeconds, !extra.Keys.Loaded)
	r.batch("The batch (the test-only claim and its fold)", bp, wall, gas)
	fmt.Fprintf(r.report, "\nThe new allow-list's root %x.\n", p.List.Root())
	writeE2E(t, out, "universal-new-kind.md", r.report.String())
}

// TestE2EUniversalEthereum proves Ethereum as a source through the universal prover with
// real proofs, under the aggregation and wrap keys TestE2EUniversalPipeline made: the devnet
// beacon chain's (8 members, Deneb) lane at the block its update of period 0 finalized, then,
// in a second batch, the hand-over that update carries to period 1's committee (its 8 keys
// in one chunk). Each batch takes 8 kinds, the key table's size; the verifier generated for
// the allow-list of the committee and sync kinds takes both proofs. It makes the sync kinds'
// keys it lacks (~45 minutes on 2 cores the first time). Its report is
// universal-ethereum.md.
func TestE2EUniversalEthereum(t *testing.T) {
	out := e2eOut(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Minute)
	defer cancel()
	e := newDevnetSyncLane(t)
	src := e.d.Config.SourceDomain
	cfg := Config{Sizes: DefaultConfig().Sizes, Sync: &SyncConfig{Beacon: e.bcfg, SrcDomain: src, Forks: []string{"deneb"}, ChunkKeys: 8}}
	r := newE2ERun(t, cfg, "Ethereum as a source through the universal prover, real proofs")
	p := r.p
	compiled := r.verifier(t)
	c0, c1 := synccommittee.CommitmentOf(e.com0, 0), synccommittee.CommitmentOf(e.com1, 1)
	for _, b := range []struct {
		name  string
		batch Batch
		check func(s protocol.Statement) bool
	}{
		{"a lane under the sync committee", Batch{Claims: []ClaimInput{{Lane: e.lane, Sync: e.su}}}, func(s protocol.Statement) bool {
			return len(s.Lanes) == 1 && s.Lanes[0].Committee == common.Hash(c0.Bytes()) && s.Lanes[0].BlockHash == e.h.Hash() && s.Lanes[0].Count == 2
		}},
		{"the hand-over to period 1", Batch{SyncRotations: []SyncRotationInput{{SrcDomain: src, Update: e.su}}}, func(s protocol.Statement) bool {
			return len(s.Rotations) == 1 && s.Rotations[0].Hash() == (&protocol.RotationClaim{SrcDomain: src, Committee: c0.Bytes(), NextEpoch: 1, NextCommittee: c1.Bytes()}).Hash()
		}},
	} {
		start := time.Now()
		bp, err := p.Prove(ctx, b.batch)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if !b.check(bp.Statement) {
			t.Fatalf("%s: statement %+v", b.name, bp.Statement)
		}
		gas := verifyE2E(t, compiled, bp, protocol.ChainInput(protocol.ChainStatement([]common.Hash{{1}})))
		r.batch(b.name, bp, time.Since(start), gas)
	}
	fmt.Fprintf(r.report, "\nThe allow-list's root %x.\n", p.List.Root())
	writeE2E(t, out, "universal-ethereum.md", r.report.String())
}
