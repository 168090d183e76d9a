package aggregator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// squareTasks are tasks proving x² for each x.
func squareTasks(src sourceDouble, xs ...int) []task {
	var tasks []task
	for _, x := range xs {
		tasks = append(tasks, task{"squares", src[square], fmt.Sprintf("%d²", x), &squareCircuit{X: x, Y: x * x}})
	}
	return tasks
}

// publishResult publishes r as the result of job id, as any client of the server can.
func publishResult(t *testing.T, ctx context.Context, q *Queue, id string, r any) uint64 {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := q.JS.Publish(ctx, resultSubject+id, data, jetstream.WithMsgID("result/"+id))
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// gone reports whether the results stream no longer holds the message at seq.
func gone(t *testing.T, ctx context.Context, q *Queue, seq uint64) bool {
	t.Helper()
	s, err := q.JS.Stream(ctx, ResultsStream)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetMsg(ctx, seq)
	return err != nil
}

// The security review's finding 3, first wedge: any client of the server could publish a
// result under a job's ID, and the dispatcher took it as the job's for 24 h, refused it, and
// never proved the job again (padding jobs share one ID across batches: one message a day
// wedged every batch). Now a result that fails the job's check is deleted and the job proven:
// a valid proof of another job, bytes that are no proof, a result published before the batch
// and one published while its job waits. Each batch is proven.
func TestHardeningQueueForgedResultsAreProvenAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	p := &Prover{log: slog.New(slog.DiscardHandler), Exec: q}

	other, err := NewLocal(src, store, nil).Run(ctx, []Job{squareJob(t, src, 4, 16)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Before the batch: a valid proof of 4² under 3²'s ID, and garbage under 5²'s.
	forgedA := publishResult(t, ctx, q, squareJob(t, src, 3, 9).ID, other[0])
	forgedB := publishResult(t, ctx, q, squareJob(t, src, 5, 25).ID, JobResult{ProofFile: ProofFile{Proof: []byte{1, 2, 3}}, Worker: "attacker"})
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	out := &BatchProof{}
	if _, err := p.run(ctx, out, squareTasks(src, 3, 5)); err != nil {
		t.Fatalf("the batch with forged results waiting: %v", err)
	}
	for _, j := range out.Jobs {
		if j.Reused || j.Worker != "w1" {
			t.Fatalf("job %s: %+v, want proven by w1", j.Label, j)
		}
	}
	if !gone(t, ctx, q, forgedA) || !gone(t, ctx, q, forgedB) {
		t.Fatal("a refused result is still on the stream for the next batch to find")
	}
}

// While the job waits on the queue (no worker yet), a forged result arrives: it is refused
// and deleted, the job stays queued, and the worker that comes later proves it.
func TestHardeningQueueForgedResultWhileQueued(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	p := &Prover{log: slog.New(slog.DiscardHandler), Exec: q}
	other, err := NewLocal(src, store, nil).Run(ctx, []Job{squareJob(t, src, 4, 16)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.run(ctx, &BatchProof{}, squareTasks(src, 6))
		done <- err
	}()
	id := squareJob(t, src, 6, 36).ID
	waitQueued(t, ctx, q, 1)
	forged := publishResult(t, ctx, q, id, other[0])
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the batch ended on a forged result: %v", err)
	default:
	}
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !gone(t, ctx, q, forged) {
		t.Fatal("the forged result is still on the stream")
	}
}

// waitQueued waits until the jobs stream holds n messages.
func waitQueued(t *testing.T, ctx context.Context, q *Queue, n uint64) {
	t.Helper()
	s, err := q.JS.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal(ctx.Err())
}

// Second wedge: a dead letter published by anyone aborted the batch in flight. A worker
// removes a job from the queue as it gives up on it, so a dead letter of a job still queued
// is refused and deleted; the batch is proven.
func TestHardeningQueueForgedDeadLetter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	p := &Prover{log: slog.New(slog.DiscardHandler), Exec: q}
	done := make(chan error, 1)
	go func() {
		_, err := p.run(ctx, &BatchProof{}, squareTasks(src, 7))
		done <- err
	}()
	j := squareJob(t, src, 7, 49)
	waitQueued(t, ctx, q, 1)
	data, _ := json.Marshal(DeadLetter{Job: j.ID, Circuit: square, Label: j.Label, Error: "forged", Deliveries: 3, Worker: "attacker"})
	ack, err := q.JS.Publish(ctx, deadSubject+j.ID, data)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(deadLetterGrace + time.Second)
	select {
	case err := <-done:
		t.Fatalf("the batch ended on a forged dead letter: %v", err)
	default:
	}
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !gone(t, ctx, q, ack.Sequence) {
		t.Fatal("the forged dead letter is still on the stream")
	}
}

// Third wedge, with no attacker: a new setup of a circuit made its jobs' old results (under
// the old keys, same ID) fail for 24 h. The job ID now names the verifying key, so the same
// witness under new keys is a new job; and an old result put under the new ID is refused and
// the job proven under the new keys.
func TestHardeningQueueNewSetupIsNewJobs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	oldStore, oldSrc := squareKeys(t)
	store, src := squareKeys(t) // a second setup of the same circuit
	if squareJob(t, oldSrc, 8, 64).ID == squareJob(t, src, 8, 64).ID {
		t.Fatal("one job ID under two verifying keys")
	}
	_, q := queueEnv(t, ctx)
	old, err := NewLocal(oldSrc, oldStore, nil).Run(ctx, []Job{squareJob(t, oldSrc, 8, 64)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	publishResult(t, ctx, q, squareJob(t, oldSrc, 8, 64).ID, old[0])
	forged := publishResult(t, ctx, q, squareJob(t, src, 8, 64).ID, old[0])
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	p := &Prover{log: slog.New(slog.DiscardHandler), Exec: q}
	out := &BatchProof{}
	if _, err := p.run(ctx, out, squareTasks(src, 8)); err != nil {
		t.Fatalf("the batch under new keys: %v", err)
	}
	if out.Jobs[0].Reused {
		t.Fatal("the old keys' result was taken")
	}
	if !gone(t, ctx, q, forged) {
		t.Fatal("the old keys' result is still under the new ID")
	}
}
