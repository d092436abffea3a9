package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/status"
)

// TestStatusListsChecks: pacer status -o json lists the custom checks in
// the status model's form, with the state the pacer at --checks-from
// reports (and PENDING for a check it has no result of); the text output
// shows the same states.
func TestStatusListsChecks(t *testing.T) {
	url := startSim(t)
	dir := checkTree(t)
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	reported := checks.CheckState{ID: "/services/web/production:app-tcp", Name: "app-tcp", Kind: "tcp", Environment: "production",
		Group: "/services/web/production", Cluster: "ams", App: "/services/web/production/app",
		Tip: "the app does not accept connections", Runbook: "https://wiki.example/web",
		Status: checks.Status{Hard: checks.Critical, Since: at, Runs: 3,
			Last: checks.Result{State: checks.Critical, Summary: "1 of 1 tasks failing: connection refused", Started: at.Add(time.Minute)}}}
	pacer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != checks.APIPath {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(checks.APIResponse{Checks: checks.Records([]checks.CheckState{reported})})
	}))
	defer pacer.Close()
	base := []string{"--specs", dir, "--cluster", "ams", "--marathon", url, "--checks-from", pacer.URL}

	r := runCLI(t, append([]string{"status", "-o", "json"}, base...)...)
	if r.code != exitOK {
		t.Fatalf("status -o json: exit %d\n%s", r.code, r.stderr)
	}
	var out statusOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, r.stdout)
	}
	if len(out.Apps) != 2 {
		t.Errorf("%d apps, want 2", len(out.Apps))
	}
	got := map[string]status.Check{}
	for _, c := range out.Checks {
		got[c.Name] = c
	}
	want := map[string]status.Check{
		"app-tcp": {ID: reported.ID, Name: "app-tcp", Kind: "tcp", Cluster: "ams", Group: reported.Group, Environment: "production",
			App: reported.App, State: status.CheckCritical, Since: at, LastRun: at.Add(time.Minute), Runs: 3,
			Summary: "1 of 1 tasks failing: connection refused", Tip: reported.Tip, Runbook: reported.Runbook},
		"warn": {ID: "/services/web/production:warn", Name: "warn", Kind: "exec", Cluster: "ams", Group: "/services/web/production",
			ServiceGroup: "/services/web", Environment: "production", App: "/services/web/production/checks", State: status.CheckPending},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("status -o json checks (-want +got):\n%s", d)
	}

	text := runCLI(t, append([]string{"status"}, base...)...)
	if !strings.Contains(text.stdout, "/services/web/production:app-tcp  CRITICAL  2026-12-04T03:00:00Z  2026-12-04T03:01:00Z  1 of 1 tasks failing") {
		t.Errorf("status text does not show the reported check state:\n%s", text.stdout)
	}
}
