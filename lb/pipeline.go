package lb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// RenderError: the renderer (usually a user template) failed; nothing was
// written and the previous config still serves.
type RenderError struct{ Err error }

func (e *RenderError) Error() string { return "render: " + e.Err.Error() }

// Unwrap returns the renderer's error.
func (e *RenderError) Unwrap() error { return e.Err }

// Status is the outcome of one pass of the pipeline, for logs, metrics and
// the operator's conditions.
type Status struct {
	// At is when the pass ended.
	At time.Time
	// Changed is true when a new config was put in place.
	Changed bool
	// Validated is true when the validate command ran on the new config;
	// false on the server-only fast path or when nothing changed.
	Validated bool
	// Backends and Servers count what the config serves.
	Backends, Servers int
	// Problems are the apps (or ports) left out or conflicting.
	Problems []Problem
	// Lag is the time from the first change of the burst to the end of the
	// pass (event → config written and reloaded); zero for passes not
	// started by a change.
	Lag time.Duration
	// Reloaded is true when the config changed and the reload command ran
	// successfully.
	Reloaded bool
	// Runtime is true when the change reached the running load balancer
	// through its runtime API (HAProxy's stats socket) without a reload;
	// the config file was rewritten (Changed) but not validated or
	// reloaded. RuntimeCommands counts the commands sent.
	Runtime         bool
	RuntimeCommands int
	// ReloadTook is how long the reload command ran (zero when none ran).
	ReloadTook time.Duration
	// InvalidApp is the app whose rendered lines the validator refused
	// (from the line its output names), when known.
	InvalidApp string
	// ConfigInvalid is the LBConfigInvalid signal: the newest render was
	// refused (the renderer or template failed, or the validate command
	// rejected the draft), the last good config keeps serving, and Err says
	// why (the validator's output, naming the offending line). It stays
	// true in Pipeline.LastStatus until a later pass's render is accepted
	// (written, or equal to the config in place).
	ConfigInvalid bool
	// ReloadFailure is the LBReloadFailed signal: non-nil while the config
	// in place is not the one the load balancer runs because its reload
	// failed (with HAProxyMaster: it was not confirmed after its attempts).
	// The pipeline retries the reload with backoff; ReloadFailure stays in
	// Pipeline.LastStatus until a reload succeeds.
	ReloadFailure error
	// Err is nil when the config in place is the rendered one and the LB
	// was reloaded. See Invalid and ReloadFailed.
	Err error
}

// Invalid reports a render or validation failure: the new config was
// refused and the last good one keeps serving. The operator raises
// LBConfigInvalid while it lasts.
func (s Status) Invalid() bool {
	var re *RenderError
	var ve *ValidationError
	return errors.As(s.Err, &re) || errors.As(s.Err, &ve)
}

// ApplyFailed reports that a config that rendered and validated could not
// be put in place (a write error such as a full disk); the pipeline renders
// and writes again with backoff.
func (s Status) ApplyFailed() bool {
	return s.Err != nil && !s.Invalid() && !s.ReloadFailed()
}

// ReloadFailed reports that the config is in place but the reload command
// failed (for instance the load balancer is not running yet); the pipeline
// retries it.
func (s Status) ReloadFailed() bool {
	var re *ReloadError
	return errors.As(s.Err, &re)
}

// Resolver rewrites, in place, the host names of backends' servers to IP
// addresses it knows, leaving names it cannot resolve as they are.
type Resolver interface {
	Resolve(ctx context.Context, backends []Backend)
}

// unvalidatedSink is a Sink that can skip validation (FileSink).
type unvalidatedSink interface {
	ApplyUnvalidated(ctx context.Context, cfg []byte) (bool, error)
}

// reloadRetrier is a Sink that can retry its reload alone (FileSink).
type reloadRetrier interface {
	RetryReload(ctx context.Context) error
}

// reloadingSink is a Sink that says whether it runs a reload command.
type reloadingSink interface {
	Reloads() bool
}

// reloadConfirmer is a Sink whose reloads return once they took
// (FileSink with a Reloader), so their duration is the reload's own.
type reloadConfirmer interface {
	ConfirmsReloads() bool
}

