package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
)

// ErrDeploymentTimeout means deployments were still running when the wait
// limit was reached.
var ErrDeploymentTimeout = errors.New("deployments still running")

// ApplyOptions are the knobs of Apply.
type ApplyOptions struct {
	// Force overrides deployments that lock an app (Marathon's force=true)
	// instead of waiting for them.
	Force bool
	// Wait makes Apply wait until every deployment it started is gone from
	// /v2/deployments.
	Wait bool
	// WaitTimeout bounds that wait (0: until ctx is done).
	WaitTimeout time.Duration
	// Supersede, when set, is asked about an app that running deployments
	// lock, before waiting for them: true writes the app at once with
	// force=true, which cancels those deployments (Marathon does not roll
	// them back). pacer run uses it to replace its own stuck deployment of
	// an older revision with the new one.
	Supersede func(app string, deployments []string) bool
	// LockWait bounds the wait for deployments that lock apps before pacer
	// writes them, for the whole Apply (they run at the same time); past it
	// a locked app is reported locked after one more look, and the pass
	// asks to be requeued. Default 2 minutes.
	LockWait time.Duration
	// PollInterval is how often /v2/deployments is read once a deployment
	// has run for a while (the first reads come sooner). Default 2s.
	PollInterval time.Duration
	// Clock defaults to SystemClock.
	Clock Clock
	// Progress, if set, is called on every step (cmd prints it).
	Progress func(Progress)
}

// Progress reports one step of an apply.
type Progress struct {
	App          string
	Action       Action
	DeploymentID string
	// Event is submitted, superseded (before submitted, when the write
	// cancelled running deployments), locked, waiting or done.
	Event string
	// Pending is the number of deployments still running (waiting events).
	Pending int
}

// AppResult is the outcome of one app's write.
type AppResult struct {
	ID           string
	Action       Action
	DeploymentID string
	// Locked means a running deployment kept the app from being written;
	// the next pass retries it. It is not an error.
	Locked bool
	// LockedBy are the deployments that locked it.
	LockedBy []string
	// Superseded are the deployments the write cancelled (Supersede).
	Superseded []string
	Err        error
}

// ApplyResult is the outcome of Apply.
type ApplyResult struct {
	Apps []AppResult
	// Requeue asks for another pass soon (some apps were locked).
	Requeue bool
}

