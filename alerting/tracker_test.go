package alerting

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// step is one pass of the loop: at epoch+at, these signals hold; want is
// what the tracker returns, one "action dedup-key severity" line each.
type step struct {
	at   time.Duration
	sigs []Signal
	want []string
}

func pagePolicy(urgency Urgency) *Policy { return &Policy{Urgency: urgency} }

func unhealthy(app string, p *Policy) Signal {
	return Signal{Condition: Unhealthy, Cluster: "ams", App: app, Group: "/services/autofill", Environment: "production",
		Policy: p, Details: Details{Instances: 12, Running: 12, Healthy: 9, Unhealthy: 3}}
}

func stuck(app string, age time.Duration, p *Policy) Signal {
	return Signal{Condition: DeploymentStuck, Cluster: "ams", App: app, Policy: p, Details: Details{DeploymentID: "d", Age: age}}
}

func cond(c Condition, cluster, app string, p *Policy) Signal {
	return Signal{Condition: c, Cluster: cluster, App: app, Policy: p}
}

// every repeats sigs every interval from from (inclusive) to to (exclusive).
func every(from, to, interval time.Duration, sigs ...Signal) []step {
	var out []step
	for at := from; at < to; at += interval {
		out = append(out, step{at: at, sigs: sigs})
	}
	return out
}

