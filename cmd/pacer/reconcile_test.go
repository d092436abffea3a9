package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// startSim serves an in-process Marathon simulator with fast task starts.
func startSim(t *testing.T) string {
	t.Helper()
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		if err := sim.Close(); err != nil {
			t.Errorf("close sim: %v", err)
		}
	})
	return srv.URL
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut)
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestReconcileExamplesConverge walks the whole CLI loop against the
// simulator: plan from empty, apply, an empty second plan, drift made through
// the Marathon API shown as an update back to git, and healed by reconcile.
func TestReconcileExamplesConverge(t *testing.T) {
	url := startSim(t)
	base := []string{"--specs", "../../examples/specs", "--cluster", "ams", "--marathon", url}

	r := runCLI(t, append([]string{"diff", "--detailed-exitcode"}, base...)...)
	if r.code != exitChanges {
		t.Fatalf("first diff: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitChanges, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "/services/autofill/production/app") {
		t.Errorf("first diff does not list the autofill app:\n%s", r.stdout)
	}

	r = runCLI(t, append([]string{"reconcile", "--wait-timeout", "2m"}, base...)...)
	if r.code != exitOK {
		t.Fatalf("reconcile: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	r = runCLI(t, append([]string{"reconcile", "--dry-run", "--detailed-exitcode", "-o", "json"}, base...)...)
	if r.code != exitOK {
		t.Fatalf("second plan is not empty: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var plan struct {
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	if plan.Summary["unchanged"] == 0 || plan.Summary["create"]+plan.Summary["update"]+plan.Summary["delete"]+plan.Summary["scale"] != 0 {
		t.Errorf("second plan summary = %v, want only unchanged apps", plan.Summary)
	}

	// Drift: someone scales an app by hand in the Marathon UI.
	drifted := "/services/autofill/production/checks"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, url+"/v2/apps"+drifted+"?force=true", strings.NewReader(`{"instances": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("drift PUT: %s", resp.Status)
	}

	r = runCLI(t, append([]string{"diff", "--detailed-exitcode", "-o", "markdown"}, base...)...)
	if r.code != exitChanges {
		t.Fatalf("diff after drift: exit %d, want %d\n%s\n%s", r.code, exitChanges, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, drifted) || !strings.Contains(r.stdout, "instances") {
		t.Errorf("drift plan does not show %s instances:\n%s", drifted, r.stdout)
	}

	r = runCLI(t, append([]string{"reconcile", "--force", "--wait-timeout", "2m"}, base...)...)
	if r.code != exitOK {
		t.Fatalf("healing reconcile: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, append([]string{"diff", "--detailed-exitcode"}, base...)...)
	if r.code != exitOK {
		t.Fatalf("diff after healing: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestReconcileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no cluster", []string{"diff", "--specs", "../../examples/specs", "--cluster", ""}, "--cluster is required"},
		{"unknown cluster", []string{"diff", "--specs", "../../examples/specs", "--cluster", "nowhere"}, `cluster "nowhere" is not defined`},
		{"bad format", []string{"diff", "--specs", "../../examples/specs", "--cluster", "ams", "-o", "xml"}, `unknown output format "xml" (want text, json, yaml or markdown)`},
		{"marathon down", []string{"diff", "--specs", "../../examples/specs", "--cluster", "ams", "--marathon", "http://127.0.0.1:1", "--retries", "0"}, "read live apps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.args...)
			if r.code != exitError {
				t.Fatalf("exit %d, want %d\n%s", r.code, exitError, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tc.want)
			}
		})
	}
}
