package aggregator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/isthmus-xyz/isthmus/prover"
)

// A batch is a graph of proof jobs: its leaf proofs, independent of each other, then the
// aggregation of them all, then the wrap. A Job is one proof: a circuit (by its key's name),
// the verifying key it must verify under, and a full witness. Its ID is the SHA-256 of the
// three, so the same proof asked twice is one job and its result can be found again, while
// a new setup of the circuit makes new jobs (results under the old keys are not theirs).
type Job struct {
	ID      string
	Circuit string
	Label   string // what the proof is of, for logs and errors ("claim 0, chain 1, step 2")
	Witness []byte // gnark's binary encoding of the full witness
	// Digest is the digest its dispatcher compiled the circuit to, where it knows it: a
	// worker whose key store holds that compiled system reads it rather than compiling.
	Digest string
	// Check, where set, is the dispatcher's check of a result before it takes it (the
	// proof verifies under the job's key, for the job's public inputs). A result that
	// fails it is deleted and the job proven again. It is not sent to workers.
	Check func(JobResult) error
}

// NewJob is the job of proving assignment with circuit c.
func NewJob(c *Circuit, label string, assignment frontend.Circuit) (Job, error) {
	j, _, err := newJob(c, label, assignment)
	return j, err
}

// newJob is NewJob, with the public witness the job's result must carry.
func newJob(c *Circuit, label string, assignment frontend.Circuit) (Job, witness.Witness, error) {
	w, err := frontend.NewWitness(assignment, c.Curve.ScalarField())
	if err != nil {
		return Job{}, nil, fmt.Errorf("%s: witness: %w", label, err)
	}
	data, err := w.MarshalBinary()
	if err != nil {
		return Job{}, nil, fmt.Errorf("%s: witness: %w", label, err)
	}
	pub, err := w.Public()
	if err != nil {
		return Job{}, nil, fmt.Errorf("%s: public witness: %w", label, err)
	}
	if c.Keys == nil || c.Keys.VK == nil {
		return Job{}, nil, fmt.Errorf("%s: circuit %s has no verifying key", label, c.Name)
	}
	h := sha256.New()
	h.Write([]byte(c.Name))
	h.Write([]byte{0})
	if _, err := c.Keys.VK.WriteRawTo(h); err != nil {
		return Job{}, nil, fmt.Errorf("%s: verifying key: %w", label, err)
	}
	h.Write(data)
	j := Job{ID: hex.EncodeToString(h.Sum(nil)), Circuit: c.Name, Label: label, Witness: data}
	if c.Keys.Manifest != nil {
		j.Digest = c.Keys.Manifest.Digest
	}
	return j, pub, nil
}

// JobResult is a job's proof with its public witness, and where and how it was made.
type JobResult struct {
	ProofFile
	Worker     string  `json:"worker"`
	Seconds    float64 `json:"seconds"`    // proving, on the worker
	PeakGiB    float64 `json:"peakGiB"`    // the worker's peak resident memory during the proof
	Deliveries int     `json:"deliveries"` // how many times the job was handed to a worker
	Reused     bool    `json:"-"`          // found already proven
}

// JobRecord is what a batch's proof records of one of its jobs.
type JobRecord struct {
	Circuit    string  `json:"circuit"`
	Label      string  `json:"label"`
	Worker     string  `json:"worker"`
	Seconds    float64 `json:"seconds"`
	Deliveries int     `json:"deliveries"`
	Reused     bool    `json:"reused"`
}

// Executor proves jobs, each at most once, wherever its workers run; done is told of each
// result as it comes. It returns the results in the jobs' order.
type Executor interface {
	Run(ctx context.Context, jobs []Job, done func(i int, r JobResult)) ([]JobResult, error)
}

// CircuitSource gives a compiled circuit by its name.
type CircuitSource interface {
	Circuit(name string) (*Circuit, error)
}

// digestSource is a CircuitSource that reads a circuit back by the digest a job names.
type digestSource interface {
	CircuitOf(name, digest string) (*Circuit, error)
}