// Pipeline renders the live state into the load balancer: LiveState →
// Backends → Renderer → Sink, once per debounced burst of changes.
type Pipeline struct {
	Source   *Source
	Select   SelectOptions
	Health   *HealthMemory
	Renderer Renderer
	Sink     Sink
	Debounce Debounce
	// MinReloadInterval is the least time between two config writes (and
	// so reloads). With a sink that confirms its reloads (FileSink with
	// HAProxyMaster) the interval is at least the last reload's measured
	// duration, so a slow reload (a large HAProxy config) spaces the next
	// one by as much. A change arriving when the last write is older than
	// that is written after the debounce alone; otherwise it waits, and
	// joins everything else arriving meanwhile. It bounds the reloads of a
	// long rolling deploy to one per interval. Zero means no minimum.
	MinReloadInterval time.Duration
	// FastPath lets a change of server lists inside the last validated
	// structure skip the validate command (see serverOnlyChange). Only for
	// the built-in renderers: a user template can depend on anything.
	FastPath bool
	// Runtime, when set, applies changes of server lists inside the
	// structure the load balancer runs through its runtime API instead of
	// a reload (HAProxyRuntime); the config file is still rewritten. Any
	// failure falls back to validate and reload. Needs a Sink with
	// WriteOnly (FileSink) and a renderer whose structure allows it
	// (HAProxyRenderer's server slots).
	Runtime RuntimeUpdater
	// Resolver, when set, rewrites server host names to IP addresses
	// before each render (see HostCache), so task changes of agents known
	// by name can still go through the runtime API.
	Resolver Resolver
	// ReloadRetry is the first delay before retrying a failed reload
	// (doubling up to 1m); zero means 1s.
	ReloadRetry time.Duration
	Clock       Clock
	// OnStatus, when set, is called after every pass that rendered.
	OnStatus func(Status)
	// Metrics, when set, records every pass (see NewMetrics).
	Metrics *Metrics

	validated *structure // structure of the config in place, when validated
	// running are the backends the load balancer serves (the config it
	// last loaded plus runtime updates); nil when unknown (a reload or a
	// runtime update failed), which forces the next change through a reload.
	running []Backend
	inFile  []Backend // backends of the config file in place
	// reloadFailure is the error of the reload still failing (Status.ReloadFailure).
	reloadFailure error
	problems      problemLog

	mu   sync.Mutex
	last Status
}

// LastStatus is the outcome of the latest pass that rendered (zero before
// the first). Safe to call from any goroutine, e.g. the operator's
// alerting after each of its passes: LastStatus().ConfigInvalid is
// LBConfigInvalid.
func (p *Pipeline) LastStatus() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

func (p *Pipeline) updateLast(f func(*Status)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.last)
}

func (p *Pipeline) setLast(st Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = st
}

