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
	reloadFailed   prometheus.Gauge
	backends       prometheus.Gauge
	servers        prometheus.Gauge
	backendServers *prometheus.GaugeVec
	lag            prometheus.Histogram
	apply          prometheus.Histogram
	reload         prometheus.Histogram
	runtime        *prometheus.CounterVec
	runtimeTook    prometheus.Histogram
	appTasks       *prometheus.GaugeVec
	invalidApp     *prometheus.GaugeVec
	lastBackends   map[string]bool
	lastApps       map[string]bool
	lastInvalidApp string
}

// MaxAppSeries bounds pacer_lb_app_tasks: one series per app in the config
// (the realm's or groups' apps, deleted when the app leaves), and beyond
// this many apps the rest are summed under app="_other".
const MaxAppSeries = 5000

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
		reloadFailed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_lb_reload_failed", Help: "1 while the config in place is not the one the load balancer runs: its reload failed or was not confirmed (LBReloadFailed); retried with backoff.",
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
		reload: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pacer_lb_reload_duration_seconds", Help: "Time the reload command ran (retries included).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		runtime: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_lb_runtime_updates_total",
			Help: "Server-list changes applied through the load balancer's runtime API without a reload, by result (ok; error: fell back to validate and reload).",
		}, []string{"result"}),
		runtimeTook: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pacer_lb_runtime_update_duration_seconds", Help: "Time to apply one change through the runtime API.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		appTasks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_lb_app_tasks",
			Help: "Tasks served per app (distinct tasks over its ports). One series per app in the config, at most MaxAppSeries (then app=\"_other\").",
		}, []string{"app"}),
		invalidApp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_lb_config_invalid_app",
			Help: "1 for the app whose rendered lines the validator refused, while the config is refused (at most one series).",
		}, []string{"app"}),
		lastBackends: map[string]bool{},
		lastApps:     map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.renders, m.writes, m.reloads, m.invalid, m.configInvalid, m.reloadFailed,
		m.backends, m.servers, m.backendServers, m.lag, m.apply, m.reload, m.runtime, m.runtimeTook,
		m.appTasks, m.invalidApp} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register lb metrics: %w", err)
		}
	}
	// Series exist from the start, so rate() and alerts see zeros.
	for _, r := range []string{"ok", "error"} {
		m.renders.WithLabelValues(r)
		m.reloads.WithLabelValues(r)
	}
	m.runtime.WithLabelValues("ok")
	m.runtime.WithLabelValues("error")
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
			m.reload.Observe(st.ReloadTook.Seconds())
		}
		if st.Lag > 0 {
			m.lag.Observe(st.Lag.Seconds())
		}
	}
	m.configInvalid.Set(boolGauge(st.ConfigInvalid))
	m.reloadFailed.Set(boolGauge(st.ReloadFailure != nil))
	m.observeInvalidApp(st)
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
	m.observeAppTasks(backends)
}

// observeAppTasks sets pacer_lb_app_tasks and deletes the series of apps
// gone from the config.
func (m *Metrics) observeAppTasks(backends []Backend) {
	tasks := make(map[string]map[string]bool)
	for _, b := range backends {
		app := b.AppID
		if _, ok := tasks[app]; !ok && len(tasks) >= MaxAppSeries {
			app = "_other"
		}
		if tasks[app] == nil {
			tasks[app] = map[string]bool{}
		}
		for _, s := range b.Servers {
			tasks[app][b.AppID+"\x00"+slotKey(s)] = true
		}
	}
	seen := make(map[string]bool, len(tasks))
	for app, ts := range tasks {
		seen[app] = true
		m.appTasks.WithLabelValues(app).Set(float64(len(ts)))
	}
	for app := range m.lastApps {
		if !seen[app] {
			m.appTasks.DeleteLabelValues(app)
		}
	}
	m.lastApps = seen
}

// observeInvalidApp keeps pacer_lb_config_invalid_app on the app the
// validator refused, while the config is refused.
func (m *Metrics) observeInvalidApp(st Status) {
	app := ""
	if st.ConfigInvalid {
		app = st.InvalidApp
	}
	if app == m.lastInvalidApp {
		return
	}
	if m.lastInvalidApp != "" {
		m.invalidApp.DeleteLabelValues(m.lastInvalidApp)
	}
	if app != "" {
		m.invalidApp.WithLabelValues(app).Set(1)
	}
	m.lastInvalidApp = app
}

// observeRuntime records one runtime API update.
func (m *Metrics) observeRuntime(ok bool, took time.Duration) {
	if m == nil {
		return
	}
	m.runtime.WithLabelValues(okOrError(ok)).Inc()
	if ok {
		m.runtimeTook.Observe(took.Seconds())
	}
}

// observeReloadFailing sets pacer_lb_reload_failed.
func (m *Metrics) observeReloadFailing(failing bool) {
	if m == nil {
		return
	}
	m.reloadFailed.Set(boolGauge(failing))
}

// observeReloadDuration records a reload retried on its own.
func (m *Metrics) observeReloadDuration(took time.Duration) {
	if m == nil {
		return
	}
	m.reload.Observe(took.Seconds())
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
