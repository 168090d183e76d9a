package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark/frontend"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/isthmus-xyz/isthmus/internal/testcircuit"
	"github.com/isthmus-xyz/isthmus/prover"
)

type squareCircuit = testcircuit.Square

// sourceDouble is a test double of a CircuitSource: a fixed set of compiled circuits.
type sourceDouble map[string]*Circuit

func (s sourceDouble) Circuit(name string) (*Circuit, error) {
	if c, ok := s[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q", ErrNoCircuit, name)
}

const square = "square"

// squareKeys compiles the square circuit and sets up its keys in a new store.
func squareKeys(t *testing.T) (*prover.Store, sourceDouble) {
	t.Helper()
	store := &prover.Store{Dir: t.TempDir()}
	c, err := keyed(store, slog.New(slog.DiscardHandler), square, bls12377, &squareCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	return store, sourceDouble{square: c}
}

func squareJob(t *testing.T, src sourceDouble, x, y int) Job {
	t.Helper()
	j, err := NewJob(src[square], fmt.Sprintf("%d² = %d", x, y), &squareCircuit{X: x, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// queueEnv is an embedded server and a connection to it.
func queueEnv(t *testing.T, ctx context.Context) (*Embedded, *Queue) {
	t.Helper()
	srv, err := StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	q, err := Connect(ctx, srv.URL, "test", slog.New(slog.NewTextHandler(testLog{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return srv, q
}

// startWorker runs a worker until the test ends.
func startWorker(t *testing.T, ctx context.Context, w *Worker) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker %s: %v", w.Name, err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func newWorker(t *testing.T, name string, q *Queue, store *prover.Store, src CircuitSource, m *Metrics) *Worker {
	return &Worker{Name: name, Queue: q, Source: src, Store: store, Circuits: []string{square},
		AckWait: 2 * time.Second, MaxTries: 2, Poll: 20 * time.Millisecond, Metrics: m,
		Log: slog.New(slog.NewTextHandler(testLog{t}, nil))}
}

// Two workers prove a batch of jobs, one of them twice in it: each job is proven once, its
// result is checked, and a second Run finds every result already there.
func TestWorkerQueueProvesEachJobOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	q.Metrics = m
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, m))
	startWorker(t, ctx, newWorker(t, "w2", q, store, src, m))

	p := &runner{log: slog.New(slog.DiscardHandler), Exec: q}
	var tasks []task
	for _, x := range []int{2, 3, 4, 3, 5} {
		tasks = append(tasks, task{"squares", src[square], fmt.Sprintf("%d²", x), &squareCircuit{X: x, Y: x * x}})
	}
	out := &BatchProof{}
	start := time.Now()
	leaves, err := p.run(ctx, out, tasks)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("5 jobs (4 distinct) through the queue in %s: %+v", time.Since(start), out.Stages)
	if len(leaves) != 5 || out.Stages[0].Proofs != 5 {
		t.Fatalf("%d leaves, stages %+v", len(leaves), out.Stages)
	}
	if got := eventually(m.Done.WithLabelValues(square), 4); got != 4 {
		t.Fatalf("%v jobs proven, want the 4 distinct ones", got)
	}
	if got := testutil.ToFloat64(m.Queued.WithLabelValues(square)); got != 4 {
		t.Fatalf("%v jobs queued, want 4", got)
	}
	// Again: every result is found, nothing is proven.
	jobs := []Job{squareJob(t, src, 2, 4), squareJob(t, src, 5, 25)}
	rs, err := q.Run(ctx, jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if !r.Reused {
			t.Fatalf("job %d proven again", i)
		}
	}
	if got := testutil.ToFloat64(m.Done.WithLabelValues(square)); got != 4 {
		t.Fatalf("%v jobs proven after the second run, want still 4", got)
	}
	// A worker's result is not taken on trust: a proof of another statement is refused.
	forged := []task{{"squares", src[square], "a forged 6²", &squareCircuit{X: 6, Y: 36}}}
	bad := &runner{log: slog.New(slog.DiscardHandler), Exec: executorDouble{rs[1]}}
	if _, err := bad.run(ctx, &BatchProof{}, forged); err == nil || !strings.Contains(err.Error(), "public inputs") {
		t.Fatalf("a result for another job: %v", err)
	}
}

// eventually is a counter's value once it reaches want, or after 5 s: a worker counts a job
// just after publishing its result, which the dispatcher may have read first.
func eventually(c prometheus.Counter, want float64) float64 {
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(c) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return testutil.ToFloat64(c)
}

// ran is what a Run returned.
type ran struct {
	rs  []JobResult
	err error
}

// runAsync runs jobs through q in the background.
func runAsync(ctx context.Context, q *Queue, jobs []Job) <-chan ran {
	done := make(chan ran, 1)
	go func() {
		rs, err := q.Run(ctx, jobs, nil)
		done <- ran{rs, err}
	}()
	return done
}

// executorDouble is a test double of an Executor that answers every job with one result.
type executorDouble struct{ r JobResult }

func (e executorDouble) Run(_ context.Context, jobs []Job, _ func(int, JobResult)) ([]JobResult, error) {
	out := make([]JobResult, len(jobs))
	for i := range out {
		out[i] = e.r
	}
	return out, nil
}

// A job that cannot be proven (its witness does not satisfy the circuit) is tried MaxTries
// times, then dead-lettered; the batch fails naming it.
func TestWorkerDeadLettersAFailingJob(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	m := NewMetrics(prometheus.NewRegistry())
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, m))
	_, err := q.Run(ctx, []Job{squareJob(t, src, 3, 9), squareJob(t, src, 3, 10)}, nil)
	if !errors.Is(err, ErrJobDead) || !strings.Contains(err.Error(), "3² = 10") || !strings.Contains(err.Error(), "after 2 tries") {
		t.Fatalf("want the job 3² = 10 dead-lettered after 2 tries, got %v", err)
	}
	if got := eventually(m.Dead.WithLabelValues(square), 1); got != 1 {
		t.Fatalf("%v dead letters counted", got)
	}
	// Published again, the job is a new try (and fails again), not a dropped repeat.
	if _, err := q.Run(ctx, []Job{squareJob(t, src, 3, 10)}, nil); !errors.Is(err, ErrJobDead) {
		t.Fatalf("the job run again: %v", err)
	}
}

// A job taken by a worker that dies (here: one that fetches it and never answers) goes to
// another worker once the ack wait passes.
func TestWorkerRedeliversTheJobOfADeadWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	// The dying worker: it binds the circuit's consumer and takes the job.
	w := newWorker(t, "w1", q, store, src, nil)
	cons, err := q.JS.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{Durable: square,
		FilterSubject: jobsSubject + square, AckPolicy: jetstream.AckExplicitPolicy, AckWait: w.AckWait, MaxDeliver: -1, MaxAckPending: -1})
	if err != nil {
		t.Fatal(err)
	}
	done := runAsync(ctx, q, []Job{squareJob(t, src, 7, 49)})
	if _, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	taken := time.Now()
	startWorker(t, ctx, w)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.rs[0].Deliveries != 2 || r.rs[0].Worker != "w1" {
		t.Fatalf("result %+v: want the second delivery, by w1", r.rs[0])
	}
	if since := time.Since(taken); since < w.AckWait {
		t.Fatalf("handed on after %s, before the ack wait", since)
	}
}

// A worker whose key files do not match their manifest refuses the circuit, naming the
// file: at start for the verifying key, when loading for the proving key. The job goes to
// another worker.
func TestWorkerRefusesAKeyWithAWrongChecksum(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	dir := func() string {
		entries, err := os.ReadDir(store.Dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("key store: %v %v", entries, err)
		}
		return filepath.Join(store.Dir, entries[0].Name())
	}()
	badCopy := func(file string) *prover.Store {
		bad := &prover.Store{Dir: t.TempDir()}
		to := filepath.Join(bad.Dir, filepath.Base(dir))
		if err := os.MkdirAll(to, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"manifest.json", "pk.dump", "vk.bin"} {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if f == file {
				data[len(data)/2] ^= 1
			}
			if err := os.WriteFile(filepath.Join(to, f), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return bad
	}
	// A bad verifying key: refused at start.
	w := newWorker(t, "bad-vk", q, badCopy("vk.bin"), src, nil)
	w.defaults()
	if err := w.check(); !errors.Is(err, ErrNoCircuitToServe) || !errors.Is(err, prover.ErrChecksum) || !strings.Contains(err.Error(), "vk.bin") {
		t.Fatalf("a worker with a bad verifying key: %v", err)
	}
	// A bad proving key (same size): refused when loaded; the job goes to the good worker.
	bad := newWorker(t, "bad-pk", q, badCopy("pk.dump"), src, nil)
	startWorker(t, ctx, bad)
	done := runAsync(ctx, q, []Job{squareJob(t, src, 8, 64)})
	for bad.Refused()[square] == nil {
		select {
		case r := <-done:
			t.Fatalf("a result with only a bad proving key: %+v %v", r.rs, r.err)
		case <-ctx.Done():
			t.Fatal("the bad proving key was not refused")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := bad.Refused()[square]; !errors.Is(err, prover.ErrChecksum) || !strings.Contains(err.Error(), "pk.dump") {
		t.Fatalf("refused for %v, want the proving key's checksum", err)
	}
	startWorker(t, ctx, newWorker(t, "good", q, store, src, nil))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.rs[0].Worker != "good" || r.rs[0].Deliveries != 2 {
		t.Fatalf("result %+v: want the good worker's, at the second delivery", r.rs[0])
	}
}

// The wall-time model: leaves scheduled longest first on the worker that frees first, then
// the serial stages.
func TestWorkerModelWall(t *testing.T) {
	leaves := []float64{13, 16, 13, 6, 13, 16, 13, 13} // sum 103
	serial := []float64{28, 81}                        // 109
	for n, want := range map[int]float64{
		0:   103 + 109, // at least one worker
		1:   103 + 109, // every leaf in turn
		2:   55 + 109,  // 16+13+13+13 | 16+13+13+6
		3:   39 + 109,  // 16+13+6 | 16+13 | 13+13+13
		8:   16 + 109,  // the critical path
		100: 16 + 109,  // no faster with more workers than leaves
	} {
		if got := ModelWall(leaves, serial, n); got != want {
			t.Errorf("%d workers: %v s, want %v", n, got, want)
		}
	}
}

// BenchmarkQueueOverhead: the time a job spends beyond its proof, in ms: small jobs through
// an embedded server and one in-process worker with the default settings, the batch's wall
// time less the proving seconds its worker reports, per job (publishing, fetching, the
// witness decoded, the result published, checked and verified by the dispatcher).
func BenchmarkQueueOverhead(b *testing.B) {
	ctx := context.Background()
	store := &prover.Store{Dir: b.TempDir()}
	c, err := keyed(store, slog.New(slog.DiscardHandler), square, bls12377, &squareCircuit{})
	if err != nil {
		b.Fatal(err)
	}
	src := sourceDouble{square: c}
	srv, err := StartEmbedded(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	q, err := Connect(ctx, srv.URL, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &Worker{Name: "w", Queue: q, Source: src, Store: store, Circuits: []string{square}}
	go w.Run(wctx)
	p := &runner{log: slog.New(slog.DiscardHandler), Exec: q}
	const jobs = 64
	for i := 0; i < b.N; i++ {
		tasks := make([]task, jobs)
		for j := range tasks {
			x := i*jobs + j + 2
			tasks[j] = task{"squares", c, fmt.Sprint(x), &squareCircuit{X: x, Y: x * x}}
		}
		out := &BatchProof{}
		start := time.Now()
		if _, err := p.run(ctx, out, tasks); err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		b.ReportMetric(float64(wall-out.Stages[0].Elapsed)/float64(time.Millisecond)/jobs, "ms/job")
	}
}

// Keys travel to workers through the server's object store: published from one store,
// fetched into an empty one, they prove; a key file changed in the object store is refused,
// named, and nothing of that folder enters the worker's store.
func TestWorkerKeysThroughTheObjectStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	pins, err := store.Pins(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.FetchKeys(ctx, &prover.Store{Dir: t.TempDir()}, []string{square}, pins); err == nil || !strings.Contains(err.Error(), "isthmus keys publish") {
		t.Fatalf("fetching before any key is published: %v", err)
	}
	if err := q.PublishKeys(ctx, store, []string{square}); err != nil {
		t.Fatal(err)
	}
	fetched := &prover.Store{Dir: t.TempDir()}
	if err := q.FetchKeys(ctx, fetched, []string{square}, pins); err != nil {
		t.Fatal(err)
	}
	startWorker(t, ctx, newWorker(t, "fetched", q, fetched, src, nil))
	rs, err := q.Run(ctx, []Job{squareJob(t, src, 9, 81)}, nil)
	if err != nil || rs[0].Worker != "fetched" {
		t.Fatalf("proven with fetched keys: %+v %v", rs, err)
	}

	// The proving key changed in the object store (same size).
	m, err := store.CheckCircuit(square)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := os.ReadFile(filepath.Join(store.Folder(m), "pk.dump"))
	if err != nil {
		t.Fatal(err)
	}
	pk[len(pk)/2] ^= 1
	obs, err := q.JS.ObjectStore(ctx, KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(ctx, prover.FolderName(m.Circuit, m.Digest)+"/pk.dump", pk); err != nil {
		t.Fatal(err)
	}
	other := &prover.Store{Dir: t.TempDir()}
	err = q.FetchKeys(ctx, other, []string{square, "no-such-circuit"}, pins)
	if !errors.Is(err, prover.ErrChecksum) || !strings.Contains(err.Error(), "pk.dump") || !strings.Contains(err.Error(), "no-such-circuit") {
		t.Fatalf("fetching a changed proving key: %v", err)
	}
	if _, err := other.CheckCircuit(square); !errors.Is(err, prover.ErrNotFound) {
		t.Fatalf("the refused folder entered the store: %v", err)
	}
}

// keyed compiles a circuit and loads its keys, setting them up if the store lacks them.
func keyed(store *prover.Store, log *slog.Logger, name string, field *big.Int, c frontend.Circuit) (*Circuit, error) {
	ccs, err := compile(log, name, field, c)
	if err != nil {
		return nil, err
	}
	return load(store, name, ccs)
}
