package main

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
)

// TestPendingChanges: a change event waits while its deployment runs, is
// sent once Marathon finished it with the app converged, and is dropped when
// the deployment ended with the app not healthy.
func TestPendingChanges(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	change := func(app, action, dep string) alerting.Change {
		return alerting.Change{App: app, Action: action, DeploymentID: dep, At: at}
	}
	app := func(id string, h operator.Health, deps ...string) operator.AppStatus {
		return operator.AppStatus{ID: id, Health: h, Deployments: deps}
	}
	var p pendingChanges
	p.add(change("/web", "update", "d1"), change("/db", "create", "d2"), change("/old", "delete", "d3"),
		change("/api", "update", "d4"), change("/zero", "scale", "d5"))

	// Every deployment still runs: nothing is sent.
	running := []operator.AppStatus{app("/web", operator.Progressing, "d1"), app("/db", operator.Progressing, "d2"),
		app("/old", operator.Progressing, "d3"), app("/api", operator.Progressing, "d4"), app("/zero", operator.Progressing, "d5")}
	if ok, bad := p.done(running); len(ok)+len(bad) != 0 {
		t.Fatalf("while deploying: sent %v, dropped %v", ok, bad)
	}

	// Finished: web and zero converged, old is gone, api ended degraded
	// (its deployment was cancelled); db still deploys.
	after := []operator.AppStatus{app("/web", operator.Healthy), app("/db", operator.Progressing, "d2"),
		app("/api", operator.Degraded), app("/zero", operator.Suspended)}
	ok, bad := p.done(after)
	ids := func(cs []alerting.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.App)
		}
		return out
	}
	if diff := cmp.Diff([]string{"/old", "/web", "/zero"}, slices.Sorted(slices.Values(ids(ok)))); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/api"}, ids(bad)); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	ok, bad = p.done([]operator.AppStatus{app("/db", operator.Healthy)})
	if diff := cmp.Diff([]string{"/db"}, ids(ok)); diff != "" || len(bad) != 0 {
		t.Errorf("db after its deployment: sent %v, dropped %v", ids(ok), ids(bad))
	}
	if ok, bad := p.done(nil); len(ok)+len(bad) != 0 {
		t.Errorf("sent twice: %v %v", ok, bad)
	}
}
