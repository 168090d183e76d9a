package prover

import (
	"os"
	"strconv"
	"strings"
)

// PeakGiB is this process's peak resident memory so far (Linux VmHWM), 0 where unknown.
func PeakGiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb / (1 << 20)
		}
	}
	return 0
}

// ResetPeak restarts the peak measured by PeakGiB (Linux: clear_refs 5), so that a stage's
// own peak can be read; it reports whether the kernel allowed it.
func ResetPeak() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
