package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/isthmus-xyz/isthmus/prover"
)

// Worker takes the jobs of the circuits it holds keys for from a Queue, proves them one at
// a time, and publishes their results. While it proves it tells the server it is making
// progress, so a job is handed to another worker only when its worker stops (dies, hangs, or
// loses its connection) for the ack wait. A job that fails is tried again after a delay, by
// whichever worker takes it; after MaxTries deliveries it goes to the dead-letter subject
// with its error.
type Worker struct {
	Name   string
	Queue  *Queue
	Source CircuitSource
	Store  *prover.Store
	// Circuits are the names of the circuits to serve; those whose stored keys do not match
	// their manifest are refused, by name, at start, and a key that fails its checksum when
	// it is loaded refuses its circuit from then on (the job goes to another worker).
	Circuits []string
	AckWait  time.Duration // default 30 s
	MaxTries int           // default 3
	Poll     time.Duration // how often an idle worker looks for jobs; default 100 ms
	Log      *slog.Logger
	Metrics  *Metrics

	jp      *jobProver
	mu      sync.Mutex
	refused map[string]error
}

// ErrNoCircuitToServe is returned by a worker whose every circuit was refused.
var ErrNoCircuitToServe = errors.New("no circuit to serve")

func (w *Worker) defaults() {
	if w.AckWait == 0 {
		w.AckWait = 30 * time.Second
	}
	if w.MaxTries == 0 {
		w.MaxTries = 3
	}
	if w.Poll == 0 {
		w.Poll = 100 * time.Millisecond
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	w.Log = w.Log.With("worker", w.Name)
}

// Serving is the circuits the worker takes jobs of (after Start's checks).
func (w *Worker) Serving() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.Circuits {
		if w.refused[c] == nil {
			out = append(out, c)
		}
	}
	return out
}

// Refused is why each refused circuit was refused.
func (w *Worker) Refused() map[string]error {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]error{}
	for c, err := range w.refused {
		out[c] = err
	}
	return out
}

// check refuses the circuits whose keys do not match their manifest.
func (w *Worker) check() error {
	w.mu.Lock()
	w.refused = map[string]error{}
	w.mu.Unlock()
	for _, c := range w.Circuits {
		if _, err := w.Store.CheckCircuit(c); err != nil {
			w.refuse(c, err)
		}
	}
	if len(w.Serving()) == 0 {
		return fmt.Errorf("worker %s: %w: %w", w.Name, ErrNoCircuitToServe, errors.Join(w.refusals()...))
	}
	return nil
}

func (w *Worker) refusals() []error {
	var out []error
	for _, err := range w.Refused() {
		out = append(out, err)
	}
	return out
}

func (w *Worker) refuse(circuit string, err error) {
	w.mu.Lock()
	w.refused[circuit] = fmt.Errorf("circuit %s refused: %w", circuit, err)
	w.mu.Unlock()
	w.Log.Error("refusing circuit: its keys do not match their manifest", "circuit", circuit, "err", err)
}

// Run checks the worker's keys, then takes and proves jobs until ctx ends. A proof under way
// when ctx ends is finished and published first (gnark's prover cannot be interrupted).
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	if err := w.check(); err != nil {
		return err
	}
	w.jp = &jobProver{source: w.Source, store: w.Store, log: w.Log, name: w.Name}
	consumers := map[string]jetstream.Consumer{}
	for _, c := range w.Serving() {
		cons, err := w.Queue.JS.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
			Durable: c, FilterSubject: jobsSubject + c, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: w.AckWait, MaxDeliver: -1, MaxAckPending: -1,
		})
		if err != nil {
			return fmt.Errorf("worker %s: consumer of %s: %w", w.Name, c, err)
		}
		consumers[c] = cons
	}
	w.Log.Info("worker ready", "circuits", w.Serving(), "ackWait", w.AckWait, "maxTries", w.MaxTries)
	idle := time.Now()
	for ctx.Err() == nil {
		took := false
		for _, c := range w.order() {
			batch, err := consumers[c].FetchNoWait(1)
			if err != nil {
				if ctx.Err() == nil {
					w.Log.Warn("fetch", "circuit", c, "err", err)
				}
				continue
			}
			for m := range batch.Messages() {
				took = true
				w.handle(ctx, c, m)
			}
			if took {
				break
			}
		}
		if took {
			idle = time.Now()
			continue
		}
		if w.jp.pk != nil && time.Since(idle) > w.AckWait {
			w.jp.release() // idle: give the proving key's memory back
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.Poll):
		}
	}
	w.jp.release()
	return nil
}

// order is the served circuits, the one whose proving key is loaded first.
func (w *Worker) order() []string {
	out := w.Serving()
	for i, c := range out {
		if c == w.jp.pkOf {
			out[0], out[i] = out[i], out[0]
		}
	}
	return out
}

