package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The job graph on NATS JetStream. Jobs wait on a work-queue stream, one subject per circuit
// (isthmus.jobs.<circuit>), each published once under its ID (the stream drops a repeat);
// the workers of a circuit share one durable pull consumer, so each job goes to one worker,
// and back to another when its worker stops reporting progress for the ack wait. Results
// and dead letters are kept on a second stream, by job ID (isthmus.results.<id>,
// isthmus.dead.<id>), so a dispatcher that restarts finds what was already proven.
const (
	JobsStream    = "ISTHMUS_JOBS"
	ResultsStream = "ISTHMUS_RESULTS"
	jobsSubject   = "isthmus.jobs."
	resultSubject = "isthmus.results."
	deadSubject   = "isthmus.dead."
	headerJob     = "Isthmus-Job"
	headerLabel   = "Isthmus-Label"
	headerDigest  = "Isthmus-Digest"
	// dedupWindow is how long a stream remembers an ID it took.
	dedupWindow = 2 * time.Hour
	// resultsAge is how long results and dead letters are kept.
	resultsAge = 24 * time.Hour
)

// ErrJobDead is returned for a batch one of whose jobs went to the dead-letter subject.
var ErrJobDead = errors.New("job dead-lettered")

// DeadLetter is what a worker publishes for a job that failed its last try.
type DeadLetter struct {
	Job        string `json:"job"`
	Circuit    string `json:"circuit"`
	Label      string `json:"label"`
	Error      string `json:"error"`
	Deliveries int    `json:"deliveries"`
	Worker     string `json:"worker"`
}

// Queue is a connection to a JetStream server holding the job graph's streams. It is an
// Executor: Run publishes jobs and gathers their results.
type Queue struct {
	NC      *nats.Conn
	JS      jetstream.JetStream
	Log     *slog.Logger
	Metrics *Metrics
	// Report is how often Run logs the jobs it still waits for (default 30 s).
	Report time.Duration
}

// Connect connects to the server at url without credentials (the embedded server) and
// makes sure the job graph's streams exist.
func Connect(ctx context.Context, url, name string, log *slog.Logger) (*Queue, error) {
	return ConnectWith(ctx, url, name, log, Auth{})
}

// ConnectWith connects to the server at url as auth says and makes sure the job graph's
// streams exist.
func ConnectWith(ctx context.Context, url, name string, log *slog.Logger, auth Auth) (*Queue, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	authOpts, err := auth.options()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected, reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrl()) })}, authOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("NATS %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	for _, cfg := range []jetstream.StreamConfig{
		{Name: JobsStream, Subjects: []string{jobsSubject + ">"}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: dedupWindow},
		{Name: ResultsStream, Subjects: []string{resultSubject + ">", deadSubject + ">"}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, Duplicates: dedupWindow, MaxAge: resultsAge},
	} {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			nc.Close()
			return nil, fmt.Errorf("NATS %s: stream %s: %w (is JetStream enabled on the server?)", url, cfg.Name, err)
		}
	}
	return &Queue{NC: nc, JS: js, Log: log}, nil
}

// Close closes the connection.
func (q *Queue) Close() { q.NC.Close() }

