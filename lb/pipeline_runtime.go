package lb

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
)

// writeOnlySink is a Sink that can put a config in place without validating
// or reloading it (FileSink), for changes made through the runtime API.
type writeOnlySink interface {
	WriteOnly(ctx context.Context, cfg []byte) (bool, error)
}

// reloadTimer is a Sink that says how long its last reload ran (FileSink).
type reloadTimer interface {
	LastReloadDuration() time.Duration
}

// slottedRenderer is a renderer whose backends have a fixed number of
// server slots (HAProxyRenderer with a stats socket): an empty server list
// is not structure.
type slottedRenderer interface {
	slotted() bool
}

func (r HAProxyRenderer) slotted() bool { return r.Options.StatsSocket != "" }

func slotted(r Renderer) bool {
	s, ok := r.(slottedRenderer)
	return ok && s.slotted()
}

// dynamicNginx returns the options of r when it is the nginx renderer with
// dynamic upstreams (RenderOptions.NginxAPI), else nil.
func dynamicNginx(r Renderer) *RenderOptions {
	if n, ok := r.(NginxRenderer); ok && n.Options.NginxAPI != "" {
		return &n.Options
	}
	return nil
}

// upstreamSyncer is a RuntimeUpdater that must bring the running load
// balancer's server lists up to date before a config is written and
// reloaded (NginxRuntime.Sync).
type upstreamSyncer interface {
	Sync(ctx context.Context, backends []Backend) error
}

// render renders backends, with the line map when the renderer keeps one.
func render(r Renderer, backends []Backend) ([]byte, LineMap, error) {
	if m, ok := r.(MappedRenderer); ok {
		return m.RenderMapped(backends)
	}
	cfg, err := r.Render(backends)
	return cfg, LineMap{}, err
}

// applyRuntime tries to apply a server-only change (the caller checked the
// structure) through the runtime API, then writes the file without
// validating or reloading it. It reports false when the pass must take the
// validate-and-reload path: no runtime updater, the running state unknown,
// or the update failed (then the running state is unknown until reloaded).
func (p *Pipeline) applyRuntime(ctx context.Context, cfg []byte, backends []Backend, st *Status) bool {
	ws, ok := p.Sink.(writeOnlySink)
	if p.Runtime == nil || !ok || p.running == nil {
		return false
	}
	log := logr.FromContextOrDiscard(ctx)
	start := p.clock().Now()
	n, err := p.Runtime.Update(ctx, p.running, backends)
	took := p.clock().Now().Sub(start)
	if err != nil {
		p.Metrics.observeRuntime(false, took)
		p.running = nil
		if errors.Is(err, ErrNotRuntime) {
			log.V(1).Info("Change needs a reload", "reason", err.Error())
		} else {
			log.Error(err, "Runtime API update failed, validating and reloading instead")
		}
		return false
	}
	p.Metrics.observeRuntime(true, took)
	p.running = backends
	st.Runtime, st.RuntimeCommands = true, n
	st.Changed, st.Err = ws.WriteOnly(ctx, cfg)
	if st.Err == nil {
		p.inFile = backends
	}
	return true
}

// track records what the file and the running load balancer hold after a
// pass that took the validate-and-reload path, and names the app behind a
// validation error.
func (p *Pipeline) track(backends []Backend, st *Status, lines LineMap) {
	var ve *ValidationError
	switch {
	case st.Err == nil && (!st.Changed || p.reloads()):
		// Unchanged: the load balancer runs the file in place (the state
		// this pipeline, or an earlier run, left).
		p.inFile, p.running = backends, backends
	case st.Err == nil:
		p.inFile, p.running = backends, nil
	case st.ReloadFailed():
		p.inFile, p.running = backends, nil
	case errors.As(st.Err, &ve):
		// The running config is untouched.
		ve.AppID = lines.AppAt(ve.Line)
		st.InvalidApp = ve.AppID
	}
	if rt, ok := p.Sink.(reloadTimer); ok && st.Changed && (st.Err == nil || st.ReloadFailed()) && p.reloads() {
		st.ReloadTook = rt.LastReloadDuration()
	}
}

// reloads reports whether the sink runs a reload command.
func (p *Pipeline) reloads() bool {
	rs, ok := p.Sink.(reloadingSink)
	return ok && rs.Reloads()
}
