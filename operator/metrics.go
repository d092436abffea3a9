package operator

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the operator's Prometheus metrics, on their own registry (no
// global state). A nil *Metrics records nothing.
type Metrics struct {
	Registry *prometheus.Registry

	reconcileDuration prometheus.Histogram
	passes            *prometheus.CounterVec
	appsSync          *prometheus.GaugeVec
	appsHealth        *prometheus.GaugeVec
	applyErrors       prometheus.Counter
	gitRevision       *prometheus.GaugeVec
	invalidRevision   prometheus.Gauge
	events            *prometheus.CounterVec
	leader            prometheus.Gauge
	lastRevision      string
}

// NewMetrics registers the operator's metrics, and the Go runtime and
// process collectors, on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		reconcileDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pacer_reconcile_duration_seconds", Help: "Duration of reconcile passes (read, plan, apply).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_reconcile_passes_total", Help: "Reconcile passes by result (ok, error).",
		}, []string{"result"}),
		appsSync: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_apps_sync_status", Help: "Managed apps by sync status.",
		}, []string{"status"}),
		appsHealth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_apps_health_status", Help: "Managed apps by health.",
		}, []string{"health"}),
		applyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pacer_apply_errors_total", Help: "App writes Marathon did not accept.",
		}),
		gitRevision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_git_revision_info", Help: "The spec revision in force (value 1).",
		}, []string{"revision"}),
		invalidRevision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_invalid_revision", Help: "1 while the newest spec revision fails validation.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_marathon_events_received_total", Help: "Marathon events received, by type (gap: stream reconnected).",
		}, []string{"type"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_leader", Help: "1 while this instance is the leader that writes to Marathon.",
		}),
	}
	m.Registry.MustRegister(m.reconcileDuration, m.passes, m.appsSync, m.appsHealth, m.applyErrors,
		m.gitRevision, m.invalidRevision, m.events, m.leader,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

func (m *Metrics) observePass(d time.Duration, err bool) {
	if m == nil {
		return
	}
	m.reconcileDuration.Observe(d.Seconds())
	result := "ok"
	if err {
		result = "error"
	}
	m.passes.WithLabelValues(result).Inc()
}

func (m *Metrics) observeStatus(s Summary) {
	if m == nil {
		return
	}
	for k, v := range s.Sync {
		m.appsSync.WithLabelValues(string(k)).Set(float64(v))
	}
	for k, v := range s.Health {
		m.appsHealth.WithLabelValues(string(k)).Set(float64(v))
	}
}

func (m *Metrics) applyError() {
	if m != nil {
		m.applyErrors.Inc()
	}
}

// revision is called by the loop goroutine only.
func (m *Metrics) revision(id string, invalid bool) {
	if m == nil {
		return
	}
	if id != m.lastRevision {
		m.gitRevision.Reset()
		m.gitRevision.WithLabelValues(id).Set(1)
		m.lastRevision = id
	}
	v := 0.0
	if invalid {
		v = 1
	}
	m.invalidRevision.Set(v)
}

func (m *Metrics) event(typ string) {
	if m != nil {
		m.events.WithLabelValues(typ).Inc()
	}
}

func (m *Metrics) setLeader(leader bool) {
	if m == nil {
		return
	}
	v := 0.0
	if leader {
		v = 1
	}
	m.leader.Set(v)
}
