package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestStatus: before an apply every app is out of sync and missing; after
// it every app is synced and healthy; a task failing its health checks
// shows its app degraded, and --detailed-exitcode turns that into exit 2.
func TestStatus(t *testing.T) {
	url := startSim(t)
	base := []string{"--specs", "../../examples/specs", "--cluster", "ams", "--marathon", url}
	rows := func(wantCode int) map[string]statusRow {
		t.Helper()
		r := runCLI(t, append([]string{"status", "-o", "json", "--detailed-exitcode"}, base...)...)
		if r.code != wantCode {
			t.Fatalf("status: exit %d, want %d\n%s\n%s", r.code, wantCode, r.stdout, r.stderr)
		}
		var out statusOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("status -o json: %v\n%s", err, r.stdout)
		}
		m := map[string]statusRow{}
		for _, row := range out.Apps {
			m[row.ID] = row
		}
		return m
	}

	before := rows(exitChanges)
	app := before["/services/autofill/production/app"]
	if app.Sync != "OutOfSync" || app.Health != "Missing" || app.Action != "create" {
		t.Errorf("before apply: %+v, want OutOfSync, Missing, create", app)
	}
	if r := runCLI(t, append([]string{"reconcile", "--wait-timeout", "2m"}, base...)...); r.code != exitOK {
		t.Fatalf("reconcile: exit %d\n%s", r.code, r.stderr)
	}
	after := rows(exitOK)
	if len(after) != len(before) {
		t.Errorf("%d apps after apply, %d before", len(after), len(before))
	}
	for id, row := range after {
		if row.Sync != "Synced" || row.Health != "Healthy" || row.Running != row.Instances {
			t.Errorf("after apply %s: %+v, want Synced and Healthy with every instance running", id, row)
		}
	}

	// One task of the production app stops passing its health checks.
	var tasks struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	getJSON(t, url+"/v2/apps/services/autofill/production/app/tasks", &tasks)
	if len(tasks.Tasks) == 0 {
		t.Fatal("no tasks")
	}
	resp, err := http.Post(url+"/sim/v1/tasks/"+tasks.Tasks[0].ID+"/health", "application/json", strings.NewReader(`{"alive":false}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	degraded := rows(exitChanges)["/services/autofill/production/app"]
	if degraded.Health != "Degraded" || degraded.Sync != "Synced" || degraded.Unhealthy != 1 {
		t.Errorf("with an unhealthy task: %+v, want Degraded, Synced, 1 unhealthy", degraded)
	}

	text := runCLI(t, append([]string{"status"}, base...)...)
	if text.code != exitOK || !regexp.MustCompile(`(?m)^/services/autofill/production/app\s+Synced\s+Degraded\s+12/11/12\s`).MatchString(text.stdout) {
		t.Errorf("status text: exit %d\n%s", text.code, text.stdout)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