// Run publishes the jobs not already proven and waits for every result. A job found proven
// (a result under its ID) is not proven again. It fails on the first dead letter of a job
// it published, naming the job; results still to come stay on the stream for a later Run.
func (q *Queue) Run(ctx context.Context, jobs []Job, done func(int, JobResult)) ([]JobResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	byID := map[string][]int{}
	var subjects []string
	for i, j := range jobs {
		if _, ok := byID[j.ID]; !ok {
			subjects = append(subjects, resultSubject+j.ID, deadSubject+j.ID)
		}
		byID[j.ID] = append(byID[j.ID], i)
	}
	// Listen first, then look for what is already there: nothing falls in between.
	cons, err := q.JS.OrderedConsumer(ctx, ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer it.Stop()
	go func() { <-ctx.Done(); it.Stop() }()

	results := make([]JobResult, len(jobs))
	finished := map[string]bool{}
	deadBefore := map[string]uint64{}
	finish := func(id string, r JobResult) {
		if finished[id] {
			return
		}
		finished[id] = true
		for _, i := range byID[id] {
			results[i] = r
			if done != nil {
				done(i, r)
			}
		}
	}
	stream, err := q.JS.Stream(ctx, ResultsStream)
	if err != nil {
		return nil, err
	}
	jobStream, err := q.JS.Stream(ctx, JobsStream)
	if err != nil {
		return nil, err
	}
	// queuedAt is where each job this run published sits on the jobs stream: while it is
	// there, the job is not dead, whatever a dead letter says.
	queuedAt := map[string]uint64{}
	publish := func(j Job, try string) error {
		msg := &nats.Msg{Subject: jobsSubject + j.Circuit, Data: j.Witness, Header: nats.Header{}}
		msg.Header.Set(headerJob, j.ID)
		msg.Header.Set(headerLabel, j.Label)
		if j.Digest != "" {
			msg.Header.Set(headerDigest, j.Digest)
		}
		ack, err := q.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(j.ID+"/"+try))
		if err != nil {
			if errors.Is(err, nats.ErrMaxPayload) {
				return fmt.Errorf("%s: a witness of %d bytes is over the server's maximum payload of %d: raise max_payload", j.Label, len(j.Witness), q.NC.MaxPayload())
			}
			return fmt.Errorf("publish %s: %w", j.Label, err)
		}
		queuedAt[j.ID] = ack.Sequence
		q.Metrics.queued(j.Circuit)
		return nil
	}
	// take finishes a job with a result that passes the job's check. A result that fails it
	// (forged, or made under keys the circuit no longer has) is deleted, so that no later run
	// finds it, and the job is published again: a new try, whatever the stream's
	// deduplication remembers of the earlier ones.
	take := func(id string, r JobResult, seq uint64) (bool, error) {
		j := jobs[byID[id][0]]
		if j.Check != nil {
			if err := j.Check(r); err != nil {
				q.Log.Warn("result refused and deleted: the job is proven again", "job", j.Label, "circuit", j.Circuit, "worker", r.Worker, "err", err)
				if err := stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
					return false, fmt.Errorf("delete the refused result of %s: %w", j.Label, err)
				}
				if at, ok := queuedAt[id]; ok {
					if _, err := jobStream.GetMsg(ctx, at); err == nil {
						return false, nil // still queued: a worker will prove it
					}
				}
				return false, publish(j, fmt.Sprintf("refused-%d", seq))
			}
		}
		finish(id, r)
		return true, nil
	}
	for _, j := range jobs {
		if _, ok := deadBefore[j.ID]; ok || finished[j.ID] {
			continue
		}
		var seq uint64
		if m, err := stream.GetLastMsgForSubject(ctx, deadSubject+j.ID); err == nil {
			seq = m.Sequence
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, err
		}
		deadBefore[j.ID] = seq
		if m, err := stream.GetLastMsgForSubject(ctx, resultSubject+j.ID); err == nil {
			r, err := decodeResult(m.Data)
			if err == nil {
				r.Reused = true
				if _, err := take(j.ID, r, m.Sequence); err != nil {
					return nil, err
				}
				continue
			}
			// Not a result at all: deleted, and the job published as if none were there.
			q.Log.Warn("malformed result: deleted", "job", j.Label, "err", err)
			if err := stream.DeleteMsg(ctx, m.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return nil, err
			}
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, err
		}
		// The publish ID names the job and its last dead letter: a job published again after
		// a dead letter is a new try, not a repeat.
		if err := publish(j, fmt.Sprint(seq)); err != nil {
			return nil, err
		}
	}
	report := q.Report
	if report == 0 {
		report = 30 * time.Second
	}
	for len(finished) < len(byID) {
		m, err := it.Next(jetstream.NextMaxWait(report))
		if errors.Is(err, nats.ErrTimeout) {
			q.reportWaiting(ctx, jobs, finished)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("results: %w", err)
		}
		subject := m.Subject()
		switch {
		case strings.HasPrefix(subject, resultSubject):
			id := strings.TrimPrefix(subject, resultSubject)
			meta, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			if finished[id] {
				continue
			}
			r, err := decodeResult(m.Data())
			if err != nil {
				q.Log.Warn("malformed result: deleted", "job", id, "err", err)
				if err := stream.DeleteMsg(ctx, meta.Sequence.Stream); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
					return nil, err
				}
				continue
			}
			if _, err := take(id, r, meta.Sequence.Stream); err != nil {
				return nil, err
			}
		case strings.HasPrefix(subject, deadSubject):
			id := strings.TrimPrefix(subject, deadSubject)
			meta, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			if finished[id] || meta.Sequence.Stream <= deadBefore[id] {
				continue
			}
			// A worker removes a job from the queue as it gives up on it: a dead letter of a
			// job still queued is not a worker's, and aborts nothing.
			if q.stillQueued(ctx, jobStream, queuedAt[id]) {
				q.Log.Warn("dead letter of a job still on the queue: refused and deleted", "job", jobs[byID[id][0]].Label)
				if err := stream.DeleteMsg(ctx, meta.Sequence.Stream); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
					return nil, err
				}
				continue
			}
			var d DeadLetter
			if err := json.Unmarshal(m.Data(), &d); err != nil {
				return nil, fmt.Errorf("dead letter of %s: %w", id, err)
			}
			return nil, fmt.Errorf("%w: %s (circuit %s, job %s) after %d tries, last on worker %s: %s",
				ErrJobDead, d.Label, d.Circuit, id[:16], d.Deliveries, d.Worker, d.Error)
		}
	}
	return results, nil
}