func steps(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func one(at time.Duration, want []string, sigs ...Signal) []step {
	return []step{{at: at, sigs: sigs, want: want}}
}

const app = "/services/autofill/production/app"

func TestTracker(t *testing.T) {
	high := pagePolicy(UrgencyHigh)
	fast := &Policy{Urgency: UrgencyHigh, For: map[Condition]time.Duration{Unhealthy: 2 * time.Minute}}
	trig := "trigger pacer/ams/services/autofill/production/app/Unhealthy critical"
	res := "resolve pacer/ams/services/autofill/production/app/Unhealthy critical"
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "pages once after its whole for, resolves after the hysteresis",
			steps: steps(
				every(0, 5*time.Minute, 30*time.Second, unhealthy(app, high)),
				one(5*time.Minute, []string{trig}, unhealthy(app, high)),
				every(5*time.Minute+30*time.Second, 10*time.Minute, 30*time.Second, unhealthy(app, high)),
				every(10*time.Minute, 12*time.Minute, 30*time.Second),
				one(12*time.Minute, []string{res}),
				every(12*time.Minute+30*time.Second, 20*time.Minute, 30*time.Second),
			),
		},
		{
			name: "environment for override",
			steps: steps(
				every(0, 2*time.Minute, 30*time.Second, unhealthy(app, fast)),
				one(2*time.Minute, []string{trig}, unhealthy(app, fast)),
			),
		},
		{
			name: "a blip shorter than for never pages, and the clock restarts",
			steps: steps(
				every(0, 4*time.Minute+30*time.Second, 30*time.Second, unhealthy(app, high)),
				every(4*time.Minute+30*time.Second, 5*time.Minute, 30*time.Second),
				every(5*time.Minute, 10*time.Minute, 30*time.Second, unhealthy(app, high)),
				one(10*time.Minute, []string{trig}, unhealthy(app, high)),
			),
		},
		{
			name: "a flapping task pages once and resolves once",
			steps: steps(
				every(0, 5*time.Minute, time.Minute, unhealthy(app, high)),
				one(5*time.Minute, []string{trig}, unhealthy(app, high)),
				flap(5*time.Minute+30*time.Second, 30*time.Minute, unhealthy(app, high)),
				every(30*time.Minute, 32*time.Minute, 30*time.Second),
				one(32*time.Minute, []string{res}),
			),
		},
		{
			name: "for zero pages on first sight",
			steps: one(0, []string{"trigger pacer/ams/services/autofill/production/app/SyncFailed error"},
				cond(SyncFailed, "ams", app, &Policy{Urgency: UrgencyHigh, For: map[Condition]time.Duration{SyncFailed: 0}})),
		},
		{
			name: "a deployment pages once its age passes the limit, even one first seen old",
			steps: steps(
				one(0, nil, stuck(app, 10*time.Minute, high)),
				one(4*time.Minute, nil, stuck(app, 14*time.Minute, high)),
				one(5*time.Minute, []string{"trigger pacer/ams/services/autofill/production/app/DeploymentStuck error"}, stuck(app, 15*time.Minute, high)),
				one(6*time.Minute, []string{"trigger pacer/ams/services/other/DeploymentStuck error"},
					stuck(app, 16*time.Minute, high), stuck("/services/other", time.Hour, high)),
			),
		},
		{
			name: "an environment that does not page is tracked but sends nothing",
			steps: steps(
				every(0, 10*time.Minute, time.Minute, unhealthy(app, nil)),
				every(10*time.Minute, 20*time.Minute, time.Minute),
			),
		},
		{
			name: "MarathonUnreachable inhibits the cluster's per-app conditions",
			steps: steps(
				every(0, 5*time.Minute, time.Minute, unhealthy(app, high)),
				one(5*time.Minute, []string{trig}, unhealthy(app, high)),
				// Marathon goes away: no app is seen, nothing resolves; a
				// SyncFailed seen meanwhile does not page; lhr still pages.
				every(6*time.Minute, 8*time.Minute, time.Minute, cond(MarathonUnreachable, "ams", "", nil),
					cond(SyncFailed, "ams", "/x", high), cond(SyncFailed, "lhr", "/x", high)),
				one(8*time.Minute, []string{"trigger pacer/ams/-/MarathonUnreachable critical"},
					cond(MarathonUnreachable, "ams", "", nil), cond(SyncFailed, "ams", "/x", high), cond(SyncFailed, "lhr", "/x", high)),
				every(9*time.Minute, 11*time.Minute, time.Minute, cond(MarathonUnreachable, "ams", "", nil),
					cond(SyncFailed, "ams", "/x", high), cond(SyncFailed, "lhr", "/x", high)),
				one(11*time.Minute, []string{"trigger pacer/lhr/x/SyncFailed error"},
					cond(MarathonUnreachable, "ams", "", nil), cond(SyncFailed, "ams", "/x", high), cond(SyncFailed, "lhr", "/x", high)),
				every(12*time.Minute, 20*time.Minute, time.Minute, cond(MarathonUnreachable, "ams", "", nil),
					cond(SyncFailed, "ams", "/x", high), cond(SyncFailed, "lhr", "/x", high)),
				// Marathon answers again and everything healed; the cluster
				// incident resolves first, then the app's after its own hysteresis.
				every(20*time.Minute, 22*time.Minute, time.Minute),
				one(22*time.Minute, []string{"resolve pacer/ams/-/MarathonUnreachable critical",
					"resolve pacer/lhr/x/SyncFailed error"}),
				every(23*time.Minute, 25*time.Minute, time.Minute),
				one(25*time.Minute, []string{res}),
				every(26*time.Minute, 40*time.Minute, time.Minute),
			),
		},
		{
			name: "inhibited conditions page once Marathon is back if they still hold",
			steps: steps(
				every(0, 2*time.Minute, time.Minute, cond(MarathonUnreachable, "ams", "", nil), unhealthy(app, high)),
				one(2*time.Minute, []string{"trigger pacer/ams/-/MarathonUnreachable critical"},
					cond(MarathonUnreachable, "ams", "", nil), unhealthy(app, high)),
				every(3*time.Minute, 4*time.Minute, time.Minute, cond(MarathonUnreachable, "ams", "", nil), unhealthy(app, high)),
				every(4*time.Minute, 6*time.Minute, time.Minute, unhealthy(app, high)),
				one(6*time.Minute, []string{"resolve pacer/ams/-/MarathonUnreachable critical"}, unhealthy(app, high)),
				one(7*time.Minute, []string{trig}, unhealthy(app, high)),
			),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(TrackerOptions{ClusterPolicy: Policy{Urgency: UrgencyHigh}})
			for _, s := range tc.steps {
				got := lines(tr.Observe(epoch.Add(s.at), s.sigs))
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Fatalf("at %s (-want +got):\n%s", s.at, diff)
				}
			}
		})
	}
}

// flap alternates sig holding and clear every 30s.
func flap(from, to time.Duration, sig Signal) []step {
	var out []step
	on := true
	for at := from; at < to; at += 30 * time.Second {
		s := step{at: at}
		if on {
			s.sigs = []Signal{sig}
		}
		on = !on
		out = append(out, s)
	}
	return out
}

func lines(incs []Incident) []string {
	var out []string
	for _, inc := range incs {
		out = append(out, fmt.Sprintf("%s %s %s", inc.State, inc.DedupKey, inc.Severity))
	}
	return out
}

