package aggregator

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the job graph's Prometheus metrics, by circuit: jobs queued (by a
// dispatcher), running, done, redelivered (handed to a worker again: the last one died or
// gave up) and dead-lettered (by workers), and proving seconds. A nil *Metrics records
// nothing.
type Metrics struct {
	Queued, Done, Redelivered, Dead *prometheus.CounterVec
	Running                         *prometheus.GaugeVec
	Proving                         *prometheus.HistogramVec
}

// NewMetrics registers the job graph's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "isthmus", Name: name, Help: help}, []string{"circuit"})
		reg.MustRegister(c)
		return c
	}
	m := &Metrics{
		Queued:      counter("jobs_queued_total", "Proof jobs published to the queue."),
		Done:        counter("jobs_done_total", "Proof jobs proven and their results published."),
		Redelivered: counter("jobs_redelivered_total", "Proof jobs taken again after a worker died or gave up."),
		Dead:        counter("jobs_dead_lettered_total", "Proof jobs sent to the dead-letter subject after their last try."),
		Running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "isthmus", Name: "jobs_running",
			Help: "Proof jobs being proven."}, []string{"circuit"}),
		Proving: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "isthmus", Name: "proving_seconds",
			Help:    "Seconds to prove one job, by circuit.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 12)}, []string{"circuit"}),
	}
	reg.MustRegister(m.Running, m.Proving)
	return m
}

func (m *Metrics) queued(circuit string) {
	if m != nil {
		m.Queued.WithLabelValues(circuit).Inc()
	}
}

func (m *Metrics) started(circuit string, redelivered bool) {
	if m == nil {
		return
	}
	m.Running.WithLabelValues(circuit).Inc()
	if redelivered {
		m.Redelivered.WithLabelValues(circuit).Inc()
	}
}

func (m *Metrics) ended(circuit string, r *JobResult, dead bool) {
	if m == nil {
		return
	}
	m.Running.WithLabelValues(circuit).Dec()
	switch {
	case r != nil:
		m.Done.WithLabelValues(circuit).Inc()
		m.Proving.WithLabelValues(circuit).Observe(r.Seconds)
	case dead:
		m.Dead.WithLabelValues(circuit).Inc()
	}
}
