package paging

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// checkState is a check's record (checks.CheckState.Record, as pacer run
// hands it to paging) with hard state hard after three runs.
func checkState(id, env string, hard checks.State, page bool) status.Check {
	return checkStateRuns(id, env, hard, page, 3)
}

func checkStateRuns(id, env string, hard checks.State, page bool, runs int) status.Check {
	group := "/services/autofill/" + env
	return checks.CheckState{ID: group + ":" + id, Name: id, Kind: specs.CheckHTTP, Environment: env, Group: group, Cluster: "ams",
		App: group + "/app", Page: page, Tip: "look at the logs",
		Status: checks.Status{Hard: hard, Runs: runs, Last: checks.Result{State: hard, Summary: hard.String() + " summary"}}}.Record()
}

func checksCluster(marathonErr string) status.Cluster {
	prod := &specs.Alerting{Urgency: "high", RoutingKey: specs.SecretRef{FromEnv: "PD_PROD"}}
	low := &specs.Alerting{Urgency: "low", RoutingKey: specs.SecretRef{FromEnv: "PD_LOW"}}
	return status.Cluster{MarathonError: marathonErr, Apps: []status.App{
		{ID: "/services/autofill/production/app", Group: "/services/autofill/production", ServiceGroup: "/services/autofill",
			Environment: "production", Alerting: prod, Sync: status.Synced, Health: status.Healthy},
		{ID: "/services/autofill/staging/app", Group: "/services/autofill/staging", ServiceGroup: "/services/autofill",
			Environment: "staging", Alerting: low, Sync: status.Synced, Health: status.Healthy},
		{ID: "/services/autofill/test/app", Group: "/services/autofill/test", ServiceGroup: "/services/autofill",
			Environment: "test", Alerting: prod, Sync: status.Synced, Health: status.Healthy},
	}}
}

func TestCheckSignals(t *testing.T) {
	stale := checks.Stale{App: "/services/autofill/production/checks", Reason: "no agent answered: t1: connect: connection refused",
		Checks: []string{"/services/autofill/production:afquery", "/services/autofill/production:queue"}, Running: 1}
	stopped := checks.Stale{App: "/services/autofill/test/checks", Reason: "the app has no running task with a port",
		Checks: []string{"/services/autofill/test:afquery"}}
	tests := []struct {
		name     string
		marathon string
		cs       CheckStatus
		want     []string // condition app severity (or "no page")
	}{
		{name: "OK and never-run checks signal nothing",
			cs: CheckStatus{States: []status.Check{checkState("a", "production", checks.OK, true),
				checkStateRuns("b", "production", checks.Critical, true, 0)}}},
		{name: "severity from the exit code and the urgency",
			cs: CheckStatus{States: []status.Check{
				checkState("crit", "production", checks.Critical, true),
				checkState("warn", "production", checks.Warning, true),
				checkState("unknown", "production", checks.Unknown, true),
				checkState("crit-low", "staging", checks.Critical, true),
				checkState("crit-test", "test", checks.Critical, true),
			}},
			want: []string{
				"CheckFailed /services/autofill/production:crit critical",
				"CheckFailed /services/autofill/production:warn warning",
				"CheckUnknown /services/autofill/production:unknown error",
				"CheckFailed /services/autofill/staging:crit-low warning",
				"CheckFailed /services/autofill/test:crit-test warning",
			}},
		{name: "page false is tracked, not sent",
			cs:   CheckStatus{States: []status.Check{checkState("quiet", "production", checks.Critical, false)}},
			want: []string{"CheckFailed /services/autofill/production:quiet no page"}},
		{name: "a dead checks app pages once as stale, not per check",
			cs: CheckStatus{Stale: []checks.Stale{stale}, States: []status.Check{
				checkState("afquery", "production", checks.Critical, true), checkState("app-http", "production", checks.Critical, true)}},
			want: []string{"CheckAgentStale /services/autofill/production/checks error",
				"CheckFailed /services/autofill/production:app-http critical"}},
		{name: "an agent app with no running task: its checks are not judged, the app's own conditions page",
			cs: CheckStatus{Stale: []checks.Stale{stopped}, States: []status.Check{checkState("afquery", "test", checks.Critical, true)}}},
		{name: "no check signals while Marathon is unreachable", marathon: "connection refused",
			cs: CheckStatus{Stale: []checks.Stale{stale}, States: []status.Check{checkState("crit", "production", checks.Critical, true)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range CheckSignals(Input{Cluster: "ams"}, checksCluster(tc.marathon), tc.cs) {
				sev := "no page"
				if s.Policy != nil {
					sev = string(s.Policy.SeverityOf(s.Condition))
				}
				got = append(got, fmt.Sprintf("%s %s %s", s.Condition, s.App, sev))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckPagesOnceResolvesOnce runs check signals through the tracker
// over passes: a failing check triggers once with a stable dedup key, and
// resolves once after it recovers.
func TestCheckPagesOnceResolvesOnce(t *testing.T) {
	tr := alerting.NewTracker(alerting.TrackerOptions{ClearFor: time.Minute})
	st := checksCluster("")
	now := signalsNow
	var sent []string
	pass := func(states ...status.Check) {
		for _, inc := range tr.Observe(now, CheckSignals(Input{Cluster: "ams", Now: now}, st, CheckStatus{States: states})) {
			sent = append(sent, fmt.Sprintf("%s %s %s: %s", inc.State, inc.DedupKey, inc.Severity, inc.Summary))
		}
		now = now.Add(30 * time.Second)
	}
	failing := checkState("app-http", "production", checks.Critical, true)
	ok := checkState("app-http", "production", checks.OK, true)
	for range 4 {
		pass(failing)
	}
	for range 4 {
		pass(ok)
	}
	want := []string{
		"trigger pacer/ams/services/autofill/production:app-http/CheckFailed critical: /services/autofill/production:app-http: check CRITICAL for 0s on ams: CRITICAL summary",
		"resolve pacer/ams/services/autofill/production:app-http/CheckFailed critical: Resolved after 3m: /services/autofill/production:app-http: check CRITICAL for 0s on ams: CRITICAL summary",
	}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
}

// incidentNotifier records the incidents an alerter sends.
type incidentNotifier struct{ sent []string }

func (n *incidentNotifier) Notify(_ context.Context, inc alerting.Incident) error {
	n.sent = append(n.sent, string(inc.State)+" "+inc.DedupKey)
	return nil
}

func (n *incidentNotifier) NotifyChange(context.Context, alerting.Change) error { return nil }

// TestAlerterWatchChecks: the leader's passes include the checks' signals.
func TestAlerterWatchChecks(t *testing.T) {
	now := signalsNow
	al, _ := changesAlerter(&memStore{}, &now)
	n := &incidentNotifier{}
	al.notifier = n
	failing := checkState("app-http", "production", checks.Critical, true)
	al.WatchChecks(func() CheckStatus { return CheckStatus{States: []status.Check{failing}} })
	st := checksCluster("")
	st.Leader = true
	al.observe(t.Context(), pass{st: st})
	want := []string{"trigger pacer/ams/services/autofill/production:app-http/CheckFailed"}
	if diff := cmp.Diff(want, n.sent); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
}
