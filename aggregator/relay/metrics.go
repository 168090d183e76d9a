package relay

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the relay's counters, a Prometheus collector.
type Metrics struct {
	mu             sync.Mutex
	Batches        float64 // batches accepted by the Inbox
	Delivered      float64 // messages delivered
	Failed         float64 // of which the recipient reverted (stored for retry)
	ProvingSeconds float64
	Gas            float64 // gas of submitBatch, deliver and deriveCheckpoint transactions
	Derived        float64 // segment ends derived from a later proven count
	Errors         float64 // failed steps (retried)
	// StorageFallbacks counts counts proven by storage because their receipt was over the
	// receipt leaf's bounds.
	StorageFallbacks float64
}

func (m *Metrics) add(field *float64, v float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	*field += v
	m.mu.Unlock()
}

// metricDescs are the relay's counters, in the order of metricValues.
var metricDescs = []*prometheus.Desc{
	prometheus.NewDesc("isthmus_relay_batches_total", "Batches the Inbox accepted.", nil, nil),
	prometheus.NewDesc("isthmus_relay_messages_delivered_total", "Messages delivered.", nil, nil),
	prometheus.NewDesc("isthmus_relay_messages_failed_total", "Delivered messages whose recipient reverted (stored for retry).", nil, nil),
	prometheus.NewDesc("isthmus_relay_proving_seconds_total", "Seconds spent proving batches.", nil, nil),
	prometheus.NewDesc("isthmus_relay_gas_used_total", "Gas of the relay's submitBatch, deliver and deriveCheckpoint transactions.", nil, nil),
	prometheus.NewDesc("isthmus_relay_step_errors_total", "Relay steps that failed and were retried.", nil, nil),
	prometheus.NewDesc("isthmus_relay_storage_fallbacks_total", "Lane counts proven by storage because their receipt was over the receipt leaf's bounds.", nil, nil),
	prometheus.NewDesc("isthmus_relay_checkpoints_derived_total", "Segment ends derived on the destination from a later proven count.", nil, nil),
}

// Describe is prometheus.Collector's.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range metricDescs {
		ch <- d
	}
}

// Collect is prometheus.Collector's: the counters' current values.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	values := []float64{m.Batches, m.Delivered, m.Failed, m.ProvingSeconds, m.Gas, m.Errors, m.StorageFallbacks, m.Derived}
	m.mu.Unlock()
	for i, d := range metricDescs {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, values[i])
	}
}

// Handler serves the counters alone, in Prometheus' text format (a relay registers them
// with its other metrics instead).
func (m *Metrics) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
