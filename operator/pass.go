package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// maxChanges bounds the changes listed per app in the status.
const maxChanges = 20

// passResult says when the loop must wake up before the interval.
type passResult struct {
	retryAt time.Time // a pass (failed apps, locked apps, Marathon down)
	fetchAt time.Time // a source sync (the source failed)
}

// pass syncs the source when fetch is set, then plans the revision in force
// against Marathon and applies what the sync policies allow. It publishes
// the status on every exit path.
func (o *Operator) pass(ctx context.Context, fetch bool) (res passResult) {
	clock := o.opts.Clock
	start := clock.Now()
	// The pass writes only in the leader term it starts in. A new leader
	// syncs the source first: as a follower it may have missed pushes (the
	// webhook reached another instance, the interval has not come), and
	// applying the revision it last fetched would roll them back.
	term, leader := o.opts.Leader.Context()
	if leader && term != o.syncedTerm {
		fetch = true
	}
	if fetch {
		res.fetchAt = o.syncSource(ctx)
		if leader {
			o.syncedTerm = term
		}
	}
	st := o.baseStatus()
	failed := false
	defer func() {
		st.LastPass = start
		st.PassDuration = clock.Now().Sub(start)
		st.Summary = summarize(st.Apps)
		o.opts.Metrics.observePass(st.PassDuration, failed)
		o.publish(st)
	}()
	if o.good == nil || ctx.Err() != nil {
		failed = o.good == nil
		return res
	}
	live, err := o.opts.Marathon.ListApps(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return res
		}
		failed = true
		st.MarathonError = err.Error()
		st.Apps = o.unknownApps()
		res.retryAt = o.passes.fail("marathon", clock.Now())
		logr.FromContextOrDiscard(ctx).Error(err, "Read live apps", "retryAt", res.retryAt)
		return res
	}
	o.passes.succeed("marathon")
	o.trackManaged(live)
	st.ConcurrentWriter = o.watchWriters(ctx, term, leader, live)
	rt := o.readRuntime(ctx)
	plan, err := reconciler.NewPlan(o.good.desired, live, reconciler.PlanOptions{
		Prune: len(o.good.prune) > 0, PruneGroups: o.good.prune, MaxDeleteRatio: o.opts.MaxDeleteRatio,
		LoadBalancers: o.good.lbs, Cache: o.planCache, Cluster: o.opts.Cluster, MaskSalt: o.opts.MaskSalt,
	})
	if err != nil {
		failed = true
		st.PassError = fmt.Sprintf("plan: %v", err)
		st.Apps = o.unknownApps()
		return res
	}
	apps, writes := o.classify(ctx, plan, live, leader, clock.Now())
	rt.addTo(apps, live)
	writes, held := o.holdDeletes(writes, apps, live, fetch && o.sourceErr == nil)
	res.fetchAt = earliest(res.fetchAt, fetchNow(clock.Now(), held))
	if err := errors.Join(plan.Err(), renameGuard(plan, live, apps, o.opts.MaxDeleteRatio)); err != nil {
		failed = true
		st.PassError = err.Error()
		logr.FromContextOrDiscard(ctx).Error(err, "Pass refused")
		writes = nil
	}
	if len(writes) > 0 && ctx.Err() == nil {
		o.writers.sent(writes, o.good.rev.ID)
		res.retryAt, st.Applied = o.apply(ctx, term, writes, apps)
	}
	for _, a := range apps {
		res.retryAt = earliest(res.retryAt, a.RetryAt)
	}
	st.Apps, st.Ready = apps, true
	return res
}

func (o *Operator) baseStatus() Status {
	st := Status{Cluster: o.opts.Cluster, Environment: o.opts.Environment, DryRun: o.opts.DryRun, InvalidRevision: o.invalid}
	if o.sourceErr != nil {
		st.SourceError = o.sourceErr.Error()
	}
	o.mu.RLock()
	st.Ready = o.status.Ready
	o.mu.RUnlock()
	if o.good != nil {
		st.Revision = RevisionStatus{ID: o.good.rev.ID, Subject: o.good.rev.Subject, LoadedAt: o.good.at}
	}
	return st
}

// trackManaged hands the event goroutine the apps it must react to.
func (o *Operator) trackManaged(live []marathon.App) {
	m := &managedSet{ids: map[string]bool{}, groups: o.good.prune}
	for _, a := range o.good.apps {
		m.ids[a.ID] = true
	}
	for _, a := range live {
		if a.Labels[reconciler.LabelManagedBy] == reconciler.ManagedByValue {
			m.ids[a.ID] = true
		}
	}
	o.managed.Store(m)
}

// unknownApps lists the desired apps when Marathon cannot be read.
func (o *Operator) unknownApps() []AppStatus {
	out := make([]AppStatus, 0, len(o.good.apps))
	for i := range o.good.apps {
		a := o.appStatus(o.good.apps[i].ID, &o.good.apps[i], nil)
		a.Sync, a.Health, a.HealthReason = Unknown, HealthUnknown, reasonMarathonUnreadable
		out = append(out, a)
	}
	return out
}

