package benchreport

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/isthmus-xyz/isthmus/contracts
cpu: Test CPU
BenchmarkGasSend-2                 	       1	  28915283 ns/op	     40562 gas/send
BenchmarkGasDeliver/N=1-2          	       1	  22390232 ns/op	     52419 gas/msg
BenchmarkGasDeliver/N=16-2         	       1	  25390232 ns/op	      9241 gas/msg
BenchmarkGasDeliver/N=256-2        	       1	  95390232 ns/op	      6542 gas/msg
BenchmarkGasDeliver/N=1024-2       	       1	 395390232 ns/op	      6407 gas/msg
PASS
pkg: github.com/isthmus-xyz/isthmus/aggregator
BenchmarkProve/pipeline-1x4x3-2    	       1	        1 ns/op	       231.5 prove-s	        10.75 peak-GiB
BenchmarkPipeline/stage=statement-leaf-2	1	1 ns/op	        21.2 s
BenchmarkPipeline/stage=wrap-2     	       1	        1 ns/op	       110.9 s
BenchmarkGasSubmitBatch-2          	       1	        1 ns/op	    373436 gas/batch
ok  	github.com/isthmus-xyz/isthmus/aggregator	400.1s
`

func TestParseAndWrite(t *testing.T) {
	results, err := Parse(strings.NewReader(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 9 {
		t.Fatalf("%d results, want 9: %+v", len(results), results)
	}
	r := &Report{Mode: "test", Results: results, Machine: machine()}
	if v, ok := r.find("BenchmarkGasDeliver/N=256", "gas/msg"); !ok || v != 6542 {
		t.Fatalf("N=256: %v %v", v, ok)
	}
	if v, ok := r.find("BenchmarkProve/pipeline-1x4x3", "peak-GiB"); !ok || v != 10.75 {
		t.Fatalf("peak: %v %v", v, ok)
	}
	if results[0].Package != "github.com/isthmus-xyz/isthmus/contracts" || results[5].Package != "github.com/isthmus-xyz/isthmus/aggregator" {
		t.Fatalf("packages: %q, %q", results[0].Package, results[5].Package)
	}
	dir := t.TempDir()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"40,562 gas/send", "6,542 gas/msg", "231.50 prove-s", "gas-per-message.svg", "pipeline-stages.svg", "EIP-1108"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "gas-per-message.svg"))
	if err != nil || !strings.Contains(string(svg), "6,407") || !strings.HasPrefix(string(svg), "<svg") {
		t.Fatalf("gas plot: %v", err)
	}
	// The whole cost per message at N = 1024: 6,407 + 373,436 / 1024 = 6,772 (rounded).
	if !strings.Contains(string(svg), "6,772") || !strings.Contains(string(md), "373,436 gas of submitBatch (the pipeline's batch)") {
		t.Error("the gas plot lacks deliver + submitBatch/N")
	}
	stages, err := os.ReadFile(filepath.Join(dir, "pipeline-stages.svg"))
	if err != nil || !strings.Contains(string(stages), "110.9 s") {
		t.Fatalf("stage plot: %v", err)
	}
	var back Report
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil || json.Unmarshal(data, &back) != nil || len(back.Results) != 9 {
		t.Fatalf("report.json: %v", err)
	}
}

// written writes r into a folder and returns its files' contents by name.
func written(t *testing.T, r *Report) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

// In quick mode the whole cost per message takes submitBatch through a verifier of the wrap's
// shape, and says so.
func TestQuickReportPlotsTheWholeCost(t *testing.T) {
	quick := strings.SplitN(sample, "PASS\n", 2)[0] + `pkg: github.com/isthmus-xyz/isthmus/verifier
BenchmarkGasSubmitBatchWrapShape-2	1	3098502684 ns/op	374275 first-gas/batch	357199 gas/batch
`
	results, err := Parse(strings.NewReader(quick), nil)
	if err != nil {
		t.Fatal(err)
	}
	files := written(t, &Report{Mode: "quick", Results: results, Machine: machine()})
	md, svg := files["report.md"], files["gas-per-message.svg"]
	// 6,407 + 357,199 / 1024 = 6,756 (rounded); at N = 1, 52,419 + 357,199 = 409,618.
	for _, want := range []string{"6,756", "409,618"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the quick gas plot lacks %s", want)
		}
	}
	if !strings.Contains(md, "a verifier of the wrap's shape") {
		t.Error("the quick report does not say where submitBatch's gas comes from")
	}
}

func TestParseRefusesABadFigure(t *testing.T) {
	if _, err := Parse(strings.NewReader("BenchmarkX-2 1 12 ns/op lots gas/msg\n"), nil); err == nil {
		t.Fatal("a non-numeric figure parsed")
	}
}