// ErrNoCircuit is returned for a circuit name a source does not know.
var ErrNoCircuit = errors.New("unknown circuit")

// options are the prover and verifier options of a circuit's layer, told by its curve: a
// BLS12-377 leaf is verified in the BW6-761 aggregation, which is verified in the BN254
// wrap, which the Solidity verifier checks.
func options(curve ecc.ID) (backend.ProverOption, backend.VerifierOption, error) {
	switch curve {
	case ecc.BLS12_377:
		return stdgroth16.GetNativeProverOptions(bw6761, bls12377), stdgroth16.GetNativeVerifierOptions(bw6761, bls12377), nil
	case ecc.BW6_761:
		return stdgroth16.GetNativeProverOptions(bn254, bw6761), stdgroth16.GetNativeVerifierOptions(bn254, bw6761), nil
	case ecc.BN254:
		return solidity.WithProverTargetSolidityVerifier(backend.GROTH16), solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16), nil
	}
	return nil, nil, fmt.Errorf("no pipeline layer on curve %s", curve)
}

// jobProver proves jobs with the circuits of a source and the proving keys of a store,
// holding one proving key at a time (the last one used, until release).
type jobProver struct {
	source CircuitSource
	store  *prover.Store
	log    *slog.Logger
	name   string // of the worker, in results
	pk     groth16.ProvingKey
	pkOf   string
}

// prove proves a job and checks the proof natively.
func (jp *jobProver) prove(ctx context.Context, job Job) (JobResult, error) {
	if err := ctx.Err(); err != nil {
		return JobResult{}, err
	}
	var c *Circuit
	var err error
	if ds, ok := jp.source.(digestSource); ok && job.Digest != "" {
		c, err = ds.CircuitOf(job.Circuit, job.Digest)
	} else {
		c, err = jp.source.Circuit(job.Circuit)
	}
	if err != nil {
		return JobResult{}, err
	}
	if jp.pkOf != c.Name {
		jp.release()
		k, err := jp.store.Load(c.Name, c.CCS)
		if err != nil {
			return JobResult{}, fmt.Errorf("%s: %w", c.Name, err)
		}
		jp.pk, jp.pkOf = k.PK, c.Name
	}
	w, err := witness.New(c.Curve.ScalarField())
	if err != nil {
		return JobResult{}, err
	}
	if err := w.UnmarshalBinary(job.Witness); err != nil {
		return JobResult{}, fmt.Errorf("%s: witness: %w", job.Label, err)
	}
	popt, vopt, err := options(c.Curve)
	if err != nil {
		return JobResult{}, err
	}
	prover.ResetPeak()
	jp.log.Info("proving", "circuit", c.Name, "job", job.Label)
	start := time.Now()
	restore := provingGC()
	proof, err := groth16.Prove(c.CCS, jp.pk, w, popt)
	restore()
	if err != nil {
		return JobResult{}, fmt.Errorf("%s (%s): prove: %w", job.Label, c.Name, err)
	}
	seconds := time.Since(start).Seconds()
	pub, err := w.Public()
	if err != nil {
		return JobResult{}, err
	}
	if err := groth16.Verify(proof, c.Keys.VK, pub, vopt); err != nil {
		return JobResult{}, fmt.Errorf("%s (%s): the proof does not verify: %w", job.Label, c.Name, err)
	}
	pf, err := encodeProof(Proof{Proof: proof, Public: pub})
	if err != nil {
		return JobResult{}, err
	}
	jp.log.Info("proven", "circuit", c.Name, "job", job.Label, "seconds", seconds)
	return JobResult{ProofFile: pf, Worker: jp.name, Seconds: seconds, PeakGiB: prover.PeakGiB()}, nil
}