// classify turns the plan into per-app status and picks the writes this
// pass may make: automated policy, not a dry run, leader (when the pass
// started), not backing off.
func (o *Operator) classify(ctx context.Context, plan *reconciler.Plan, live []marathon.App, leader bool, now time.Time) ([]AppStatus, []reconciler.AppPlan) {
	liveByID := make(map[string]*marathon.App, len(live))
	for i := range live {
		liveByID[live[i].ID] = &live[i]
	}
	var apps []AppStatus
	var writes []reconciler.AppPlan
	seen := map[string]bool{}
	for _, ap := range plan.Apps {
		spec := o.good.byID[ap.ID]
		if spec == nil && ap.Action == reconciler.ActionSkip && ap.Reason == "unmanaged" {
			continue // not ours
		}
		seen[ap.ID] = true
		a := o.appStatus(ap.ID, spec, liveByID[ap.ID])
		if a.SyncPolicy == "" {
			a.SyncPolicy = o.good.policyOf(ap.ID)
		}
		a.Source = ap.Source
		for i, c := range ap.Changes {
			if i == maxChanges {
				a.Changes = append(a.Changes, fmt.Sprintf("… %d more", len(ap.Changes)-i))
				break
			}
			a.Changes = append(a.Changes, c.String())
		}
		switch ap.Action {
		case reconciler.ActionUnchanged:
			a.Sync = Synced
			o.streaks.converged(ap.ID)
			// In sync without a write of ours (a write whose answer was
			// lost landed, or someone fixed it): an earlier write error no
			// longer holds, and must not keep SyncFailed open.
			delete(o.lastErr, ap.ID)
			o.apps.succeed(ap.ID)
			a.LastError, a.LastErrorAt = "", time.Time{}
		case reconciler.ActionSkip:
			a.Sync, a.Action, a.Message = OutOfSync, string(ap.Action), ap.Reason
		default:
			a.Sync, a.Action = OutOfSync, string(ap.Action)
			switch until, blocked := o.apps.blocked(ap.ID, now); {
			case a.SyncPolicy == specs.SyncManual:
				a.Message = "manual sync policy: drift reported, not applied"
			case o.opts.DryRun:
				a.Message = "dry run: not applied"
			case !leader:
				a.Message = "not the leader: not applied"
			case blocked:
				a.RetryAt = until
				a.Message = fmt.Sprintf("backing off after %d failure(s)", o.apps.failures(ap.ID))
			case ap.Action != reconciler.ActionDelete && len(o.deployingDependencies(spec, liveByID)) > 0:
				// Dependencies first: an app is written once the apps it
				// depends on have finished deploying.
				a.RetryAt = now.Add(o.opts.RequeueAfter)
				a.Message = "waiting for the deployments of " + strings.Join(o.deployingDependencies(spec, liveByID), ", ")
			case o.holdBack(ctx, &a, ap):
			default:
				writes = append(writes, ap)
			}
		}
		apps = append(apps, a)
	}
	o.apps.forget(func(id string) bool { return seen[id] })
	o.streaks.forget(func(id string) bool { return seen[id] })
	o.page.forget(func(id string) bool { return seen[id] })
	return apps, writes
}

// holdBack is the loop breaker: it reports whether ap must not be written
// because the app was written Options.MaxWritesPerRevision times in a row
// for its definition in git without its diff shrinking, and marks a so.
func (o *Operator) holdBack(ctx context.Context, a *AppStatus, ap reconciler.AppPlan) bool {
	e := o.streaks.check(ap, o.definitionKey(ap.ID))
	if e == nil {
		return false
	}
	a.Reason = ReasonNotConverging
	a.LastError, a.LastErrorAt = e.heldError(), e.since
	a.Message = fmt.Sprintf("not converging: written %d times since revision %s, not written again", e.writes, e.revision)
	if !e.held {
		e.held = true
		logr.FromContextOrDiscard(ctx).Error(errNotConverging, "App held back by the loop breaker", "app", ap.ID,
			"writes", e.writes, "revision", e.revision, "changes", a.Changes)
	}
	return true
}

func (o *Operator) appStatus(id string, spec *specs.App, live *marathon.App) AppStatus {
	a := AppStatus{ID: id, SpecRevision: o.good.rev.ID, LastSyncTime: o.lastWrite[id]}
	a.Health, a.HealthReason = health(live)
	if spec != nil {
		a.Group, a.ServiceGroup, a.Environment = spec.Group, spec.ServiceGroup, spec.Environment
		a.SyncPolicy, a.Alerting = spec.Sync.Policy, spec.Alerting
	}
	if e, ok := o.lastErr[id]; ok {
		a.LastError, a.LastErrorAt = e.msg, e.at
	}
	if live != nil {
		a.LiveRevision = live.Labels[reconciler.LabelRevision]
		a.Instances, a.Running, a.Healthy, a.Unhealthy = live.Instances, live.TasksRunning, live.TasksHealthy, live.TasksUnhealthy
		a.Deployments = live.DeploymentIDs
		if f := live.LastTaskFailure; f != nil {
			a.LastTaskFailure = strings.TrimSpace(f.State + " " + f.Message)
		}
	}
	o.page.addTo(&a, o.good.rev.ID, spec, live, o.opts.MaskSalt, o.opts.Cluster)
	return a
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// deployingDependencies are the apps spec depends on that have a
// deployment running in Marathon.
func (o *Operator) deployingDependencies(spec *specs.App, live map[string]*marathon.App) []string {
	if spec == nil {
		return nil
	}
	var def struct {
		Dependencies []string `json:"dependencies"`
	}
	if json.Unmarshal(spec.Definition, &def) != nil {
		return nil
	}
	var out []string
	for _, d := range def.Dependencies {
		if !strings.HasPrefix(d, "/") {
			d = path.Join(path.Dir(spec.ID), d)
		}
		if l := live[d]; l != nil && len(l.DeploymentIDs) > 0 {
			out = append(out, d)
		}
	}
	return out
}