// Run renders the live state until ctx is done. It returns nil when ctx is
// canceled, or a configuration error at once.
func (p *Pipeline) Run(ctx context.Context) error {
	if err := p.Debounce.Validate(); err != nil {
		return err
	}
	if p.Clock == nil {
		p.Clock = RealClock{}
	}
	if p.Source.Clock == nil {
		p.Source.Clock = p.Clock
	}
	changes := make(chan struct{}, 1)
	notify := func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	}
	srcDone := make(chan struct{})
	go func() {
		defer close(srcDone)
		_ = p.Source.Run(ctx, notify)
	}()
	defer func() { <-srcDone }()

	deb := debouncer{cfg: p.Debounce, interval: p.MinReloadInterval}
	var wake, retry, repass <-chan time.Time
	reloadPending := false
	retryDelay := cmpOrDur(p.ReloadRetry, time.Second)
	repassDelay := retryDelay
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changes:
			deb.add(p.Clock.Now())
		case <-wake:
			wake = nil
		case <-repass:
			// The last config could not be put in place (disk full,
			// permissions): render and write again without waiting for
			// the next Marathon change.
			repass = nil
			deb.add(p.Clock.Now())
		case <-retry:
			retry = nil
			if reloadPending {
				reloadPending = p.retryReload(ctx)
				if reloadPending {
					retryDelay = min(retryDelay*2, time.Minute)
					retry = p.Clock.After(retryDelay)
				} else {
					// A reload that worked on retry is a reload: the next
					// one keeps the minimum interval (HAProxy in
					// master-worker mode drops a SIGUSR2 that arrives
					// while it is still reloading).
					deb.interval = p.reloadSpacing(p.lastReloadTook())
					deb.wrote(p.Clock.Now())
				}
			}
			continue
		}
		fire, wait := deb.due(p.Clock.Now())
		if !fire {
			if wait > 0 {
				wake = p.Clock.After(wait)
			}
			continue
		}
		first := deb.reset()
		st, rendered := p.Pass(ctx, first)
		if !rendered {
			continue
		}
		if st.Changed && !st.Runtime {
			// Runtime updates are not reloads: they need no spacing.
			deb.interval = p.reloadSpacing(st.ReloadTook)
			deb.wrote(p.Clock.Now())
		}
		if st.ReloadFailed() {
			reloadPending = true
			retryDelay = cmpOrDur(p.ReloadRetry, time.Second)
			retry = p.Clock.After(retryDelay)
		} else if st.Changed {
			reloadPending = false
		}
		if st.ApplyFailed() {
			repass = p.Clock.After(repassDelay)
			repassDelay = min(repassDelay*2, time.Minute)
		} else {
			repass, repassDelay = nil, cmpOrDur(p.ReloadRetry, time.Second)
		}
		if p.OnStatus != nil {
			p.OnStatus(st)
		}
	}
}

// reloadSpacing is the least time from one reload to the next:
// MinReloadInterval, and with a sink that confirms its reloads at least
// took, the last reload's measured duration.
func (p *Pipeline) reloadSpacing(took time.Duration) time.Duration {
	if c, ok := p.Sink.(reloadConfirmer); ok && c.ConfirmsReloads() {
		return max(p.MinReloadInterval, took)
	}
	return p.MinReloadInterval
}

func (p *Pipeline) lastReloadTook() time.Duration {
	if rt, ok := p.Sink.(reloadTimer); ok {
		return rt.LastReloadDuration()
	}
	return 0
}

// retryReload reruns the reload; it reports whether it is still pending.
func (p *Pipeline) retryReload(ctx context.Context) bool {
	r, ok := p.Sink.(reloadRetrier)
	if !ok {
		return false
	}
	err := r.RetryReload(ctx)
	if rt, ok := p.Sink.(reloadTimer); ok {
		p.Metrics.observeReloadDuration(rt.LastReloadDuration())
	}
	if err != nil {
		p.Metrics.observeRetry(false)
		logr.FromContextOrDiscard(ctx).V(1).Info("Reload still failing", "error", err.Error())
		p.reloadFailure = err
		p.updateLast(func(st *Status) { st.ReloadFailure = p.reloadFailure })
		return true
	}
	p.Metrics.observeRetry(true)
	p.Metrics.observeReloadFailing(false)
	p.reloadFailure = nil
	p.updateLast(func(st *Status) { st.ReloadFailure = nil })
	p.running = p.inFile
	logr.FromContextOrDiscard(ctx).Info("Reloaded load balancer after earlier failures")
	return false
}