// ProvingGCPercent is the garbage collector's target (GOGC) while a proof is computed, unless
// the GOGC environment variable names one. Groth16 proving allocates large buffers (the FFTs'
// and the MSMs') and drops them in turn; at Go's default of 100 the heap grows to twice the
// live data between collections, and the wrap's proof peaked at 10.5 GiB in make demo; at 25,
// 9.3 GiB in the same time (docs/operations.md, "Memory").
const ProvingGCPercent = 25

// provingGC sets ProvingGCPercent for a proof and returns what restores the previous target.
func provingGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(ProvingGCPercent)
	return func() { debug.SetGCPercent(prev) }
}

// release lets go of the proving key held, and returns its memory to the system.
func (jp *jobProver) release() {
	if jp.pk == nil {
		return
	}
	jp.pk, jp.pkOf = nil, ""
	runtime.GC()
	debug.FreeOSMemory()
}

// Local is the Executor of one process: it proves the jobs one after another, each with
// every core, and lets go of the last proving key when they are done.
type Local struct{ jp jobProver }

// NewLocal is an in-process executor over the circuits of source and the keys of store.
func NewLocal(source CircuitSource, store *prover.Store, log *slog.Logger) *Local {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Local{jobProver{source: source, store: store, log: log, name: "local"}}
}

// Run proves the jobs in order.
func (l *Local) Run(ctx context.Context, jobs []Job, done func(int, JobResult)) ([]JobResult, error) {
	defer l.jp.release()
	out := make([]JobResult, len(jobs))
	for i, j := range jobs {
		r, err := l.jp.prove(ctx, j)
		if err != nil {
			return nil, err
		}
		r.Deliveries = 1
		out[i] = r
		if done != nil {
			done(i, r)
		}
	}
	return out, nil
}

// task is a proof a stage of the pipeline asks for, with the stage it counts in.
type task struct {
	stage      string
	circuit    *Circuit
	label      string
	assignment frontend.Circuit
}

// runner runs a prover's tasks: through its executor, or in this process with its own
// compiled circuits (source); it tells Progress of each proof.
type runner struct {
	log   *slog.Logger
	store *prover.Store
	// Exec proves the jobs; nil proves them in this process, one after another.
	Exec Executor
	// Progress, if set, is told after each proof: the stage, and proofs done of the batch's.
	Progress    func(stage string, done, total int)
	done, total int
	source      CircuitSource
}

// Store is the key store the prover's keys come from.
func (p *runner) Store() *prover.Store { return p.store }

func (p *runner) proved(stage string) {
	p.done++
	if p.Progress != nil {
		p.Progress(stage, p.done, p.total)
	}
}

