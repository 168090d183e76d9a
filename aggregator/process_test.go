package aggregator

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isthmus-xyz/isthmus/prover"
)

// The test binary doubles as a worker process: run with ISTHMUS_TEST_WORKER set, it serves
// the circuits of a universal config (ISTHMUS_TEST_WORKER_CONFIG: "test", make test's; or
// "devnet") to the NATS server at ISTHMUS_TEST_NATS with the keys of ISTHMUS_KEY_DIR, as
// `isthmus worker` does.
func TestMain(m *testing.M) {
	if name := os.Getenv("ISTHMUS_TEST_WORKER"); name != "" {
		os.Exit(workerProcess(name))
	}
	os.Exit(m.Run())
}

func workerProcess(name string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	dir, err := prover.DefaultDir()
	if err != nil {
		log.Error("key store", "err", err)
		return 1
	}
	cfg := testUniversal()
	if os.Getenv("ISTHMUS_TEST_WORKER_CONFIG") == "devnet" {
		cfg = DefaultConfig()
	}
	err = ServeWorker(ctx, WorkerConfig{Name: name, URL: os.Getenv("ISTHMUS_TEST_NATS"), Store: &prover.Store{Dir: dir, Log: log},
		Config: cfg, AckWait: 10 * time.Second, Log: log})
	if err != nil {
		log.Error("worker", "err", err)
		return 1
	}
	return 0
}

// workerProcess is a worker running in a child process, its log lines on lines.
type childWorker struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

// stop ends the worker as an operator does (SIGTERM: its job, if any, is handed back).
func (w *childWorker) stop() {
	w.cmd.Process.Signal(syscall.SIGTERM)
	<-w.done
}

// startWorkerProcess starts this test binary as a worker process named name, serving the
// universal config named config ("test" or "devnet") with the keys of keyDir, logging into
// the test's log.
func startWorkerProcess(t testing.TB, ctx context.Context, name, url, keyDir, config string) *childWorker {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ISTHMUS_TEST_WORKER="+name, "ISTHMUS_TEST_NATS="+url, "ISTHMUS_KEY_DIR="+keyDir, "ISTHMUS_TEST_WORKER_CONFIG="+config)
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = os.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &childWorker{cmd: cmd, lines: make(chan string, 4096), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			t.Logf("[%s] %s", name, sc.Text())
			select {
			case w.lines <- sc.Text():
			default:
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-w.done
	})
	return w
}

// badKeyDir is a key directory with the keys of store, except that circuit's verifying
// key, one byte of which is flipped (the other files are links).
func badKeyDir(t testing.TB, store *prover.Store, circuit string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(store.Dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, e := range entries {
		from, to := filepath.Join(store.Dir, e.Name()), filepath.Join(dir, e.Name())
		if !strings.HasPrefix(e.Name(), circuit+"-") {
			if err := os.Symlink(from, to); err != nil {
				t.Fatal(err)
			}
			continue
		}
		bad++
		if err := os.Mkdir(to, 0o755); err != nil {
			t.Fatal(err)
		}
		files, err := os.ReadDir(from)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Name() != "vk.bin" {
				if err := os.Symlink(filepath.Join(from, f.Name()), filepath.Join(to, f.Name())); err != nil {
					t.Fatal(err)
				}
				continue
			}
			data, err := os.ReadFile(filepath.Join(from, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 1
			if err := os.WriteFile(filepath.Join(to, f.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if bad == 0 {
		t.Fatalf("no keys of %s in %s", circuit, store.Dir)
	}
	return dir
}
