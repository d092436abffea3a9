package paging

import (
	"testing"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// The status page reads the open incidents the leader's alerter tracks;
// a follower knows none.
func TestIncidentsForTheStatusPage(t *testing.T) {
	al, err := New(Options{Cluster: "ams", Store: &memStore{}, LogOnly: true, CrashWindow: time.Minute,
		For: map[alerting.Condition]time.Duration{alerting.InvalidSpecRevision: 0}}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	al.notifier, al.now = &recordingNotifier{}, func() time.Time { return now }
	pages := &specs.Alerting{Urgency: "high", RoutingKey: specs.SecretRef{FromEnv: "PD_WEB"}}
	st := status.Cluster{Cluster: "ams", Leader: true, Ready: true,
		InvalidRevision: &status.InvalidRevision{ID: "bad", Error: "x.yaml:1:1: nope", Since: now},
		Apps:            []status.App{{ID: "/web", Environment: "production", Sync: status.Synced, Health: status.Healthy, Alerting: pages}}}
	if got := al.Incidents(); got != nil {
		t.Fatalf("before any pass: %v", got)
	}
	al.observe(t.Context(), pass{st: st})
	got := al.Incidents()
	if len(got) != 1 || got[0].Condition != string(alerting.InvalidSpecRevision) || got[0].Summary == "" {
		t.Fatalf("leader's incidents = %+v, want the invalid revision", got)
	}
	st.Leader = false
	al.observe(t.Context(), pass{st: st, followed: true})
	if got := al.Incidents(); got != nil {
		t.Errorf("follower's incidents = %+v, want none", got)
	}
}
