package aggregator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/isthmus-xyz/isthmus/prover"
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

// queueTest is a test's context (ended with it), the square circuit's keys, an embedded
// server and a prover whose jobs go through it.
func queueTest(t *testing.T) (context.Context, *prover.Store, sourceDouble, *Queue, *runner) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	store, src := squareKeys(t)
	_, q := queueEnv(t, ctx)
	return ctx, store, src, q, &runner{log: slog.New(slog.DiscardHandler), Exec: q}
}

// provenAfter checks that the batch behind done is still running after wait (what was forged
// did not end it), then starts a worker and checks that the batch is proven.
func provenAfter(t *testing.T, ctx context.Context, q *Queue, store *prover.Store, src sourceDouble, done <-chan error, wait time.Duration, what string) {
	t.Helper()
	time.Sleep(wait)
	select {
	case err := <-done:
		t.Fatalf("the batch ended on %s: %v", what, err)
	default:
	}
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// proofOf is a valid result of x² proven in this process.
func proofOf(t *testing.T, ctx context.Context, store *prover.Store, src sourceDouble, x int) JobResult {
	t.Helper()
	rs, err := NewLocal(src, store, nil).Run(ctx, []Job{squareJob(t, src, x, x*x)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
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
// a valid proof of another job, bytes that are no proof, bytes that are no result, a result
// published before the batch and one published while its job waits. Each batch is proven.
func TestHardeningQueueForgedResultsAreProvenAgain(t *testing.T) {
	ctx, store, src, q, p := queueTest(t)

	other := proofOf(t, ctx, store, src, 4)
	// Before the batch: a valid proof of 4² under 3²'s ID, and garbage under 5²'s.
	forgedA := publishResult(t, ctx, q, squareJob(t, src, 3, 9).ID, other)
	forgedB := publishResult(t, ctx, q, squareJob(t, src, 5, 25).ID, JobResult{ProofFile: ProofFile{Proof: []byte{1, 2, 3}}, Worker: "attacker"})
	// And bytes that are no result at all under 7²'s.
	ack, err := q.JS.Publish(ctx, resultSubject+squareJob(t, src, 7, 49).ID, []byte("not JSON"))
	if err != nil {
		t.Fatal(err)
	}
	forgedC := ack.Sequence
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	out := &BatchProof{}
	if _, err := p.run(ctx, out, squareTasks(src, 3, 5, 7)); err != nil {
		t.Fatalf("the batch with forged results waiting: %v", err)
	}
	for _, j := range out.Jobs {
		if j.Reused || j.Worker != "w1" {
			t.Fatalf("job %s: %+v, want proven by w1", j.Label, j)
		}
	}
	if !gone(t, ctx, q, forgedA) || !gone(t, ctx, q, forgedB) || !gone(t, ctx, q, forgedC) {
		t.Fatal("a refused result is still on the stream for the next batch to find")
	}
}

// While the job waits on the queue (no worker yet), a forged result arrives: it is refused
// and deleted, the job stays queued, and the worker that comes later proves it.
func TestHardeningQueueForgedResultWhileQueued(t *testing.T) {
	ctx, store, src, q, p := queueTest(t)
	other := proofOf(t, ctx, store, src, 4)
	done := make(chan error, 1)
	go func() {
		_, err := p.run(ctx, &BatchProof{}, squareTasks(src, 6))
		done <- err
	}()
	id := squareJob(t, src, 6, 36).ID
	waitQueued(t, ctx, q, 1)
	forged := publishResult(t, ctx, q, id, other)
	provenAfter(t, ctx, q, store, src, done, 500*time.Millisecond, "a forged result")
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
	ctx, store, src, q, p := queueTest(t)
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
	provenAfter(t, ctx, q, store, src, done, deadLetterGrace+time.Second, "a forged dead letter")
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
	old := proofOf(t, ctx, oldStore, oldSrc, 8)
	publishResult(t, ctx, q, squareJob(t, oldSrc, 8, 64).ID, old)
	forged := publishResult(t, ctx, q, squareJob(t, src, 8, 64).ID, old)
	startWorker(t, ctx, newWorker(t, "w1", q, store, src, nil))
	p := &runner{log: slog.New(slog.DiscardHandler), Exec: q}
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

// tlsFiles writes a self-signed certificate for 127.0.0.1 and its key, returning their paths
// and the server's TLS config.
func tlsFiles(t *testing.T) (certFile, keyFile string, cfg *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "isthmus test NATS"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

// Finding 3, the server: an external server with credentials. Here one that requires TLS and
// nkey authentication: refused without the seed, with another seed, and without the CA that
// signs its certificate; with them, a dispatcher and a worker prove a batch through it.
func TestHardeningQueueExternalServerWithCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	certFile, _, tlsCfg := tlsFiles(t)
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := user.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := user.Seed()
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	otherFile := filepath.Join(t.TempDir(), "other.nk")
	if err := os.WriteFile(otherFile, otherSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true, Nkeys: []*server.NkeyUser{{Nkey: pub}},
		TLS: true, TLSConfig: tlsCfg, TLSTimeout: 5})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(srv.Shutdown)
	url := srv.ClientURL()
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	for name, a := range map[string]Auth{
		"no credentials":              {CA: certFile},
		"another user's seed":         {NKey: otherFile, CA: certFile},
		"no CA for the certificate":   {NKey: seedFile},
		"a user and password unknown": {User: "isthmus", Password: "guess", CA: certFile},
	} {
		if q, err := ConnectWith(ctx, url, "refused", log, a); err == nil {
			q.Close()
			t.Errorf("%s: connected", name)
		}
	}
	if _, err := ConnectWith(ctx, url, "x", log, Auth{NKey: seedFile, User: "u"}); !errors.Is(err, ErrAuthConfig) {
		t.Errorf("two methods at once: %v", err)
	}

	auth := Auth{NKey: seedFile, CA: certFile}
	q, err := ConnectWith(ctx, url, "test dispatcher", log, auth)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	wq, err := ConnectWith(ctx, url, "test worker", log, auth)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wq.Close)
	store, src := squareKeys(t)
	startWorker(t, ctx, newWorker(t, "w1", wq, store, src, nil))
	p := &runner{log: slog.New(slog.DiscardHandler), Exec: q}
	out := &BatchProof{}
	if _, err := p.run(ctx, out, squareTasks(src, 9, 10)); err != nil {
		t.Fatal(err)
	}
	if len(out.Jobs) != 2 || out.Jobs[0].Worker != "w1" {
		t.Fatalf("jobs %+v", out.Jobs)
	}
}

// The security review's finding 4: a worker took keys from the object store against a
// manifest from the same store, and their trust (development or not) from that manifest's
// own word, so anyone who could write to the server could seat keys that `keys list` showed
// as ceremony keys. Keys are now fetched only as pinned out of band: refused without a pin,
// refused when the store holds other keys for the circuit, and stored with the pin's trust.
func TestHardeningFetchedKeysArePinned(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, _ := squareKeys(t)
	attacker, _ := squareKeys(t) // another setup of the same circuit
	_, q := queueEnv(t, ctx)
	pins, err := store.Pins(nil)
	if err != nil {
		t.Fatal(err)
	}
	pinFile := filepath.Join(t.TempDir(), "pins.json")
	if err := prover.WritePins(pinFile, pins); err != nil {
		t.Fatal(err)
	}
	if pins, err = prover.ReadPins(pinFile); err != nil || !pins[square].Development {
		t.Fatalf("pins read back: %+v %v", pins, err)
	}

	// The attacker publishes its keys, their manifest claiming ceremony keys.
	am, err := attacker.CheckCircuit(square)
	if err != nil {
		t.Fatal(err)
	}
	forged := *am
	forged.Development = false
	data, _ := json.Marshal(forged)
	if err := os.WriteFile(filepath.Join(attacker.Folder(am), prover.ManifestFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := q.PublishKeys(ctx, attacker, []string{square}); err != nil {
		t.Fatal(err)
	}
	fresh := func() *prover.Store { return &prover.Store{Dir: t.TempDir()} }
	if err := q.FetchKeys(ctx, fresh(), []string{square}, nil); !errors.Is(err, prover.ErrUnpinned) {
		t.Fatalf("fetched without a pin: %v", err)
	}
	if err := q.FetchKeys(ctx, fresh(), []string{square}, pins); !errors.Is(err, prover.ErrUnpinned) {
		t.Fatalf("only the attacker's keys on the server, fetched: %v", err)
	}
	if err := q.FetchKeys(ctx, fresh(), []string{square}, prover.Pins{square: prover.Pin{Circuit: square, Digest: strings.Repeat("ab", 32)}}); err == nil || !strings.Contains(err.Error(), "not in the object store") {
		t.Fatalf("a pin of keys the server lacks: %v", err)
	}

	// The honest keys published over the attacker's (same folder: the same circuit), their
	// manifest on the server rewritten to claim ceremony keys: fetched (the files match the
	// pin), stored as the development keys they are.
	if err := q.PublishKeys(ctx, store, []string{square}); err != nil {
		t.Fatal(err)
	}
	m, err := store.CheckCircuit(square)
	if err != nil {
		t.Fatal(err)
	}
	claim := *m
	claim.Development = false
	data, _ = json.Marshal(claim)
	obs, err := q.JS.ObjectStore(ctx, KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	manifest := prover.FolderName(m.Circuit, m.Digest) + "/" + prover.ManifestFile
	if _, err := obs.PutBytes(ctx, manifest, data); err != nil {
		t.Fatal(err)
	}
	got := fresh()
	if err := q.FetchKeys(ctx, got, []string{square}, pins); err != nil {
		t.Fatal(err)
	}
	gm, err := got.CheckCircuit(square)
	if err != nil {
		t.Fatal(err)
	}
	if !gm.Development {
		t.Fatal("fetched keys took the server manifest's word: not development keys")
	}

	// A manifest on the server naming other files than the pin's: refused.
	claim.Files = map[string]prover.FileSum{}
	for f, sum := range m.Files {
		claim.Files[f] = sum
	}
	vk := claim.Files["vk.bin"]
	vk.SHA256 = strings.Repeat("0", 64)
	claim.Files["vk.bin"] = vk
	data, _ = json.Marshal(claim)
	if _, err := obs.PutBytes(ctx, manifest, data); err != nil {
		t.Fatal(err)
	}
	if err := q.FetchKeys(ctx, fresh(), []string{square}, pins); !errors.Is(err, prover.ErrUnpinned) {
		t.Fatalf("a manifest that differs from the pin: %v", err)
	}
}
