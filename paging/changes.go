package paging

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/status"
)

// maxPendingAge bounds how long a change event waits for its deployment.
// Deployments end in minutes (one that does not pages DeploymentStuck);
// one still running after a day will not end in a way worth announcing,
// and dropping its change event keeps the stored state bounded.
const maxPendingAge = 24 * time.Hour

// pendingChanges holds the change events of writes Marathon accepted until
// their deployment has finished: PagerDuty change events announce finished
// deployments, not submitted ones. Marathon ends a deployment only once its
// tasks run and pass their health checks (a deployment that never gets
// there stays in /v2/deployments), so a deployment that is gone finished.
// A deployment cancelled by hand (DELETE /v2/deployments/{id}?force=true)
// looks the same and is reported as finished too. The leader keeps them in
// the alerting store with the open incidents, so that the next leader
// sends them if this one goes away first.
type pendingChanges struct {
	byApp map[string][]alerting.Change
}

// add queues the change events of a pass's writes.
func (p *pendingChanges) add(cs ...alerting.Change) {
	if p.byApp == nil {
		p.byApp = map[string][]alerting.Change{}
	}
	for _, c := range cs {
		p.byApp[c.App] = append(p.byApp[c.App], c)
	}
}

// done takes out, oldest first, the changes whose deployment Marathon no
// longer runs; the rest stay pending.
func (p *pendingChanges) done(apps []status.App) []alerting.Change {
	running := make(map[string][]string, len(apps))
	for _, a := range apps {
		running[a.ID] = a.Deployments
	}
	return p.take(func(c alerting.Change) bool {
		return c.DeploymentID == "" || !slices.Contains(running[c.App], c.DeploymentID)
	})
}

// expire takes out, oldest first, the changes written before cutoff.
func (p *pendingChanges) expire(cutoff time.Time) []alerting.Change {
	return p.take(func(c alerting.Change) bool { return c.At.Before(cutoff) })
}

func (p *pendingChanges) take(out func(alerting.Change) bool) []alerting.Change {
	var taken []alerting.Change
	for id, cs := range p.byApp {
		var keep []alerting.Change
		for _, c := range cs {
			if out(c) {
				taken = append(taken, c)
			} else {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			delete(p.byApp, id)
		} else {
			p.byApp[id] = keep
		}
	}
	sortChanges(taken)
	return taken
}

// list is every pending change, oldest first, in the same order for the
// same changes (the store is written only when its bytes change).
func (p *pendingChanges) list() []alerting.Change {
	var out []alerting.Change
	for _, id := range slices.Sorted(maps.Keys(p.byApp)) {
		out = append(out, p.byApp[id]...)
	}
	sortChanges(out)
	return out
}

// sortChanges orders changes by write time, then app; an app's own changes
// keep their order.
func sortChanges(cs []alerting.Change) {
	slices.SortStableFunc(cs, func(a, b alerting.Change) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.App, b.App))
	})
}

// readMarathon reports whether a pass read Marathon's apps, so that their
// Deployments are what Marathon runs. A pass without a good revision yet
// or one that could not read Marathon (every app's health unknown) lists
// no deployments, which says nothing about whether they finished; nor
// does one cut short by shutdown (pass.cutShort).
func readMarathon(st status.Cluster) bool {
	if !st.Ready || st.MarathonError != "" {
		return false
	}
	for _, a := range st.Apps {
		if a.Health == status.HealthUnknown {
			return false
		}
	}
	return true
}

// sendChanges sends the change events of earlier writes whose deployment
// finished (when the pass read Marathon), drops those pending for longer
// than maxPendingAge, then queues one for every write Marathon accepted in
// this pass, to the app environment's routing key.
func (al *Alerter) sendChanges(ctx context.Context, st status.Cluster, read bool) {
	log := logr.FromContextOrDiscard(ctx)
	// Send for the earlier writes first: this pass's live state was read
	// before its own writes, so it cannot show their deployments yet.
	if read {
		for _, c := range al.changes.done(st.Apps) {
			if err := al.notifier.NotifyChange(ctx, c); err != nil {
				// Delivery has stopped: keep it for the next leader.
				log.Error(err, "Send change event; kept pending", "app", c.App, "deploymentID", c.DeploymentID)
				al.changes.add(c)
			}
		}
	}
	for _, c := range al.changes.expire(al.now().Add(-maxPendingAge)) {
		err := fmt.Errorf("deployment %s of %s not seen finished within %s of the write", c.DeploymentID, c.App, maxPendingAge)
		log.Error(err, "Dropped a change event", "app", c.App, "deploymentID", c.DeploymentID, "revision", c.Revision, "at", c.At)
	}
	al.changes.add(al.newChanges(st)...)
}

// newChanges are the change events of the writes Marathon accepted in a
// pass, for the environments that page.
func (al *Alerter) newChanges(st status.Cluster) []alerting.Change {
	apps := make(map[string]status.App, len(st.Apps))
	for _, a := range st.Apps {
		apps[a.ID] = a
	}
	policies := map[string]*alerting.Policy{}
	var out []alerting.Change
	for _, ap := range st.Applied {
		a := apps[ap.App]
		p := policyOf(policies, a.Group, a.Environment, a.Alerting)
		if p == nil || p.Urgency == alerting.UrgencyNone {
			continue // the environment does not page
		}
		out = append(out, alerting.Change{
			Route: p.RoutingKey, Cluster: al.cluster, App: ap.App, Group: a.ServiceGroup, Environment: a.Environment,
			Action: ap.Action, DeploymentID: ap.DeploymentID, Revision: ap.Revision, PreviousRevision: ap.PreviousRevision,
			What: ap.Changes, Diff: strings.Join(ap.Changes, "\n"), At: ap.At, Links: al.opts.Links.Links(al.cluster, ap.App),
		})
	}
	return out
}
