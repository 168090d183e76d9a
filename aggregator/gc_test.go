package aggregator

import (
	"runtime/debug"
	"testing"
)

// A proof runs at ProvingGCPercent and restores the collector's previous target after; a GOGC
// the operator set is left alone.
func TestProvingGC(t *testing.T) {
	t.Setenv("GOGC", "")
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	restore := provingGC()
	if got := debug.SetGCPercent(ProvingGCPercent); got != ProvingGCPercent {
		t.Fatalf("GC target while proving %d, want %d", got, ProvingGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Fatalf("GC target after the proof %d, want the previous 150", got)
	}
	t.Setenv("GOGC", "200")
	restore = provingGC()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Fatalf("GC target while proving with GOGC set %d, want it untouched (150)", got)
	}
	restore()
}
