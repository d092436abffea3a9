package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/specs"
)

// signalInput is everything the mapping from status to signals reads
// besides the operator's status.
type signalInput struct {
	cluster string
	now     time.Time
	// lbInvalid is the LB pipeline's refusal, empty while its config is good.
	lbInvalid string
	crashes   *crashHistory
}

// statusSignals maps the operator's status to the conditions that hold.
func statusSignals(in signalInput, st operator.Status) []alerting.Signal {
	var out []alerting.Signal
	cl := func(c alerting.Condition, d alerting.Details) {
		out = append(out, alerting.Signal{Condition: c, Cluster: in.cluster, Details: d})
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
	if cw := st.ConcurrentWriter; cw != nil {
		cl(alerting.ConcurrentWriter, alerting.Details{Revision: cw.Revision, Message: fmt.Sprintf(
			"%s carries revision %s (was %s), not written by this instance (in force: %s); %d app(s) in the window", cw.App, cw.Revision, cw.Previous, cw.InForce, cw.Apps)})
	}
	if in.lbInvalid != "" {
		cl(alerting.LBConfigInvalid, alerting.Details{Message: in.lbInvalid})
	}
	policies := map[string]*alerting.Policy{}
	for _, a := range st.Apps {
		sig := alerting.Signal{Cluster: in.cluster, App: a.ID, Group: a.ServiceGroup, Environment: a.Environment,
			Policy: policyOf(policies, a.Group, a.Environment, a.Alerting)}
		for _, s := range appSignals(in, a) {
			s.Details.Revision = a.SpecRevision
			sig.Condition, sig.Details = s.Condition, s.Details
			out = append(out, sig)
		}
	}
	return out
}

// appSignals are the per-app conditions that hold for a.
func appSignals(in signalInput, a operator.AppStatus) []alerting.Signal {
	var out []alerting.Signal
	add := func(c alerting.Condition, d alerting.Details) {
		out = append(out, alerting.Signal{Condition: c, Details: d})
	}
	counts := alerting.Details{Instances: a.Instances, Running: a.Running, Healthy: a.Healthy, Unhealthy: a.Unhealthy}
	if a.Sync == operator.OutOfSync {
		add(alerting.OutOfSync, alerting.Details{Message: a.Message, Diff: strings.Join(a.Changes, "\n")})
	}
	if a.LastError != "" {
		add(alerting.SyncFailed, alerting.Details{Message: a.LastError})
	}
	if a.Unhealthy > 0 {
		d := counts
		d.Message = a.LastTaskFailure
		add(alerting.Unhealthy, d)
	}
	if (a.Health == operator.Degraded || a.Health == operator.Progressing) && a.Running < a.Instances {
		d := counts
		d.Message = launchReason(a)
		add(alerting.Underprovisioned, d)
	}
	if dep, ok := oldestDeployment(a.RunningDeployments); ok && !dep.Started.IsZero() {
		d := counts
		d.DeploymentID, d.Age, d.Message = dep.ID, in.now.Sub(dep.Started), launchReason(a)
		add(alerting.DeploymentStuck, d)
	}
	if failures := in.crashes.observe(a, in.now); failures >= in.crashes.threshold || (a.LaunchQueue != nil && a.LaunchQueue.Delayed) {
		d := counts
		d.Message = a.LastTaskFailure
		d.Extra = map[string]string{"recent_failures": fmt.Sprint(failures)}
		if q := a.LaunchQueue; q != nil && q.Delayed {
			d.Extra["launch_backoff"] = alerting.FormatDuration(q.DelayLeft)
		}
		add(alerting.CrashLooping, d)
	}
	return out
}

func oldestDeployment(ds []operator.DeploymentStatus) (operator.DeploymentStatus, bool) {
	if len(ds) == 0 {
		return operator.DeploymentStatus{}, false
	}
	return slices.MinFunc(ds, func(a, b operator.DeploymentStatus) int { return a.Started.Compare(b.Started) }), true
}

// launchReason says why tasks are missing, from the launch queue:
// "2 tasks waiting to launch: launch backoff 30s after failures (last: ...)"
// or "...: no offer fits (10 of 10 declined)". Empty when nothing waits.
func launchReason(a operator.AppStatus) string {
	q := a.LaunchQueue
	if q == nil || q.Count == 0 {
		return ""
	}
	s := fmt.Sprintf("%d task(s) waiting to launch", q.Count)
	switch {
	case q.Delayed:
		s += fmt.Sprintf(": launch backoff %s after failures", alerting.FormatDuration(q.DelayLeft))
		if a.LastTaskFailure != "" {
			s += " (last: " + a.LastTaskFailure + ")"
		}
	case q.ProcessedOffers > 0 && q.UnusedOffers >= q.ProcessedOffers:
		s += fmt.Sprintf(": no offer fits, insufficient resources or constraints (%d of %d offers declined)", q.UnusedOffers, q.ProcessedOffers)
	default:
		s += ": no resources offered"
	}
	return s
}

// crashHistory counts each app's distinct task failures (Marathon's
// lastTaskFailure, by task and time) within a window: that many failures
// in it is CrashLooping, as is a launch backoff.
type crashHistory struct {
	window    time.Duration
	threshold int
	seen      map[string][]seenFailure // by app id
}

type seenFailure struct {
	task string
	at   time.Time
}

func newCrashHistory(window time.Duration, threshold int) *crashHistory {
	return &crashHistory{window: window, threshold: threshold, seen: map[string][]seenFailure{}}
}

// observe records a's last task failure if it is new and returns how many
// failures of a fall within the window ending at now.
func (h *crashHistory) observe(a operator.AppStatus, now time.Time) int {
	fs := h.seen[a.ID]
	if a.LastTaskFailureTask != "" && !a.LastTaskFailureAt.IsZero() {
		f := seenFailure{task: a.LastTaskFailureTask, at: a.LastTaskFailureAt}
		if !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	fs = slices.DeleteFunc(fs, func(f seenFailure) bool { return now.Sub(f.at) > h.window })
	if len(fs) == 0 {
		delete(h.seen, a.ID)
		return 0
	}
	h.seen[a.ID] = fs
	return len(fs)
}

// forget drops apps no longer in the status.
func (h *crashHistory) forget(st operator.Status) {
	keep := make(map[string]bool, len(st.Apps))
	for _, a := range st.Apps {
		keep[a.ID] = true
	}
	for id := range h.seen {
		if !keep[id] {
			delete(h.seen, id)
		}
	}
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