func TestTrackerIncident(t *testing.T) {
	tr := NewTracker(TrackerOptions{Links: LinkOptions{
		MarathonURL: map[string]string{"ams": "http://marathon-1.ams:8080/"},
		StatusURL:   "http://pacer.ams:9090/status",
	}})
	sig := unhealthy(app, &Policy{Urgency: UrgencyHigh, RoutingKey: KeyRef{FromEnv: "PD_AUTOFILL_PROD"}})
	sig.Details.Message = "Task killed: health check failed 3 times"
	tr.Observe(epoch, []Signal{sig})
	got := tr.Observe(epoch.Add(5*time.Minute), []Signal{sig})
	want := []Incident{{
		State: Triggered, DedupKey: "pacer/ams/services/autofill/production/app/Unhealthy",
		Route: KeyRef{FromEnv: "PD_AUTOFILL_PROD"}, Condition: Unhealthy, Cluster: "ams", App: app,
		Group: "/services/autofill", Environment: "production", Severity: SeverityCritical,
		Summary: "/services/autofill/production/app: 3 of 12 tasks unhealthy for 5m on ams: last failure: Task killed: health check failed 3 times",
		Since:   epoch, At: epoch.Add(5 * time.Minute), Details: sig.Details,
		Links: []Link{
			{Href: "http://marathon-1.ams:8080/ui/#/apps/%2Fservices%2Fautofill%2Fproduction%2Fapp", Text: "Marathon: " + app},
			{Href: "http://pacer.ams:9090/status?app=%2Fservices%2Fautofill%2Fproduction%2Fapp", Text: "pacer status"},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("trigger (-want +got):\n%s", diff)
	}
	gotStatus := tr.Snapshot()
	wantStatus := []Status{{DedupKey: want[0].DedupKey, Condition: Unhealthy, Cluster: "ams", App: app, Phase: "firing", Since: epoch, Paged: true}}
	if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	tr.Observe(epoch.Add(6*time.Minute), nil)
	if got := tr.Snapshot()[0].Phase; got != "clearing" {
		t.Errorf("phase after clearing = %q, want clearing", got)
	}
	got = tr.Observe(epoch.Add(8*time.Minute), nil)
	if len(got) != 1 || got[0].State != Resolved || got[0].Summary != "Resolved after 8m: "+want[0].Summary {
		t.Errorf("resolve = %+v", got)
	}
}

func TestTrackerRestore(t *testing.T) {
	high := pagePolicy(UrgencyHigh)
	before := NewTracker(TrackerOptions{})
	before.Observe(epoch, []Signal{unhealthy(app, high), unhealthy("/b", high)})
	before.Observe(epoch.Add(5*time.Minute), []Signal{unhealthy(app, high), unhealthy("/b", high)})
	open := before.OpenIncidents()
	if len(open) != 2 {
		t.Fatalf("open = %+v, want 2", open)
	}

	// Restarted: app still unhealthy (no second trigger), /b healed meanwhile (resolved).
	after := NewTracker(TrackerOptions{})
	after.Restore(open)
	var got []string
	for at := 6 * time.Minute; at <= 10*time.Minute; at += time.Minute {
		got = append(got, lines(after.Observe(epoch.Add(at), []Signal{unhealthy(app, high)}))...)
	}
	want := []string{"resolve pacer/ams/b/Unhealthy critical"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after restart (-want +got):\n%s", diff)
	}
}

func TestTrackerSilence(t *testing.T) {
	high := pagePolicy(UrgencyHigh)
	tr := NewTracker(TrackerOptions{})
	tr.SetSilences([]Silence{
		{App: app, Until: epoch.Add(10 * time.Minute), Reason: "rolling mongo upgrade"},
		{Cluster: "lhr", Conditions: []Condition{SyncFailed}, Until: epoch.Add(time.Hour), Reason: "maintenance"},
	})
	var got []string
	for at := time.Duration(0); at <= 12*time.Minute; at += time.Minute {
		sigs := []Signal{unhealthy(app, high), cond(SyncFailed, "lhr", "/x", high), cond(Unhealthy, "lhr", "/x", high)}
		got = append(got, prefixed(at, tr.Observe(epoch.Add(at), sigs))...)
		if at == 6*time.Minute {
			want := []Status{
				{DedupKey: "pacer/ams/services/autofill/production/app/Unhealthy", Condition: Unhealthy, Cluster: "ams", App: app, Phase: "firing", Since: epoch, Silenced: true},
				{DedupKey: "pacer/lhr/x/SyncFailed", Condition: SyncFailed, Cluster: "lhr", App: "/x", Phase: "firing", Since: epoch, Silenced: true},
				{DedupKey: "pacer/lhr/x/Unhealthy", Condition: Unhealthy, Cluster: "lhr", App: "/x", Phase: "firing", Since: epoch, Paged: true},
			}
			if diff := cmp.Diff(want, tr.Snapshot()); diff != "" {
				t.Errorf("snapshot while silenced (-want +got):\n%s", diff)
			}
		}
	}
	want := []string{
		"5m0s trigger pacer/lhr/x/Unhealthy critical",
		"10m0s trigger pacer/ams/services/autofill/production/app/Unhealthy critical", // the silence ended
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func prefixed(at time.Duration, incs []Incident) []string {
	var out []string
	for _, l := range lines(incs) {
		out = append(out, at.String()+" "+l)
	}
	return out
}
