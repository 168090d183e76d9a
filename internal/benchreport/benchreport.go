// Package benchreport runs the project's Go benchmarks and writes what they measured as a
// report: Markdown and JSON, with SVG plots. Every figure comes from the run.
package benchreport

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Result is one benchmark's figures, by unit.
type Result struct {
	Package string             `json:"package"`
	Name    string             `json:"name"`
	Metrics map[string]float64 `json:"metrics"`
}

// Machine is what the figures were measured on.
type Machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	MemoryGiB float64 `json:"memoryGiB"`
	GoVersion string  `json:"goVersion"`
	OS        string  `json:"os"`
}

// Report is a benchmark run.
type Report struct {
	Mode     string        `json:"mode"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Machine  Machine       `json:"machine"`
	Results  []Result      `json:"results"`
}

// Plan is which benchmarks a mode runs: a go test package pattern and -bench expression each.
type Plan struct {
	Packages []string
	Bench    string
}

// Plans: quick counts constraints and measures gas (minutes); full adds setup, proving and
// the end-to-end pipeline (keys from the store; their first setup takes ~50 minutes), and
// the sync-committee pieces at mainnet's size (their keys made each run: ~1 h), the hand-over's new pieces
// (~25 min of setup the first time), and the
// ceremony's steps on each curve (~7 min).
var Plans = map[string][]Plan{
	"quick": {
		{[]string{"./contracts"}, "BenchmarkGas"},
		{[]string{"./chain/layerzero", "./chain/hyperlane"}, "BenchmarkGas"},
		{[]string{"./verifier"}, "BenchmarkGasSubmitBatchWrapShape"},
		{[]string{"./circuits"}, "BenchmarkConstraints"},
	},
	"full": {
		{[]string{"./contracts"}, "BenchmarkGas"},
		{[]string{"./chain/layerzero", "./chain/hyperlane"}, "BenchmarkGas"},
		{[]string{"./verifier"}, "BenchmarkGasSubmitBatchWrapShape"},
		{[]string{"./circuits"}, "BenchmarkConstraints"},
		{[]string{"./circuits/leaf"}, "BenchmarkSetup|BenchmarkProve|BenchmarkLaneClaim|BenchmarkReceiptChunks"},
		{[]string{"./circuits/synccommittee"}, "BenchmarkSyncCommittee"},
		{[]string{"./circuits"}, "BenchmarkSyncHandOver"},
		{[]string{"./aggregator"}, "BenchmarkKeys|BenchmarkProve|BenchmarkGasSubmitBatch|BenchmarkPipeline|BenchmarkQueueOverhead|BenchmarkWorkers"},
		{[]string{"./prover/ceremony"}, "BenchmarkCeremony"},
	},
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)

// Parse reads `go test -bench` output and returns its results; progress, if not nil, gets
// every line as it comes.
func Parse(r io.Reader, progress io.Writer) ([]Result, error) {
	var out []Result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if progress != nil {
			fmt.Fprintln(progress, line)
		}
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[4])
		res := Result{Package: pkg, Name: m[1], Metrics: map[string]float64{}}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: figure %q: %w", m[1], fields[i], err)
			}
			if fields[i+1] != "ns/op" {
				res.Metrics[fields[i+1]] = v
			}
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Run runs the plans of mode with the go tool in the repository at root, streaming go test's
// output to progress.
func Run(ctx context.Context, root, mode string, progress io.Writer) (*Report, error) {
	plans, ok := Plans[mode]
	if !ok {
		return nil, fmt.Errorf("unknown mode %q: want quick or full", mode)
	}
	rep := &Report{Mode: mode, Started: time.Now().UTC(), Machine: machine()}
	for _, p := range plans {
		args := append([]string{"test"}, p.Packages...)
		args = append(args, "-run", "^$", "-bench", p.Bench, "-benchtime", "1x", "-timeout", "3h")
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Stderr = progress
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "== go %s\n", strings.Join(args, " "))
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("go test: %w", err)
		}
		results, perr := Parse(stdout, progress)
		if err := cmd.Wait(); err != nil {
			return nil, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
		if perr != nil {
			return nil, perr
		}
		rep.Results = append(rep.Results, results...)
	}
	rep.Duration = time.Since(rep.Started).Round(time.Second)
	return rep, nil
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				m.MemoryGiB = kb / (1 << 20)
			}
		}
	}
	return m
}

// find returns the figure of unit of the benchmark named name, if the run has it.
func (r *Report) find(name, unit string) (float64, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			v, ok := res.Metrics[unit]
			return v, ok
		}
	}
	return 0, false
}

// Reference is a gas figure from a primary source, drawn on the gas plot: per message, or
// per batch (PerBatch: drawn shared by the batch's N messages).
type Reference struct {
	Label    string
	Gas      float64
	PerBatch bool
	Source   string
}

// References are the floors the specifications set, from the EIPs that price them: the
// pairing check every Groth16 verification makes (four pairs: 45,000 + 4 × 34,000 gas,
// EIP-1108), shared by a batch's N messages, and a transaction's base cost (21,000,
// Ethereum's yellow paper), which a system that takes each message in a transaction of its own
// pays per message. Other systems' receive costs join when measured on their own contracts.
var References = []Reference{
	{"Groth16 pairing check, shared by N (EIP-1108)", 45_000 + 4*34_000, true, "https://eips.ethereum.org/EIPS/eip-1108"},
	{"one transaction a message (its base cost)", 21_000, false, "https://ethereum.github.io/yellowpaper/paper.pdf (G_transaction)"},
}

// submitBatchGas is the gas of one submitBatch: the real pipeline's (BenchmarkGasSubmitBatch)
// where it ran, else that of a verifier of the wrap's shape (BenchmarkGasSubmitBatchWrapShape,
// the same verification work, run in quick mode too); what names the source.
func (r *Report) submitBatchGas() (gas float64, what string, ok bool) {
	if v, ok := r.find("BenchmarkGasSubmitBatch", "gas/batch"); ok {
		return v, "the pipeline's batch", true
	}
	if v, ok := r.find("BenchmarkGasSubmitBatchWrapShape", "gas/batch"); ok {
		return v, "a batch through a verifier of the wrap's shape", true
	}
	return 0, "", false
}

// Write writes report.json, report.md and the plots into dir.
func Write(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	plots := map[string]string{}
	if svg, ok := r.gasPlot(); ok {
		plots["gas-per-message.svg"] = svg
	}
	if svg, ok := r.stagePlot(); ok {
		plots["pipeline-stages.svg"] = svg
	}
	for name, svg := range plots {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(svg), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.markdown(plots)), 0o644)
}

func (r *Report) markdown(plots map[string]string) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Isthmus benchmarks (%s)\n\n", r.Mode)
	fmt.Fprintf(&b, "Run %s, %s. Machine: %s, %d cores, %.1f GiB, %s, %s.\n\n",
		r.Started.Format(time.RFC3339), r.Duration, m.CPU, m.Cores, m.MemoryGiB, m.GoVersion, m.OS)
	fmt.Fprintf(&b, "Every figure below was measured by this run (`go test -bench`, one iteration each).\n\n")
	type section struct {
		title string
		match func(Result) bool
	}
	sections := []section{
		{"Gas", func(x Result) bool { return strings.HasPrefix(x.Name, "BenchmarkGas") }},
		{"Constraints (R1CS)", func(x Result) bool { return strings.HasPrefix(x.Name, "BenchmarkConstraints") }},
		{"Setup and proving", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkSetup") || strings.HasPrefix(x.Name, "BenchmarkProve")
		}},
		{"One lane claim at mainnet depth, by storage and by receipt (its leaf proofs: their number, constraints, proving seconds summed)", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkLaneClaim")
		}},
		{"Receipts in pieces, mainnet block 21,925,176 (a log's leaf proofs: chunks, data windows, tail; their constraints, proving seconds summed, peak, seconds per KiB of receipt leaf)", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkReceiptChunks")
		}},
		{"Ethereum's sync committee at 512 members (setup and proving, each piece's keys made by the run)", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkSyncCommittee")
		}},
		{"Mainnet's hand-over over several batches (a run's leaf proofs, the hand-over's own: their constraints, proving seconds summed, peak; each new kind's setup)", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkSyncHandOver")
		}},
		{"Ceremony steps for a circuit filling a 2^13 domain (seconds; file sizes; phase 1 and phase-2 initialisation grow linearly or a little faster with the domain)", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkCeremony")
		}},
		{"Keys (setup-s: recorded when the key was made)", func(x Result) bool { return strings.HasPrefix(x.Name, "BenchmarkKeys") }},
		{"Pipeline stages and latency (seconds)", func(x Result) bool { return strings.HasPrefix(x.Name, "BenchmarkPipeline") }},
		{"Workers on the job queue (s: measured wall time; model-s: ModelWall for that many workers of their own machine; ms/job: queue overhead)", func(x Result) bool {
			return strings.HasPrefix(x.Name, "BenchmarkWorkers") || strings.HasPrefix(x.Name, "BenchmarkQueueOverhead")
		}},
	}
	for _, s := range sections {
		var rows []Result
		for _, x := range r.Results {
			if s.match(x) {
				rows = append(rows, x)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n| benchmark | package | figures |\n|---|---|---|\n", s.title)
		for _, x := range rows {
			units := make([]string, 0, len(x.Metrics))
			for u := range x.Metrics {
				units = append(units, u)
			}
			sort.Strings(units)
			var figs []string
			for _, u := range units {
				figs = append(figs, fmt.Sprintf("%s %s", format(x.Metrics[u]), u))
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", x.Name, strings.TrimPrefix(x.Package, "github.com/isthmus-xyz/isthmus/"), strings.Join(figs, ", "))
		}
		b.WriteString("\n")
	}
	if _, ok := plots["gas-per-message.svg"]; ok {
		b.WriteString("## Gas per delivered message\n\n![gas per message](gas-per-message.svg)\n\n")
		if batch, what, ok := r.submitBatchGas(); ok {
			fmt.Fprintf(&b, "The green line is the destination's whole cost per message: deliver, plus the %s gas of submitBatch (%s) shared by its N messages.\n\n", format(batch), what)
		}
		b.WriteString("Reference lines (floors from the specifications, not measured here):\n\n")
		for _, ref := range References {
			per := "per message"
			if ref.PerBatch {
				per = "per batch, drawn divided by N"
			}
			fmt.Fprintf(&b, "- %s: %s gas %s, %s\n", ref.Label, format(ref.Gas), per, ref.Source)
		}
		b.WriteString("\n")
	}
	if _, ok := plots["pipeline-stages.svg"]; ok {
		b.WriteString("## Time per pipeline stage\n\n![pipeline stages](pipeline-stages.svg)\n")
	}
	return b.String()
}

func format(v float64) string {
	if v == float64(int64(v)) {
		s := strconv.FormatInt(int64(v), 10)
		var out []byte
		for i := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				out = append(out, ',')
			}
			out = append(out, s[i])
		}
		return string(out)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
