package main

import (
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/specs"
)

// alerter turns the operator's status after each pass into alerting
// signals, tracks them and sends the incidents.
type alerter struct {
	cluster  string
	tracker  *alerting.Tracker
	notifier alerting.Notifier
	delivery *alerting.Delivery // nil when alerts are only logged
}

// newAlerter pages through PagerDuty (incidents whose routing key does not
// resolve are logged), or only logs when logOnly.
func newAlerter(o *runOptions, cluster, marathonURL string, logOnly bool) (*alerter, error) {
	keys := alerting.KeyResolver{DefaultFile: o.pagerDutyKeyFile}
	al := &alerter{
		cluster: cluster,
		tracker: alerting.NewTracker(alerting.TrackerOptions{
			ClusterPolicy: alerting.Policy{Urgency: alerting.UrgencyHigh},
			Links:         alerting.LinkOptions{MarathonURL: map[string]string{cluster: marathonURL}},
		}),
		notifier: alerting.LogNotifier{},
	}
	if logOnly {
		return al, nil
	}
	d, err := alerting.NewDelivery(alerting.NewPagerDuty(alerting.PagerDutyOptions{Endpoint: o.pagerDutyEndpoint}),
		alerting.DeliveryOptions{Keys: keys, Now: time.Now, After: time.After})
	if err != nil {
		return nil, err
	}
	al.notifier, al.delivery = d, d
	return al, nil
}

// run delivers queued incidents until ctx is done, then flushes.
func (al *alerter) run(ctx context.Context) error {
	if al.delivery == nil {
		<-ctx.Done()
		return nil
	}
	return al.delivery.Run(ctx)
}

// observe tracks and sends what holds after a pass. Only the leader pages:
// followers compute the same status and would page twice.
func (al *alerter) observe(ctx context.Context, st operator.Status) {
	if !st.Leader {
		return
	}
	log := logr.FromContextOrDiscard(ctx).WithName("alerting")
	ctx = logr.NewContext(context.WithoutCancel(ctx), log)
	for _, inc := range al.tracker.Observe(time.Now(), statusSignals(al.cluster, st)) {
		if err := al.notifier.Notify(ctx, inc); err != nil {
			log.Error(err, "Send incident", "incident", inc.DedupKey)
		}
	}
}

// statusSignals maps the operator's status to the conditions that hold.
func statusSignals(cluster string, st operator.Status) []alerting.Signal {
	var out []alerting.Signal
	cl := func(c alerting.Condition, d alerting.Details) {
		out = append(out, alerting.Signal{Condition: c, Cluster: cluster, Details: d})
	}
	if st.MarathonError != "" {
		cl(alerting.MarathonUnreachable, alerting.Details{Message: st.MarathonError})
	}
	if st.SourceError != "" {
		cl(alerting.GitSourceFailing, alerting.Details{Message: st.SourceError, Revision: st.Revision.ID})
	}
	if inv := st.InvalidRevision; inv != nil {
		cl(alerting.InvalidSpecRevision, alerting.Details{Message: inv.Error, Revision: inv.ID})
	}
	policies := map[string]*alerting.Policy{}
	for _, a := range st.Apps {
		sig := alerting.Signal{Cluster: cluster, App: a.ID, Group: a.ServiceGroup, Environment: a.Environment,
			Policy: policyOf(policies, a.Group, a.Environment, a.Alerting)}
		add := func(c alerting.Condition, d alerting.Details) {
			d.Revision = a.SpecRevision
			s := sig
			s.Condition, s.Details = c, d
			out = append(out, s)
		}
		counts := alerting.Details{Instances: a.Instances, Running: a.Running, Healthy: a.Healthy, Unhealthy: a.Unhealthy}
		if a.Sync == operator.OutOfSync {
			add(alerting.OutOfSync, alerting.Details{Message: a.Message, Diff: strings.Join(a.Changes, "\n")})
		}
		if a.LastError != "" {
			add(alerting.SyncFailed, alerting.Details{Message: a.LastError})
		}
		if a.Unhealthy > 0 {
			add(alerting.Unhealthy, counts)
		}
		if a.Health == operator.Degraded && a.Running < a.Instances {
			c := counts
			c.Message = a.LastTaskFailure
			add(alerting.Underprovisioned, c)
		}
	}
	return out
}

// policyOf builds an environment's paging policy once per pass; nil when
// the environment does not page.
func policyOf(cache map[string]*alerting.Policy, group, env string, a *specs.Alerting) *alerting.Policy {
	if a == nil {
		return nil
	}
	if p, ok := cache[group]; ok {
		return p
	}
	p, err := alerting.NewPolicy(env, a.Urgency, a.For, alerting.KeyRef{FromEnv: a.RoutingKey.FromEnv, FromFile: a.RoutingKey.FromFile})
	var pp *alerting.Policy
	if err == nil {
		pp = &p
	}
	cache[group] = pp
	return pp
}
