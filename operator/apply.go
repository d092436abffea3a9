package operator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/reconciler"
)

// apply writes the picked apps under the leader's context of term, the term
// the pass started in: losing leadership, even to a new term of this
// instance, cancels the writes at once. Once ctx is cancelled (shutdown),
// the apply in flight goes on for ShutdownGrace at most. It updates the
// apps' status in place and returns when a locked app should be retried,
// and the writes Marathon accepted.
func (o *Operator) apply(ctx, term context.Context, writes []reconciler.AppPlan, apps []AppStatus) (retryAt time.Time, applied []AppliedChange) {
	log := logr.FromContextOrDiscard(ctx)
	clock := o.opts.Clock
	index := make(map[string]int, len(apps))
	for i, a := range apps {
		index[a.ID] = i
	}
	leaderCtx, ok := o.opts.Leader.Context()
	if !ok || leaderCtx != term {
		for _, w := range writes {
			apps[index[w.ID]].Message = "not the leader: not applied"
		}
		return time.Time{}, nil
	}
	if leaderCtx == nil {
		leaderCtx = context.WithoutCancel(ctx)
	}
	actx, cancel := context.WithCancel(logr.NewContext(leaderCtx, log))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		select {
		case <-clock.After(o.opts.ShutdownGrace):
			cancel()
		case <-actx.Done():
		}
	})
	defer stop()

	// The wait between dependency levels is bounded as the wait for a
	// locking deployment: unbounded, one stalled deployment would hold the
	// loop (status, alerting, new revisions) until it finished.
	started := clock.Now()
	supersede := func(id string, deployments []string) bool {
		i, ok := index[id]
		return ok && o.supersedes(ctx, apps[i], deployments, started)
	}
	res, err := reconciler.Apply(actx, o.opts.Marathon, &reconciler.Plan{Schema: reconciler.PlanSchema, Apps: writes},
		reconciler.ApplyOptions{LockWait: o.opts.LockWait, WaitTimeout: o.opts.LockWait, Clock: clock, Supersede: supersede})
	now := clock.Now()
	interrupted := ""
	switch {
	case leaderCtx.Err() != nil:
		interrupted = "leadership lost during the write"
	case ctx.Err() != nil && actx.Err() != nil:
		interrupted = "shutdown: write interrupted after the grace period"
	}
	results := map[string]reconciler.AppResult{}
	if res != nil {
		for _, r := range res.Apps {
			results[r.ID] = r
		}
	}
	written := 0
	for _, w := range writes {
		a := &apps[index[w.ID]]
		r, ok := results[w.ID]
		if !ok {
			r = reconciler.AppResult{ID: w.ID, Err: err}
			if err == nil {
				r.Err = errors.New("not written")
			}
		}
		waiting := !ok && errors.Is(err, reconciler.ErrDeploymentTimeout)
		switch {
		case waiting:
			// Not written: the level it depends on is still deploying.
			a.Message = "waiting for the deployments of the apps it depends on: retried soon"
			retryAt = earliest(retryAt, now.Add(o.opts.RequeueAfter))
		case r.Locked:
			a.Message = "locked by deployment(s) " + strings.Join(r.LockedBy, ", ") + ": retried soon"
			retryAt = earliest(retryAt, now.Add(o.opts.RequeueAfter))
		case r.Err != nil && interrupted != "":
			a.Message = interrupted
			log.Info("App not written", "app", w.ID, "reason", interrupted)
		case r.Err != nil:
			until := o.apps.fail(w.ID, now)
			o.lastErr[w.ID] = appError{msg: r.Err.Error(), at: now}
			a.LastError, a.LastErrorAt, a.RetryAt = r.Err.Error(), now, until
			a.Message = fmt.Sprintf("write failed %d time(s); backing off", o.apps.failures(w.ID))
			o.opts.Metrics.applyError()
			log.Error(r.Err, "Write app", "app", w.ID, "action", string(w.Action), "retryAt", until)
		default:
			written++
			o.apps.succeed(w.ID)
			delete(o.lastErr, w.ID)
			o.lastWrite[w.ID] = now
			a.Sync, a.LastSyncTime, a.LastError, a.LastErrorAt, a.Message = Synced, now, "", time.Time{}, ""
			if e := o.streaks.wrote(w, o.definitionKey(w.ID), o.good.rev.ID, now); e.writes > 1 {
				// Written before for this revision, and Marathon differed
				// again: not Synced, whatever this write did.
				a.Sync = OutOfSync
				a.Message = fmt.Sprintf("written %d times in a row since revision %s: Marathon differed from git again after each write", e.writes, e.revision)
			}
			applied = append(applied, appliedChange(w, r.DeploymentID, a.LiveRevision, o.good.rev.ID, now))
			a.LiveRevision = o.good.rev.ID
			if r.DeploymentID != "" {
				a.Health, a.HealthReason = Progressing, reasonDeploymentRunning
				a.Deployments = []string{r.DeploymentID}
				a.RunningDeployments = append(a.RunningDeployments, DeploymentStatus{ID: r.DeploymentID, Started: now})
			}
		}
	}
	if written > 0 {
		log.Info("Applied changes", "written", written, "of", len(writes), "revision", o.good.rev.ID)
	}
	return retryAt, applied
}

// supersedes reports whether the write of a's new revision may replace the
// deployments locking it (Options.SupersedeAfter): each of them older than
// SupersedeAfter and touching a alone, and a moving from one pacer revision
// to another.
func (o *Operator) supersedes(ctx context.Context, a AppStatus, deployments []string, now time.Time) bool {
	after := o.opts.SupersedeAfter
	if after <= 0 || a.LiveRevision == "" || o.good == nil || a.LiveRevision == o.good.rev.ID {
		return false
	}
	for _, id := range deployments {
		i := slices.IndexFunc(a.RunningDeployments, func(d DeploymentStatus) bool { return d.ID == id })
		if i < 0 {
			return false
		}
		d := a.RunningDeployments[i]
		if d.AffectedApps != 1 || d.Started.IsZero() || now.Sub(d.Started) < after {
			return false
		}
	}
	logr.FromContextOrDiscard(ctx).Info("Superseding a deployment of an older revision that has run too long",
		"app", a.ID, "deployments", deployments, "liveRevision", a.LiveRevision, "revision", o.good.rev.ID, "after", after)
	return true
}

func appliedChange(w reconciler.AppPlan, deploymentID, previous, revision string, at time.Time) AppliedChange {
	c := AppliedChange{App: w.ID, Action: string(w.Action), DeploymentID: deploymentID, Revision: revision,
		PreviousRevision: previous, At: at}
	for i, ch := range w.Changes {
		if i == maxChanges {
			c.Changes = append(c.Changes, fmt.Sprintf("… %d more", len(w.Changes)-i))
			break
		}
		c.Changes = append(c.Changes, ch.String())
	}
	return c
}