// handle proves one job and acknowledges it, or hands it back.
func (w *Worker) handle(ctx context.Context, circuit string, m jetstream.Msg) {
	job := Job{ID: m.Headers().Get(headerJob), Circuit: circuit, Label: m.Headers().Get(headerLabel), Witness: m.Data(),
		Digest: m.Headers().Get(headerDigest)}
	meta, err := m.Metadata()
	if err != nil || job.ID == "" {
		w.Log.Error("malformed job: dropped", "circuit", circuit, "err", err)
		m.Term()
		return
	}
	tries := int(meta.NumDelivered)
	log := w.Log.With("circuit", circuit, "job", job.Label, "delivery", tries)
	w.Metrics.started(circuit, tries > 1)
	if tries > w.MaxTries {
		// Its workers died each time (a proof that kills its worker, such as one out of
		// memory, would kill every worker in turn).
		w.dead(ctx, m, job, tries, fmt.Errorf("handed to a worker %d times without a result", tries-1))
		return
	}
	log.Info("job started")
	stop := w.heartbeat(m)
	r, err := w.jp.prove(ctx, job)
	stop()
	// A proof made is published even when the worker is stopping: gnark's prover takes no
	// context, so a stop asked during a proof waits for it.
	pubCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	switch {
	case err == nil:
		r.Deliveries = tries
		data, _ := json.Marshal(r)
		// No deduplication ID: one taken first by anyone would drop this result unseen.
		if _, err := w.Queue.JS.Publish(pubCtx, resultSubject+job.ID, data); err != nil {
			log.Error("publish result: handing the job back", "err", err)
			m.Nak()
			w.Metrics.ended(circuit, nil, false)
			return
		}
		if err := m.DoubleAck(pubCtx); err != nil {
			log.Warn("ack", "err", err) // the result is published: a repeat is found and skipped
		}
		w.Metrics.ended(circuit, &r, false)
	case ctx.Err() != nil:
		log.Info("stopping: job handed back")
		m.Nak()
		w.Metrics.ended(circuit, nil, false)
	case errors.Is(err, prover.ErrChecksum) || errors.Is(err, prover.ErrNotFound):
		w.refuse(circuit, err)
		m.Nak() // for another worker, at once
		w.Metrics.ended(circuit, nil, false)
	case tries >= w.MaxTries:
		w.dead(pubCtx, m, job, tries, err)
	default:
		log.Warn("job failed: it will be tried again", "err", err, "tries", tries, "of", w.MaxTries)
		m.NakWithDelay(time.Duration(tries) * time.Second)
		w.Metrics.ended(circuit, nil, false)
	}
}

// heartbeat tells the server the job is in progress every third of the ack wait, until the
// returned function is called.
func (w *Worker) heartbeat(m jetstream.Msg) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(w.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := m.InProgress(); err != nil {
					w.Log.Warn("progress heartbeat", "err", err)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// dead publishes a job's dead letter and removes the job from the queue.
func (w *Worker) dead(ctx context.Context, m jetstream.Msg, job Job, tries int, cause error) {
	w.Log.Error("job dead-lettered", "circuit", job.Circuit, "job", job.Label, "tries", tries, "err", cause)
	data, _ := json.Marshal(DeadLetter{Job: job.ID, Circuit: job.Circuit, Label: job.Label, Error: cause.Error(), Deliveries: tries, Worker: w.Name})
	msg := &nats.Msg{Subject: deadSubject + job.ID, Data: data}
	if _, err := w.Queue.JS.PublishMsg(ctx, msg); err != nil {
		w.Log.Error("publish dead letter: handing the job back", "err", err)
		m.Nak()
		w.Metrics.ended(job.Circuit, nil, false)
		return
	}
	m.Term()
	w.Metrics.ended(job.Circuit, nil, true)
}

// WorkerConfig is what a worker process serves, and how.
type WorkerConfig struct {
	Name  string
	URL   string // the NATS server
	Auth  Auth   // how to connect to it
	Store *prover.Store
	// Config is the circuits served, each compiled when a job asks for it, one held at a
	// time.
	Config   Config
	Circuits []string // to serve (default: every circuit of Config)
	AckWait  time.Duration
	MaxTries int
	// FetchKeys fetches the keys the store lacks from the server's object store first, as
	// Pins pin them (Queue.FetchKeys).
	FetchKeys bool
	Pins      prover.Pins
	Log       *slog.Logger
	Metrics   *Metrics
}

// ServeWorker connects to the server and proves jobs until ctx ends.
func ServeWorker(ctx context.Context, wc WorkerConfig) error {
	q, err := ConnectWith(ctx, wc.URL, "isthmus worker "+wc.Name, wc.Log, wc.Auth)
	if err != nil {
		return err
	}
	defer q.Close()
	circuits := wc.Circuits
	set := &CircuitSet{Store: wc.Store, Config: wc.Config, Log: wc.Log}
	if len(circuits) == 0 {
		var err error
		if circuits, err = set.Names(); err != nil {
			return err
		}
	}
	if wc.FetchKeys {
		if err := q.FetchKeys(ctx, wc.Store, circuits, wc.Pins); err != nil {
			wc.Log.Warn("keys not fetched from the server", "err", err)
		}
	}
	w := &Worker{Name: wc.Name, Queue: q, Store: wc.Store, Circuits: circuits,
		Source:  set,
		AckWait: wc.AckWait, MaxTries: wc.MaxTries, Log: wc.Log, Metrics: wc.Metrics}
	return w.Run(ctx)
}