// deadLetterGrace is how long a dead letter's job may stay on the queue after the letter: a
// worker publishes the letter, then removes the job.
const deadLetterGrace = 5 * time.Second

// stillQueued reports whether the job message at seq is still on the jobs stream after the
// grace a worker's removal takes.
func (q *Queue) stillQueued(ctx context.Context, jobs jetstream.Stream, seq uint64) bool {
	if seq == 0 {
		return false
	}
	deadline := time.Now().Add(deadLetterGrace)
	for {
		_, err := jobs.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return false
		}
		if err != nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err == nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reportWaiting logs the jobs not yet proven by circuit, and warns of a circuit no worker
// has ever served.
func (q *Queue) reportWaiting(ctx context.Context, jobs []Job, finished map[string]bool) {
	waiting := map[string]int{}
	for _, j := range jobs {
		if !finished[j.ID] {
			waiting[j.Circuit]++
		}
	}
	var names []string
	for c := range waiting {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		if _, err := q.JS.Consumer(ctx, JobsStream, c); errors.Is(err, jetstream.ErrConsumerNotFound) {
			q.Log.Warn("no worker has taken jobs of this circuit: start one with its keys ('isthmus worker')", "circuit", c, "waiting", waiting[c])
			continue
		}
		q.Log.Info("waiting for proofs", "circuit", c, "jobs", waiting[c])
	}
}

func decodeResult(data []byte) (JobResult, error) {
	var r JobResult
	if err := json.Unmarshal(data, &r); err != nil {
		return JobResult{}, fmt.Errorf("%w: job result: %v", ErrFile, err)
	}
	return r, nil
}

// Embedded is a NATS server with JetStream run inside this process, on loopback: the
// default engine of one machine.
type Embedded struct {
	srv *server.Server
	URL string
}

// StartEmbedded starts a NATS server with JetStream file storage in dir, listening on a free
// loopback port.
func StartEmbedded(dir string) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("JetStream directory: %w", err)
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "isthmus-embedded", Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: dir, MaxPayload: 8 << 20, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS: not ready after 30 s (JetStream directory %s)", dir)
	}
	return &Embedded{srv: srv, URL: srv.ClientURL()}, nil
}

// Close stops the server.
func (e *Embedded) Close() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
