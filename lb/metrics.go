package lb

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus metrics. They are registered on the
// registry the caller passes (pacer lb's own, or pacer run's), never on a
// global one. A nil *Metrics records nothing.
type Metrics struct {
	renders        *prometheus.CounterVec
	writes         *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	invalid        *prometheus.CounterVec
	configInvalid  prometheus.Gauge
	backends       prometheus.Gauge
	servers        prometheus.Gauge
	backendServers *prometheus.GaugeVec
	lag            prometheus.Histogram
	apply          prometheus.Histogram
	lastBackends   map[string]bool
}

// NewMetrics creates the pipeline metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_lb_renders_total", Help: "Config renders by result (ok, error: the renderer or template failed).",
		}, []string{"result"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_lb_config_writes_total", Help: "New configs put in place, by whether the validate command ran (false: server-only fast path).",
		}, []string{"validated"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_lb_reloads_total", Help: "Reload commands run, by result (ok, error), retries included.",
		}, []string{"result"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_lb_invalid_configs_total", Help: "Configs refused, by stage (render, validate); the last good config kept serving.",
		}, []string{"stage"}),
		configInvalid: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_lb_config_invalid", Help: "1 while the newest render is refused (LBConfigInvalid) and an older config serves.",
		}),
		backends: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_lb_backends", Help: "Backends (app ports) in the rendered config.",
		}),
		servers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_lb_servers", Help: "Serving tasks (server lines) in the rendered config.",
		}),
		backendServers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_lb_backend_servers", Help: "Serving tasks per backend (app id and port index).",
		}, []string{"app", "port"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pacer_lb_event_to_write_seconds",
			Help:    "Time from the first Marathon change of a burst to the config written and reloaded.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
		}),
		apply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pacer_lb_apply_duration_seconds", Help: "Time to write, validate and reload one config.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		lastBackends: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.renders, m.writes, m.reloads, m.invalid, m.configInvalid,
		m.backends, m.servers, m.backendServers, m.lag, m.apply} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register lb metrics: %w", err)
		}
	}
	// Series exist from the start, so rate() and alerts see zeros.
	for _, r := range []string{"ok", "error"} {
		m.renders.WithLabelValues(r)
		m.reloads.WithLabelValues(r)
	}
	m.writes.WithLabelValues("true")
	m.writes.WithLabelValues("false")
	m.invalid.WithLabelValues("render")
	m.invalid.WithLabelValues("validate")
	return m, nil
}

// observePass records one pass of the pipeline; applyTook is the sink's time.
func (m *Metrics) observePass(st Status, backends []Backend, applyTook time.Duration) {
	if m == nil {
		return
	}
	var re *RenderError
	renderFailed := errors.As(st.Err, &re)
	if renderFailed {
		m.renders.WithLabelValues("error").Inc()
		m.invalid.WithLabelValues("render").Inc()
	} else {
		m.renders.WithLabelValues("ok").Inc()
		m.apply.Observe(applyTook.Seconds())
	}
	switch {
	case st.ConfigInvalid && !renderFailed:
		m.invalid.WithLabelValues("validate").Inc()
	case st.Changed:
		m.writes.WithLabelValues(fmt.Sprint(st.Validated)).Inc()
		if st.Reloaded || st.ReloadFailed() {
			m.reloads.WithLabelValues(okOrError(!st.ReloadFailed())).Inc()
		}
		if st.Lag > 0 {
			m.lag.Observe(st.Lag.Seconds())
		}
	}
	m.configInvalid.Set(boolGauge(st.ConfigInvalid))
	if renderFailed {
		return // backends describe a config that was not written
	}
	m.backends.Set(float64(st.Backends))
	m.servers.Set(float64(st.Servers))
	seen := make(map[string]bool, len(backends))
	for _, b := range backends {
		port := fmt.Sprint(b.PortIndex)
		seen[b.AppID+"\x00"+port] = true
		m.backendServers.WithLabelValues(b.AppID, port).Set(float64(len(b.Servers)))
	}
	for k := range m.lastBackends {
		if !seen[k] {
			app, port, _ := strings.Cut(k, "\x00")
			m.backendServers.DeleteLabelValues(app, port)
		}
	}
	m.lastBackends = seen
}

// observeRetry records a reload retried on its own.
func (m *Metrics) observeRetry(ok bool) {
	if m == nil {
		return
	}
	m.reloads.WithLabelValues(okOrError(ok)).Inc()
}

func okOrError(ok bool) string {
	if ok {
		return "ok"
	}
	return "error"
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
