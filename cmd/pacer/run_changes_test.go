package main

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
)

// TestPendingChanges: a change event waits while its deployment runs and is
// sent once, oldest first, when Marathon no longer runs it (also for a
// deleted app, which is gone from the status).
func TestPendingChanges(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	change := func(app, action, dep string, after time.Duration) alerting.Change {
		return alerting.Change{App: app, Action: action, DeploymentID: dep, At: at.Add(after)}
	}
	app := func(id string, deps ...string) operator.AppStatus {
		return operator.AppStatus{ID: id, Deployments: deps}
	}
	ids := func(cs []alerting.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.App)
		}
		return out
	}
	var p pendingChanges
	p.add(change("/web", "update", "d1", 3*time.Second), change("/db", "create", "d2", 0),
		change("/old", "delete", "d3", time.Second), change("/api", "update", "d4", 2*time.Second))

	running := []operator.AppStatus{app("/web", "d1"), app("/db", "d2"), app("/old", "d3"), app("/api", "other", "d4")}
	if got := p.done(running); len(got) != 0 {
		t.Fatalf("while deploying: sent %v", ids(got))
	}
	// web, old (deleted: gone from the status) and api finished; db deploys.
	got := p.done([]operator.AppStatus{app("/web"), app("/db", "d2"), app("/api", "other")})
	if diff := cmp.Diff([]string{"/old", "/api", "/web"}, ids(got)); diff != "" {
		t.Errorf("sent (-want +got, oldest first):\n%s", diff)
	}
	got = p.done([]operator.AppStatus{app("/db")})
	if !slices.Equal(ids(got), []string{"/db"}) {
		t.Errorf("db after its deployment: sent %v", ids(got))
	}
	if got := p.done(nil); len(got) != 0 {
		t.Errorf("sent twice: %v", ids(got))
	}
}
