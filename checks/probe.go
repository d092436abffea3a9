package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// Target is one task a probe aims at.
type Target struct {
	TaskID string `json:"taskId"`
	Addr   string `json:"addr"` // host:port
}

// taskRunning is the Mesos state of a task that can serve.
const taskRunning = "TASK_RUNNING"

// StartGrace is how long a task of an app without Marathon health checks
// runs before probes aim at it: TASK_RUNNING says the process started, not
// that it listens yet, and a probe of a starting task would page.
const StartGrace = 10 * time.Second

// starting reports whether task t of app is still starting at now: not yet
// alive in a Marathon health check and within its grace period (the app's
// longest gracePeriodSeconds, default 300 s), or, without health checks,
// running for less than StartGrace. A task whose start time is unknown is
// not starting.
func starting(app marathon.App, t marathon.Task, now time.Time) bool {
	started, err := time.Parse(time.RFC3339Nano, t.StartedAt)
	if err != nil || now.IsZero() {
		return false
	}
	var def struct {
		HealthChecks []struct {
			GracePeriodSeconds *int `json:"gracePeriodSeconds"`
		} `json:"healthChecks"`
	}
	_ = json.Unmarshal(app.Raw, &def)
	if len(def.HealthChecks) == 0 {
		return now.Sub(started) < StartGrace
	}
	for _, r := range t.HealthCheckResults {
		if r.Alive {
			return false
		}
	}
	grace := 0
	for _, hc := range def.HealthChecks {
		g := 300 // Marathon 1.4's default (core/health/HealthCheck.scala)
		if hc.GracePeriodSeconds != nil {
			g = *hc.GracePeriodSeconds
		}
		grace = max(grace, g)
	}
	return now.Sub(started) < time.Duration(grace)*time.Second
}

// Targets returns the address of every running task of app for p that is
// not starting at now (a zero now: none is): the task's host and its port at p.PortIndex, or at
// the index of p.PortName in the app's portMappings or portDefinitions
// (Marathon lists a task's ports in that order).
func Targets(p *specs.Probe, app marathon.App, now time.Time) ([]Target, error) {
	index := p.PortIndex
	if p.PortName != "" {
		var def map[string]any
		if err := json.Unmarshal(app.Raw, &def); err != nil {
			return nil, fmt.Errorf("decode app %s: %w", app.ID, err)
		}
		index = slices.Index(specs.PortNames(def), p.PortName)
		if index < 0 {
			return nil, fmt.Errorf("app %s has no port named %q", app.ID, p.PortName)
		}
	}
	var out []Target
	for _, t := range app.Tasks {
		if t.State != taskRunning || starting(app, t, now) {
			continue
		}
		if index >= len(t.Ports) {
			return nil, fmt.Errorf("task %s of app %s has %d port(s), the check wants port index %d", t.ID, app.ID, len(t.Ports), index)
		}
		out = append(out, Target{TaskID: t.ID, Addr: net.JoinHostPort(t.Host, strconv.Itoa(t.Ports[index]))})
	}
	return out, nil
}

// Prober runs http and tcp probes.
type Prober struct {
	// HTTP is the client of http probes; its Timeout is not used (each
	// probe has its own). Redirects are not followed: a 3xx is an answer.
	HTTP *http.Client
	// Dialer dials tcp probes.
	Dialer *net.Dialer
	// Parallel bounds the tasks probed at once (default 16).
	Parallel int
	Now      func() time.Time
	// Starting probes tasks that are still starting too (see starting):
	// `pacer check run` asks about the tasks as they are now, where the
	// leader's schedule must not page for a task that does not listen yet.
	Starting bool
}

// maxBody is how much of an http probe's response body is read to look
// for the expected substring.
const maxBody = 64 << 10

// Probe runs check c (http or tcp) against app's running tasks and applies
// its failing thresholds: CRITICAL when more tasks fail than Critical allows,
// else WARNING when more fail than Warning allows, else OK. No running task
// or no port is UNKNOWN.
func (p *Prober) Probe(ctx context.Context, c *specs.Check, app marathon.App) Result {
	start := p.Now()
	done := func(r Result) Result {
		r.Started, r.Duration = start, p.Now().Sub(start)
		return r
	}
	var targets []Target
	var err error
	if c.Probe.URL != "" {
		targets = []Target{{Addr: c.Probe.URL}}
	} else {
		at := start
		if p.Starting {
			at = time.Time{} // no task is starting
		}
		targets, err = Targets(c.Probe, app, at)
	}
	if err != nil {
		return done(Result{State: Unknown, Summary: err.Error()})
	}
	if len(targets) == 0 {
		return done(Result{State: Unknown, Summary: fmt.Sprintf("app %s has no running task to probe", app.ID), Skipped: true})
	}
	errs := make([]error, len(targets))
	par := p.Parallel
	if par <= 0 {
		par = 16
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = p.probeOne(ctx, c.Kind, c.Probe, t.Addr)
		})
	}
	wg.Wait()
	return done(aggregate(c.Probe, targets, errs))
}

func aggregate(p *specs.Probe, targets []Target, errs []error) Result {
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, targets[i].Addr+": "+err.Error())
		}
	}
	n, f := len(targets), len(failed)
	st := OK
	switch {
	case p.Critical.Exceeded(f, n):
		st = Critical
	case p.Warning.Exceeded(f, n):
		st = Warning
	}
	summary, long := fmt.Sprintf("%d of %d tasks failing", f, n), ""
	if f > 0 {
		shown := failed[:min(f, 3)]
		summary += ": " + strings.Join(shown, "; ")
		if f > len(shown) {
			summary += fmt.Sprintf("; and %d more", f-len(shown))
			long = strings.Join(failed, "\n") // every failing task, one a line
		}
	}
	total := float64(n)
	zero := 0.0
	return Result{State: st, Summary: summary, Long: long,
		Perfdata: []Perf{{Label: "failing", Value: float64(f), Warn: p.Warning.String(), Crit: p.Critical.String(), Min: &zero, Max: &total}}}
}

func (p *Prober) probeOne(ctx context.Context, kind string, pr *specs.Probe, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, pr.Timeout)
	defer cancel()
	if kind == specs.CheckTCP {
		conn, err := p.Dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return tidy(ctx, pr.Timeout, err)
		}
		return conn.Close()
	}
	url := pr.URL
	if url == "" {
		url = pr.Scheme + "://" + addr + pr.Path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "pacer-check")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return tidy(ctx, pr.Timeout, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read body: %w", tidy(ctx, pr.Timeout, err))
	}
	if !statusOK(pr.ExpectStatus, resp.StatusCode) {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if pr.ExpectBody != "" && !strings.Contains(string(body), pr.ExpectBody) {
		return fmt.Errorf("body lacks %q", pr.ExpectBody)
	}
	return nil
}

func statusOK(want []int, got int) bool {
	if len(want) == 0 {
		return got >= 200 && got < 400
	}
	return slices.Contains(want, got)
}

// tidy shortens network errors to their cause for the summary line.
func tidy(ctx context.Context, timeout time.Duration, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("timed out after %s", timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return fmt.Errorf("%s: %w", op.Op, op.Err)
	}
	return err
}
