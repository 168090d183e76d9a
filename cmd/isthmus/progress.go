package main

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/isthmus-xyz/isthmus/aggregator"
	"github.com/isthmus-xyz/isthmus/prover"
	"github.com/isthmus-xyz/isthmus/verifier"
)

// progress shows setup and proving progress bars on stderr when it is a terminal; logs say
// the same in any case.
type progress struct {
	w       io.Writer
	visible bool
	proving *progressbar.ProgressBar
}

func newProgress() *progress {
	return &progress{w: os.Stderr, visible: term.IsTerminal(int(os.Stderr.Fd()))}
}

// setup is a prover.Store OnSetup hook: a bar over the setup's estimated seconds.
func (p *progress) setup(circuit string, expect time.Duration) func() {
	if !p.visible {
		return func() {}
	}
	total := int64(max(expect.Seconds(), 1))
	bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription("setup "+circuit+" (estimated)"), progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth())
	stop := make(chan struct{})
	go func() {
		start := time.Now()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				bar.Set64(min(int64(time.Since(start).Seconds()), total-1))
			}
		}
	}()
	return func() {
		close(stop)
		bar.Finish()
		io.WriteString(p.w, "\n")
	}
}

// prove is an aggregator.Prover Progress hook: a bar over the batch's proofs.
func (p *progress) prove(stage string, done, total int) {
	if !p.visible {
		return
	}
	if p.proving == nil || done == 1 {
		p.proving = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth())
	}
	p.proving.Describe("proving: " + stage)
	p.proving.Set(done)
	if done == total {
		p.proving.Finish()
		io.WriteString(p.w, "\n")
		p.proving = nil
	}
}

// newPipelineProver loads a pipeline's circuits and keys with progress bars on setup and
// proving.
func newPipelineProver(st *prover.Store, cfg aggregator.Config, log *slog.Logger) (*aggregator.Prover, error) {
	if ms, err := st.List(); err == nil {
		stored := map[string]bool{}
		for _, m := range ms {
			stored[m.Circuit] = true
		}
		var missing []string
		names, err := (&aggregator.CircuitSet{Config: cfg}).Names()
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if !stored[name] {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			log.Warn("making Groth16 keys on first use, each logged with its estimate (all of the default config's: about 105 minutes on 2 cores); later runs load them in seconds", "circuits", missing, "dir", st.Dir)
		}
	}
	pg := newProgress()
	st.OnSetup = pg.setup
	p, err := aggregator.NewProver(st, cfg, log)
	if err != nil {
		return nil, err
	}
	p.Progress = pg.prove
	return p, nil
}

// proveForInbox returns a proven batch (Prover.Prove's or ProvePlanned's results) with the
// proof as the Inbox takes it.
func proveForInbox(bp *aggregator.BatchProof, err error) (*aggregator.BatchProof, []byte, error) {
	if err != nil {
		return nil, nil, err
	}
	calldata, err := verifier.Calldata(bp.Proof)
	if err != nil {
		return nil, nil, err
	}
	return bp, calldata, nil
}
