package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/prover"
)

func newWorkerCmd(out io.Writer) *cobra.Command {
	o := &workerOptions{}
	cmd := &cobra.Command{
		Use: "worker",
		Example: `  isthmus worker --nats nats://prover:4222
  isthmus worker --nats nats://prover:4222 --fetch-keys --key-pins pins.json --metrics 127.0.0.1:9465`,
		Short: "Prove jobs from a NATS JetStream server: scale proving out to more machines",
		Long: `Connects to the NATS server at --nats (JetStream enabled), takes the proof jobs
of the circuits it holds keys for (every circuit of its config, or --circuits), proves them
one at a time and publishes their results. 'isthmus relay', 'prove' and 'devnet' with the
same --nats URL dispatch the jobs and gather the results; without --nats they run their
own embedded server and workers.

Keys come from the key store (--key-dir), which may be a directory the workers share, or
with --fetch-keys from the server's object store, where 'isthmus keys publish' put them:
only as --key-pins pins them (a file 'isthmus keys pins' writes where the keys were made),
since anyone who can write to the server can put keys there.
A worker checks its keys against the key store's manifest at start and refuses, by name,
a circuit whose files do not match; it compiles a circuit on its first job. While it
proves it tells the server so; a worker that dies leaves its job to another after
--ack-wait. A job that fails --max-tries times goes to the dead-letter subject with its
error. SIGINT or SIGTERM stops it after the proof under way is published; a second
signal quits at once (that job then goes to another worker after --ack-wait).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.queue.url == "" {
				return usageError(errors.New("--nats: the URL of the NATS server the jobs are on"))
			}
			if o.fetchKeys != (o.pins != "") {
				return usageError(errors.New("--fetch-keys and --key-pins go together: fetched keys are taken only as pinned"))
			}
			return o.run(cmd.Context(), out)
		},
	}
	f := cmd.Flags()
	host, _ := os.Hostname()
	f.StringVar(&o.name, "name", fmt.Sprintf("%s-%d", host, os.Getpid()), "worker name, in results and logs")
	f.StringSliceVar(&o.circuits, "circuits", nil, "circuits to serve (default: every circuit of the config)")
	f.StringVar(&o.metrics, "metrics", "", "address serving Prometheus metrics (empty: none)")
	f.BoolVar(&o.fetchKeys, "fetch-keys", false, "fetch the keys the key store lacks from the server's object store ('isthmus keys publish'), as --key-pins pins them")
	f.StringVar(&o.pins, "key-pins", "", "the digests and checksums of the keys to fetch, from where they were made ('isthmus keys pins'): fetched keys must match them and take their trust from them")
	o.queue.register(cmd, false)
	o.store.registerCircuits(cmd)
	return cmd
}

type workerOptions struct {
	name      string
	fetchKeys bool
	pins      string
	circuits  []string
	metrics   string
	queue     queueFlags
	store     storeFlag
}

func (o *workerOptions) run(parent context.Context, out io.Writer) error {
	ctx, stop := interruptible(parent)
	defer stop()
	fail := func(err error) error { return &exitError{code: exitFailure, err: err} }
	st, err := o.store.store()
	if err != nil {
		return fail(err)
	}
	cfg, err := o.store.config()
	if err != nil {
		return err
	}
	reg := newRegistry()
	closeMetrics, err := serveMetrics(o.metrics, reg, slog.Default())
	if err != nil {
		return fail(err)
	}
	defer closeMetrics()
	auth, err := o.queue.auth.auth(o.queue.url)
	if err != nil {
		return err
	}
	var pins prover.Pins
	if o.pins != "" {
		if pins, err = prover.ReadPins(o.pins); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(out, "worker %s: jobs from %s, keys in %s\n", o.name, o.queue.url, st.Dir)
	err = aggregator.ServeWorker(ctx, aggregator.WorkerConfig{Name: o.name, URL: o.queue.url, Auth: auth, Store: st, Config: cfg,
		Circuits: o.circuits, AckWait: o.queue.ackWait, MaxTries: o.queue.maxTries, FetchKeys: o.fetchKeys, Pins: pins, Log: slog.Default(),
		Metrics: aggregator.NewMetrics(reg)})
	if err != nil {
		return fail(err)
	}
	return nil
}

// queueFlags choose where a command's proof jobs go: a NATS server by URL, or (by default)
// an embedded one with in-process workers.
type queueFlags struct {
	url      string
	workers  int
	ackWait  time.Duration
	maxTries int
	auth     natsAuthFlags
}

// natsAuthFlags are how a command authenticates to an external NATS server (--nats) and
// checks its TLS certificate.
type natsAuthFlags struct {
	a aggregator.Auth
}

func (n *natsAuthFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&n.a.Creds, "nats-creds", "", "NATS user credentials file (JWT and nkey seed: NATS accounts)")
	f.StringVar(&n.a.NKey, "nats-nkey", "", "file holding the NATS user's nkey seed (nkey authentication)")
	f.StringVar(&n.a.User, "nats-user", "", "NATS user (user/password authorization; the password from $ISTHMUS_NATS_PASSWORD)")
	f.StringVar(&n.a.CA, "nats-ca", "", "PEM roots of the NATS server's TLS certificate (requires TLS)")
	f.StringVar(&n.a.Cert, "nats-cert", "", "client certificate for mutual TLS with the NATS server")
	f.StringVar(&n.a.Key, "nats-key", "", "client key for mutual TLS with the NATS server")
}

// auth is the flags' Auth for a server at url; authentication flags without --nats are
// misuse (the embedded server takes none).
func (n *natsAuthFlags) auth(url string) (aggregator.Auth, error) {
	a := n.a
	a.Password = os.Getenv("ISTHMUS_NATS_PASSWORD")
	if url == "" && a != (aggregator.Auth{Password: a.Password}) {
		return aggregator.Auth{}, usageError(errors.New("--nats-creds, --nats-nkey, --nats-user, --nats-ca, --nats-cert and --nats-key are for an external server: give its --nats URL"))
	}
	if url == "" {
		return aggregator.Auth{}, nil
	}
	return a, nil
}

func (q *queueFlags) register(cmd *cobra.Command, dispatcher bool) {
	f := cmd.Flags()
	if dispatcher {
		f.StringVar(&q.url, "nats", "", "NATS server (JetStream) whose workers prove the jobs (default: an embedded server and in-process workers)")
		f.IntVar(&q.workers, "workers", -1, "in-process workers (default: 1 with the embedded server, none with --nats)")
	} else {
		f.StringVar(&q.url, "nats", "", "NATS server (JetStream) the jobs are on")
	}
	q.auth.register(cmd)
	f.DurationVar(&q.ackWait, "ack-wait", 30*time.Second, "a job whose worker shows no progress for this long goes to another worker")
	f.IntVar(&q.maxTries, "max-tries", 3, "tries of a failing job before it goes to the dead-letter subject")
}

// attach has p's jobs proven through the queue: the NATS server at --nats, or an embedded
// one with its JetStream files in dir. It starts the in-process workers (which prove with
// p's compiled circuits) and returns what stops them all.
func (q *queueFlags) attach(ctx context.Context, p *aggregator.Prover, dir string, reg prometheus.Registerer, log *slog.Logger) (func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	url, workers := q.url, q.workers
	auth, err := q.auth.auth(url)
	if err != nil {
		return nil, err
	}
	if url == "" {
		srv, err := aggregator.StartEmbedded(dir)
		if err != nil {
			return nil, err
		}
		closers = append(closers, srv.Close)
		url = srv.URL
		log.Info("embedded NATS JetStream server", "url", url, "dir", dir)
		if workers < 0 {
			workers = 1
		}
	} else if workers < 0 {
		workers = 0
	}
	queue, err := aggregator.ConnectWith(ctx, url, "isthmus dispatcher", log, auth)
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers, queue.Close)
	metrics := aggregator.NewMetrics(reg)
	queue.Metrics = metrics
	if workers == 0 {
		p.Dispatch(queue) // the workers are elsewhere: drop the compiled circuits
		return closeAll, nil
	}
	p.Exec = queue
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range workers {
		w := &aggregator.Worker{Name: fmt.Sprintf("in-process-%d", i+1), Queue: queue, Source: p, Store: p.Store(),
			Circuits: p.Names(), AckWait: q.ackWait, MaxTries: q.maxTries, Log: log, Metrics: metrics}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(wctx); err != nil {
				log.Error("in-process worker stopped", "worker", w.Name, "err", err)
			}
		}()
	}
	closers = append(closers, func() { cancel(); wg.Wait() })
	return closeAll, nil
}

// jetStreamDir is where an embedded server keeps its files for a command without a state
// directory: a new temporary folder, removed by the returned function.
func jetStreamDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "isthmus-jetstream-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "jetstream"), func() { os.RemoveAll(dir) }, nil
}

// newRegistry is a Prometheus registry with the process and Go runtime collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return reg
}

// serveMetrics serves reg's metrics on addr (nothing when addr is empty).
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}

// dispatcher loads the pipeline's circuits and keys (as prover does) and has their jobs
// proven through the queue of q: its embedded server keeps its files in dir (a temporary
// folder when dir is empty). The returned function stops the queue and its workers.
func (s *storeFlag) dispatcher(ctx context.Context, q *queueFlags, dir string, reg prometheus.Registerer) (*aggregator.Prover, func(), error) {
	p, err := s.prover()
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {}
	if dir == "" && q.url == "" {
		if dir, cleanup, err = jetStreamDir(); err != nil {
			return nil, nil, err
		}
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	stop, err := q.attach(ctx, p, dir, reg, slog.Default())
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return p, func() { stop(); cleanup() }, nil
}
