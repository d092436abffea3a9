package paging

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// DefaultCrashFailures is how many task failures within the crash window
// make an app CrashLooping when Input.CrashFailures is zero.
const DefaultCrashFailures = 3

// Input is everything the mapping from status to signals reads besides
// the operator's and the LB pipeline's status.
type Input struct {
	Cluster string
	Now     time.Time
	// RecentFailures counts each app's distinct task failures within the
	// crash window (the Alerter keeps that history); CrashFailures of them
	// make it CrashLooping (DefaultCrashFailures when zero).
	RecentFailures map[string]int
	CrashFailures  int
}

// LBStatus is what paging reads of the LB pipeline's last run.
type LBStatus struct {
	// ConfigInvalid: the newest rendered config was refused (render or
	// validation); Err says why.
	ConfigInvalid bool
	// Err is the run's error, if any.
	Err error
	// ReloadFailed: the new config is in place but its reload failed; the
	// pipeline retries it.
	ReloadFailed bool
	// ReloadFailure is why the LB does not run the config in place, empty
	// while it does: the reload (confirmed through HAProxy's master CLI, or
	// the reload command) failed after its retries (lb.Status.ReloadFailure).
	ReloadFailure string
}

// invalid is why the newest LB config is not in place, empty while it is:
// refused (render or validation), or not written at all (disk full,
// permissions), when the last good config keeps serving stale backends
// just the same. A failed reload is not it: the new config is in place and
// the pipeline retries the reload.
func (s LBStatus) invalid() string {
	switch {
	case s.ConfigInvalid && s.Err != nil:
		return s.Err.Error()
	case s.ConfigInvalid:
		return "the rendered config was refused"
	case s.Err != nil && !s.ReloadFailed:
		return "the rendered config could not be put in place: " + s.Err.Error()
	}
	return ""
}

// Signals maps the operator's status and the LB pipeline's to the
// conditions that hold. It is pure: the same input gives the same signals.
func Signals(in Input, st status.Cluster, lbs LBStatus) []alerting.Signal {
	var out []alerting.Signal
	cl := func(c alerting.Condition, d alerting.Details) {
		out = append(out, alerting.Signal{Condition: c, Cluster: in.Cluster, Details: d})
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
	if msg := lbs.invalid(); msg != "" {
		cl(alerting.LBConfigInvalid, alerting.Details{Message: msg})
	}
	if lbs.ReloadFailure != "" {
		cl(alerting.LBReloadFailed, alerting.Details{Message: lbs.ReloadFailure})
	}
	if cw := st.ConcurrentWriter; cw != nil {
		cl(alerting.ConcurrentWriter, alerting.Details{Revision: cw.Revision, Message: fmt.Sprintf(
			"%s carries revision %s (was %s), not written by this instance (in force: %s); %d app(s) in the window", cw.App, cw.Revision, cw.Previous, cw.InForce, cw.Apps)})
	}
	policies := map[string]*alerting.Policy{}
	for _, a := range st.Apps {
		sig := alerting.Signal{Cluster: in.Cluster, App: a.ID, Group: a.ServiceGroup, Environment: a.Environment,
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
func appSignals(in Input, a status.App) []alerting.Signal {
	var out []alerting.Signal
	add := func(c alerting.Condition, d alerting.Details) {
		out = append(out, alerting.Signal{Condition: c, Details: d})
	}
	counts := alerting.Details{Instances: a.Instances, Running: a.Running, Healthy: a.Healthy, Unhealthy: a.Unhealthy}
	if a.Sync == status.OutOfSync {
		add(alerting.OutOfSync, alerting.Details{Message: a.Message, Diff: strings.Join(a.Changes, "\n")})
	}
	if a.LastError != "" {
		d := alerting.Details{Message: a.LastError}
		if a.Reason == status.ReasonNotConverging {
			d.Diff = strings.Join(a.Changes, "\n") // the diff that does not go away
		}
		add(alerting.SyncFailed, d)
	}
	if a.Unhealthy > 0 {
		d := counts
		d.Message = a.LastTaskFailure
		add(alerting.Unhealthy, d)
	}
	if (a.Health == status.Degraded || a.Health == status.Progressing) && a.Running < a.Instances {
		d := counts
		d.Message = launchReason(a)
		add(alerting.Underprovisioned, d)
	}
	if dep, ok := oldestDeployment(a.RunningDeployments); ok && !dep.Started.IsZero() {
		d := counts
		d.DeploymentID, d.Age, d.Message = dep.ID, in.Now.Sub(dep.Started), launchReason(a)
		add(alerting.DeploymentStuck, d)
	}
	threshold := in.CrashFailures
	if threshold <= 0 {
		threshold = DefaultCrashFailures
	}
	if failures := in.RecentFailures[a.ID]; failures >= threshold || (a.LaunchQueue != nil && a.LaunchQueue.Delayed) {
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

func oldestDeployment(ds []status.Deployment) (status.Deployment, bool) {
	if len(ds) == 0 {
		return status.Deployment{}, false
	}
	return slices.MinFunc(ds, func(a, b status.Deployment) int { return a.Started.Compare(b.Started) }), true
}

// launchReason says why tasks are missing, from the launch queue:
// "2 tasks waiting to launch: launch backoff 30s after failures (last: ...)"
// or "...: no offer fits (10 of 10 declined)". Empty when nothing waits.
func launchReason(a status.App) string {
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
func (h *crashHistory) observe(a status.App, now time.Time) int {
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

// observeAll records the apps' new task failures, forgets apps gone from
// st, and returns each app's count of failures within the window.
func (h *crashHistory) observeAll(st status.Cluster, now time.Time) map[string]int {
	out := map[string]int{}
	for _, a := range st.Apps {
		if n := h.observe(a, now); n > 0 {
			out[a.ID] = n
		}
	}
	h.forget(st)
	return out
}

// forget drops apps no longer in the status.
func (h *crashHistory) forget(st status.Cluster) {
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