// dispatch has exec prove the jobs from now on and lets go of the circuits' constraint
// systems.
func (p *runner) dispatch(exec Executor, circuits []*Circuit) {
	p.Exec = exec
	for _, c := range circuits {
		if c != nil {
			c.CCS = nil
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
}

// run proves tasks through the prover's executor, checks each proof natively against its
// circuit's verifying key (a worker's result is not taken on trust), and records a stage
// per stage name: its proofs, the proving seconds they took, and their workers' peak memory.
func (p *runner) run(ctx context.Context, out *BatchProof, tasks []task) ([]Proof, error) {
	jobs := make([]Job, len(tasks))
	publics := make([]witness.Witness, len(tasks))
	for i, t := range tasks {
		var err error
		if jobs[i], publics[i], err = newJob(t.circuit, t.label, t.assignment); err != nil {
			return nil, err
		}
		public := publics[i]
		jobs[i].Check = func(r JobResult) error {
			_, err := checkResult(t, public, r)
			return err
		}
	}
	size := 0
	for _, j := range jobs {
		size += len(j.Witness)
	}
	p.log.Info("jobs planned", "jobs", len(jobs), "witnessBytes", size)
	exec := p.Exec
	if exec == nil {
		exec = NewLocal(p.source, p.store, p.log)
	}
	results, err := exec.Run(ctx, jobs, func(i int, r JobResult) {
		p.log.Info("job done", "circuit", jobs[i].Circuit, "job", jobs[i].Label, "worker", r.Worker,
			"seconds", r.Seconds, "deliveries", r.Deliveries, "reused", r.Reused)
		out.Jobs = append(out.Jobs, JobRecord{Circuit: jobs[i].Circuit, Label: jobs[i].Label, Worker: r.Worker,
			Seconds: r.Seconds, Deliveries: r.Deliveries, Reused: r.Reused})
		p.proved(tasks[i].stage)
	})
	if err != nil {
		return nil, err
	}
	leaves := make([]Proof, len(tasks))
	for i, t := range tasks {
		if leaves[i], err = checkResult(t, publics[i], results[i]); err != nil {
			return nil, err
		}
	}
	// Stages in the order they first appear.
	var order []string
	stages := map[string]*Stage{}
	for i, t := range tasks {
		s, ok := stages[t.stage]
		if !ok {
			s = &Stage{Name: t.stage}
			stages[t.stage] = s
			order = append(order, t.stage)
		}
		s.Proofs++
		s.Elapsed += time.Duration(results[i].Seconds * float64(time.Second))
		s.PeakGiB = max(s.PeakGiB, results[i].PeakGiB)
	}
	for _, name := range order {
		s := *stages[name]
		out.Stages = append(out.Stages, s)
		p.log.Info("stage done", "stage", s.Name, "proofs", s.Proofs, "seconds", s.Elapsed.Seconds(), "peakGiB", s.PeakGiB)
	}
	return leaves, nil
}

// single proves one task, a stage of its own (the aggregation, the wrap).
func (p *runner) single(ctx context.Context, out *BatchProof, stage string, c *Circuit, a frontend.Circuit) (Proof, error) {
	l, err := p.run(ctx, out, []task{{stage, c, stage, a}})
	if err != nil {
		return Proof{}, fmt.Errorf("%s: %w", stage, err)
	}
	return l[0], nil
}

// checkResult decodes a task's result and checks it: its public inputs are the task's, and
// its proof verifies under the task's verifying key.
func checkResult(t task, public witness.Witness, r JobResult) (Proof, error) {
	l, err := decodeProof(r.ProofFile, t.circuit.Curve, t.label)
	if err != nil {
		return Proof{}, err
	}
	_, vopt, err := options(t.circuit.Curve)
	if err != nil {
		return Proof{}, err
	}
	if err := sameVector(l.Public, public); err != nil {
		return Proof{}, fmt.Errorf("%s (%s) from worker %s: %w", t.label, t.circuit.Name, r.Worker, err)
	}
	if err := groth16.Verify(l.Proof, t.circuit.Keys.VK, l.Public, vopt); err != nil {
		return Proof{}, fmt.Errorf("%s (%s) from worker %s: the proof does not verify: %w", t.label, t.circuit.Name, r.Worker, err)
	}
	return l, nil
}

// sameVector checks that a result's public witness is the one asked for.
func sameVector(got, want witness.Witness) error {
	a, err := got.MarshalBinary()
	if err != nil {
		return err
	}
	b, err := want.MarshalBinary()
	if err != nil {
		return err
	}
	if string(a) != string(b) {
		return errors.New("the result's public inputs are not the job's")
	}
	return nil
}

// ModelWall is the wall time of a batch on n workers, each as fast as the one that measured
// the jobs, from its job graph: the independent leaf proofs scheduled longest first, each on
// the worker that frees first, then the aggregation and the wrap one after the other (the
// critical path). With n at least the number of leaves it is the critical path: the longest
// leaf, the aggregation, the wrap. Queue overhead and key loading are left out.
func ModelWall(leaves []float64, serial []float64, n int) float64 {
	sorted := append([]float64(nil), leaves...)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	free := make([]float64, max(n, 1))
	for _, s := range sorted {
		i := 0
		for j := range free {
			if free[j] < free[i] {
				i = j
			}
		}
		free[i] += s
	}
	wall := 0.0
	for _, f := range free {
		wall = max(wall, f)
	}
	for _, s := range serial {
		wall += s
	}
	return wall
}
