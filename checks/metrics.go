package checks

import (
	"github.com/prometheus/client_golang/prometheus"

	"pacer.dev/pacer/specs"
)

// Metrics are the Prometheus metrics of checks run in this process.
type Metrics struct {
	state    *prometheus.GaugeVec
	duration *prometheus.HistogramVec
	runs     *prometheus.CounterVec
	lag      prometheus.Histogram
	perf     *prometheus.GaugeVec
}

// NewMetrics registers the check metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pacer_check_state",
			Help: "Hard state of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Nagios exit codes)."}, []string{"check", "kind", "environment"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pacer_check_duration_seconds",
			Help: "How long each check run took.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 8)}, []string{"check", "kind"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pacer_check_runs_total",
			Help: "Check runs by result state."}, []string{"check", "kind", "state"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pacer_check_lag_seconds",
			Help: "How late check runs started against their schedule.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
		perf: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pacer_check_perfdata",
			Help: "Latest perfdata values of each check, in the plugin's unit (uom label)."}, []string{"check", "label", "uom"}),
	}
	for _, c := range []prometheus.Collector{m.state, m.duration, m.runs, m.lag, m.perf} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records one result of c; hard is the check's hard state after it.
func (m *Metrics) Observe(c *specs.Check, r Result, hard State) {
	m.state.WithLabelValues(c.ID, c.Kind, c.Environment).Set(float64(hard))
	m.duration.WithLabelValues(c.ID, c.Kind).Observe(r.Duration.Seconds())
	m.runs.WithLabelValues(c.ID, c.Kind, r.State.String()).Inc()
	for _, p := range r.Perfdata {
		m.perf.WithLabelValues(c.ID, p.Label, p.UOM).Set(p.Value)
	}
}

// ObserveLag records how late a run started.
func (m *Metrics) ObserveLag(seconds float64) { m.lag.Observe(seconds) }

// SetState records the hard state and latest perfdata of a check whose
// result was collected (an agent's), without a run of its own here.
func (m *Metrics) SetState(st CheckState) {
	m.state.WithLabelValues(st.ID, st.Kind, st.Environment).Set(float64(st.Status.Hard))
	for _, p := range st.Status.Last.Perfdata {
		m.perf.WithLabelValues(st.ID, p.Label, p.UOM).Set(p.Value)
	}
}
