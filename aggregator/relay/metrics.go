package relay

import (
	"fmt"
	"net/http"
	"sync"
)

// Metrics are the relay's counters, served in Prometheus' text format.
type Metrics struct {
	mu             sync.Mutex
	Batches        float64 // batches accepted by the Inbox
	Delivered      float64 // messages delivered
	Failed         float64 // of which the recipient reverted (stored for retry)
	ProvingSeconds float64
	Gas            float64 // gas of submitBatch and deliver transactions
	Errors         float64 // failed steps (retried)
}

func (m *Metrics) add(field *float64, v float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	*field += v
	m.mu.Unlock()
}

// Handler serves the counters at any path.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		for _, c := range []struct {
			name, help string
			v          float64
		}{
			{"isthmus_relay_batches_total", "Batches the Inbox accepted.", m.Batches},
			{"isthmus_relay_messages_delivered_total", "Messages delivered.", m.Delivered},
			{"isthmus_relay_messages_failed_total", "Delivered messages whose recipient reverted (stored for retry).", m.Failed},
			{"isthmus_relay_proving_seconds_total", "Seconds spent proving batches.", m.ProvingSeconds},
			{"isthmus_relay_gas_used_total", "Gas of the relay's submitBatch and deliver transactions.", m.Gas},
			{"isthmus_relay_step_errors_total", "Relay steps that failed and were retried.", m.Errors},
		} {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %g\n", c.name, c.help, c.name, c.name, c.v)
		}
	})
}