// Pass renders the current state once and applies it. since is when the
// burst that triggered it began (zero if none). rendered is false when the
// state has not been read yet: an empty config is never written just
// because Marathon has not answered.
func (p *Pipeline) Pass(ctx context.Context, since time.Time) (st Status, rendered bool) {
	log := logr.FromContextOrDiscard(ctx)
	snap := p.Source.State.Snapshot()
	if !snap.Synced {
		return Status{}, false
	}
	opts := p.Select
	outer := opts.Leaving
	opts.Leaving = func(id string) bool { return snap.Leaving[id] || (outer != nil && outer(id)) }
	sel := Backends(ctx, snap.Apps, opts, p.Health)
	p.problems.report(log, sel.Problems)
	if p.Resolver != nil {
		p.Resolver.Resolve(ctx, sel.Backends)
	}
	st.Backends, st.Problems = len(sel.Backends), sel.Problems
	for _, b := range sel.Backends {
		st.Servers += len(b.Servers)
	}
	var applyStart time.Time
	defer func() {
		st.At = p.clock().Now()
		if !since.IsZero() {
			st.Lag = st.At.Sub(since)
		}
		st.ConfigInvalid = st.Invalid()
		if rs, ok := p.Sink.(reloadingSink); ok && st.Changed && st.Err == nil && !st.Runtime {
			st.Reloaded = rs.Reloads()
		}
		switch {
		case st.ReloadFailed():
			p.reloadFailure = st.Err
		case st.Reloaded:
			p.reloadFailure = nil
		}
		st.ReloadFailure = p.reloadFailure
		p.report(log, st)
		p.Metrics.observePass(st, sel.Backends, st.At.Sub(applyStart))
		p.setLast(st)
	}()

	cfg, lines, err := render(p.Renderer, sel.Backends)
	if err != nil {
		st.Err = &RenderError{Err: err}
		return st, true
	}
	applyStart = p.clock().Now()
	next := structureOf(sel.Backends, slotted(p.Renderer), dynamicNginx(p.Renderer))
	sameStructure := serverOnlyChange(p.validated, next, sel.Backends)
	if sameStructure && p.applyRuntime(ctx, cfg, sel.Backends, &st) {
		return st, true
	}
	if s, ok := p.Runtime.(upstreamSyncer); ok {
		// A reload must not leave nginx preferring lists older than the
		// new config: send the current ones first.
		if err := s.Sync(ctx, sel.Backends); err != nil {
			p.running = nil
			st.Err = fmt.Errorf("send server lists before writing the config: %w", err)
			return st, true
		}
	}
	fast := false
	if us, ok := p.Sink.(unvalidatedSink); ok && p.FastPath && sameStructure {
		fast = true
		st.Changed, st.Err = us.ApplyUnvalidated(ctx, cfg)
	} else {
		st.Changed, st.Err = p.Sink.Apply(ctx, cfg)
		st.Validated = st.Changed
	}
	p.track(sel.Backends, &st, lines)
	switch {
	case st.Err == nil && !st.Changed:
		// The file in place has these bytes: it passed the validator when
		// it was written (by us or an earlier run), or shares the
		// structure of a config that did.
		p.validated = &next
	case (st.Err == nil || st.ReloadFailed()) && !fast:
		p.validated = &next
	}
	return st, true
}

func (p *Pipeline) clock() Clock {
	if p.Clock == nil {
		return RealClock{}
	}
	return p.Clock
}

// report logs a pass: errors once, with the offending output; changes at
// V(0), no-ops at V(1).
func (p *Pipeline) report(log logr.Logger, st Status) {
	kv := []any{"backends", st.Backends, "servers", st.Servers, "lag", st.Lag}
	if st.InvalidApp != "" {
		kv = append(kv, "app", st.InvalidApp)
	}
	switch {
	case st.Invalid():
		log.Error(st.Err, "Load balancer config refused, the last good config keeps serving", kv...)
	case st.ReloadFailed():
		log.Error(st.Err, "Config written but the reload failed (is the load balancer running?); retrying", kv...)
	case st.Err != nil:
		log.Error(st.Err, "Cannot apply load balancer config", kv...)
	case st.Runtime:
		log.Info("Load balancer updated through its runtime API, no reload", append(kv, "commands", st.RuntimeCommands)...)
	case st.Changed:
		log.Info("Load balancer updated", append(kv, "validated", st.Validated, "reloadTook", st.ReloadTook)...)
	default:
		log.V(1).Info("Load balancer config unchanged", kv...)
	}
}

// Once reads Marathon, renders and applies a single time (pacer lb --once).
func (p *Pipeline) Once(ctx context.Context) (Status, error) {
	if err := p.Source.resyncOnce(ctx); err != nil {
		return Status{}, err
	}
	st, _ := p.Pass(ctx, time.Time{})
	if st.Err != nil {
		return st, fmt.Errorf("apply load balancer config: %w", st.Err)
	}
	return st, nil
}