// Apply writes the plan's creates, updates, scales and deletes to Marathon,
// dependencies first (creates and updates) and dependents first (deletes).
// Unchanged and skipped apps are never written. One app's failure never
// stops the others: per-app errors are joined in the returned error.
func Apply(ctx context.Context, m Marathon, p *Plan, opts ApplyOptions) (*ApplyResult, error) {
	if err := p.Err(); err != nil {
		return &ApplyResult{}, err
	}
	opts = opts.withDefaults()
	log := logr.FromContextOrDiscard(ctx)
	a := &applier{m: m, opts: opts, log: log}
	res := &ApplyResult{}
	var errs []error
	var started []string
	for i, wave := range applyWaves(p) {
		if i > 0 && len(started) > 0 {
			// The next wave depends on this one: let Marathon finish first.
			if err := a.waitDone(ctx, started, opts.WaitTimeout); err != nil {
				errs = append(errs, fmt.Errorf("wait before the next dependency level: %w", err))
				break
			}
			started = nil
		}
		for _, ap := range wave {
			r := a.applyOne(ctx, ap)
			res.Apps = append(res.Apps, r)
			switch {
			case r.Err != nil:
				errs = append(errs, r.Err)
			case r.Locked:
				res.Requeue = true
			case r.DeploymentID != "":
				started = append(started, r.DeploymentID)
			}
		}
	}
	if opts.Wait && len(started) > 0 && len(errs) == 0 {
		if err := a.waitDone(ctx, started, opts.WaitTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	log.Info("Applied plan", "apps", len(res.Apps), "requeue", res.Requeue, "errors", len(errs))
	return res, errors.Join(errs...)
}

func (o ApplyOptions) withDefaults() ApplyOptions {
	if o.LockWait <= 0 {
		o.LockWait = 2 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
	return o
}

type applier struct {
	m    Marathon
	opts ApplyOptions
	log  logr.Logger
	// lockDeadline ends the waits for locking deployments of this Apply
	// (see lockWait); zero until the first wait.
	lockDeadline time.Time
}

// lockWait is how long the next wait for deployments locking an app may
// last: what is left of LockWait since the first such wait of this Apply,
// and never less than one look at /v2/deployments. The deployments locking
// different apps run at the same time in Marathon, so one bounded wait
// covers them all: a stuck deployment on each of many apps costs the pass
// LockWait once, not once per app.
func (a *applier) lockWait() time.Duration {
	now := a.opts.Clock.Now()
	if a.lockDeadline.IsZero() {
		a.lockDeadline = now.Add(a.opts.LockWait)
	}
	return max(a.lockDeadline.Sub(now), time.Nanosecond)
}

// applyOne writes one app, waiting (bounded) for deployments that lock it,
// or superseding them when the Supersede option says so.
func (a *applier) applyOne(ctx context.Context, ap AppPlan) AppResult {
	r := AppResult{ID: ap.ID, Action: ap.Action}
	log := a.log.WithValues("app", ap.ID, "action", string(ap.Action))
	force := a.opts.Force
	if !force && len(ap.deployments) > 0 && a.supersedes(ap.ID, ap.deployments) {
		force, r.Superseded = true, ap.deployments
	}
	if !force && len(ap.deployments) > 0 {
		if _, err := a.wait(ctx, ap.deployments, a.lockWait()); err != nil {
			r.LockedBy = ap.deployments
			return a.locked(r, log, err)
		}
	}
	id, err := a.write(ctx, ap, force)
	var le *marathon.LockedError
	if errors.As(err, &le) && !force {
		a.opts.Progress(Progress{App: ap.ID, Action: ap.Action, Event: "locked", Pending: len(le.DeploymentIDs)})
		if a.supersedes(ap.ID, le.DeploymentIDs) {
			r.Superseded = le.DeploymentIDs
			id, err = a.write(ctx, ap, true)
		} else {
			if _, werr := a.wait(ctx, le.DeploymentIDs, a.lockWait()); werr != nil {
				r.LockedBy = le.DeploymentIDs
				return a.locked(r, log, werr)
			}
			id, err = a.write(ctx, ap, false)
		}
	}
	if errors.As(err, &le) {
		r.LockedBy = le.DeploymentIDs
	}
	if errors.Is(err, marathon.ErrLocked) {
		return a.locked(r, log, err)
	}
	if err != nil {
		// The caller reports the joined errors; log only for debugging.
		log.V(1).Info("Write failed", "error", err.Error())
		r.Err = invalidAppError(ap, err)
		return r
	}
	r.DeploymentID = id
	if len(r.Superseded) > 0 {
		log.Info("Submitted change, superseding deployments", "deploymentID", id, "superseded", r.Superseded)
		a.opts.Progress(Progress{App: ap.ID, Action: ap.Action, DeploymentID: id, Event: "superseded"})
	} else {
		log.Info("Submitted change", "deploymentID", id)
	}
	a.opts.Progress(Progress{App: ap.ID, Action: ap.Action, DeploymentID: id, Event: "submitted"})
	return r
}

func (a *applier) supersedes(app string, deployments []string) bool {
	return a.opts.Supersede != nil && a.opts.Supersede(app, deployments)
}

func (a *applier) locked(r AppResult, log logr.Logger, err error) AppResult {
	log.Info("App locked by a deployment, will retry", "reason", err.Error())
	a.opts.Progress(Progress{App: r.ID, Action: r.Action, Event: "locked"})
	r.Locked = true
	return r
}

func (a *applier) write(ctx context.Context, ap AppPlan, force bool) (string, error) {
	switch ap.Action {
	case ActionCreate, ActionUpdate:
		return a.m.PutApp(ctx, ap.ID, ap.definition, force)
	case ActionScale:
		return a.m.ScaleApp(ctx, ap.ID, ap.scaleTo, force)
	case ActionDelete:
		return a.m.DeleteApp(ctx, ap.ID, force)
	}
	return "", fmt.Errorf("nothing to write for action %s", ap.Action)
}

// waitDone waits for the deployments pacer started and, when they do not
// finish in time, explains why (StuckError).
func (a *applier) waitDone(ctx context.Context, ids []string, limit time.Duration) error {
	pending, err := a.wait(ctx, ids, limit)
	if errors.Is(err, ErrDeploymentTimeout) {
		return a.explainStuck(ctx, pending, limit)
	}
	return err
}

// wait polls /v2/deployments until none of ids is running, limit passes
// (0: no limit) or ctx is done. On timeout it returns the deployments still
// pending.
func (a *applier) wait(ctx context.Context, ids []string, limit time.Duration) ([]marathon.Deployment, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	start := a.opts.Clock.Now()
	failures := 0
	var pending []marathon.Deployment
	// Poll fast first (small deployments finish in well under a second),
	// then back off to PollInterval.
	interval := min(a.opts.PollInterval, firstPoll)
	for {
		ds, err := a.m.Deployments(ctx)
		if err != nil {
			failures++
			if ctx.Err() != nil || failures > 3 {
				return nil, fmt.Errorf("wait for deployments: %w", err)
			}
		} else {
			failures = 0
			pending = pending[:0]
			for _, d := range ds {
				if want[d.ID] {
					pending = append(pending, d)
				}
			}
			if len(pending) == 0 {
				a.opts.Progress(Progress{Event: "done"})
				return nil, nil
			}
			a.opts.Progress(Progress{Event: "waiting", Pending: len(pending)})
		}
		if limit > 0 && a.opts.Clock.Now().Sub(start) >= limit {
			return pending, fmt.Errorf("%w after %s", ErrDeploymentTimeout, limit)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-a.opts.Clock.After(interval):
		}
		interval = min(2*interval, a.opts.PollInterval)
	}
}

// firstPoll is the first wait between two reads of /v2/deployments.
const firstPoll = 100 * time.Millisecond

// applyWaves orders the writes: creates, updates and scales by dependency
// level (an app after the apps it depends on), then deletes in reverse
// dependency order (an app before the apps it depends on).
func applyWaves(p *Plan) [][]AppPlan {
	var writes, deletes []AppPlan
	for _, ap := range p.Apps {
		switch ap.Action {
		case ActionCreate, ActionUpdate, ActionScale:
			writes = append(writes, ap)
		case ActionDelete:
			deletes = append(deletes, ap)
		}
	}
	waves := levels(writes)
	del := levels(deletes)
	for i := len(del) - 1; i >= 0; i-- {
		waves = append(waves, del[i])
	}
	return waves
}

// levels groups apps so that each app comes in a later group than every
// app of the set it depends on. Cycles are broken by id order.
func levels(apps []AppPlan) [][]AppPlan {
	idx := make(map[string]int, len(apps))
	for i, ap := range apps {
		idx[ap.ID] = i
	}
	level := make([]int, len(apps))
	state := make([]int, len(apps)) // 0 new, 1 visiting, 2 done
	var visit func(i int) int
	visit = func(i int) int {
		switch state[i] {
		case 1:
			return 0 // cycle
		case 2:
			return level[i]
		}
		state[i] = 1
		l := 0
		for _, d := range apps[i].deps {
			if j, ok := idx[d]; ok && j != i {
				l = max(l, visit(j)+1)
			}
		}
		state[i], level[i] = 2, l
		return l
	}
	var out [][]AppPlan
	for i := range apps {
		l := visit(i)
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], apps[i])
	}
	return out
}
