package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// End-to-end test of the custom checks (issue 15): marathon-sim's process
// executor runs `pacer agent` as the real task of the checks app, with the
// exec checks pacer rendered into its env; the agent runs a real Nagios
// plugin (Debian monitoring-plugins' check_file_age) on schedule; the
// pacer leader collects the result from the task's port with the bearer
// token and pages through PagerDuty (pdtest) once, and resolves once.
// Helpers carry a chk prefix: other e2e files define their own.

const (
	chkProdKey = "chkprodchkprodchkprodchkprodchkp"
	chkToken   = "agent-token-for-the-e2e-test"
	chkPlugin  = "/usr/lib/nagios/plugins/check_file_age"
)

// chkSpecs is cluster ams and service group /services/chk (production,
// paging at high urgency) with a checks app running pacer agent and an
// exec check that is CRITICAL while marker is missing.
func chkSpecs(marker string) map[string]string {
	return map[string]string{
		"specs/clusters.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`,
		"specs/services/chk.yaml": fmt.Sprintf(`apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: chk, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}, alerting: {urgency: high, routingKey: {fromEnv: PD_CHK_PROD}}}
  apps:
    checks:
      instances: 1
      cpus: 0.01
      mem: 32
      cmd: "exec %s agent --log-format console"
      portDefinitions: [{port: 0, name: results}]
      env: {PACER_AGENT_TOKEN: %s}
  checks:
    marker:
      exec: {app: checks, command: [%s, -f, %s, -w, "3600", -c, "7200"], timeout: 5s}
      interval: 1s
      for: 2
      tip: the marker file is gone
`, bin.pacer, chkToken, chkPlugin, marker),
	}
}

// chkAPI is the part of /api/v1/checks the test reads.
type chkAPI struct {
	Checks []struct {
		ID     string `json:"id"`
		Task   string `json:"task"`
		Status struct {
			Hard string `json:"hard"`
			Runs int    `json:"runs"`
			Last struct {
				Summary string `json:"summary"`
			} `json:"last"`
		} `json:"status"`
	} `json:"checks"`
	Stale []struct {
		App string `json:"app"`
	} `json:"stale"`
}

func chkState(base string) (chkAPI, error) {
	var out chkAPI
	resp, err := http.Get(base + "/api/v1/checks")
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// TestCheckExecByAgentPagesOnce: a failing exec check pages once and
// resolves once; the state, output and task show in /api/v1/checks.
func TestCheckExecByAgentPagesOnce(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(chkPlugin); err != nil {
		t.Fatalf("%s missing: apt-get install monitoring-plugins-basic (make deps)", chkPlugin)
	}
	marker := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	simURL := startSim(t, "--executor", "process", "--task-start", "10ms")
	repo := gittest.New(t)
	repo.Push("checks", chkSpecs(marker))
	pd := newFaultPD(t)
	args := append(faultGitArgs(t, repo, simURL), "--pagerduty-endpoint", pd.URL,
		"--checks-collect-interval", "300ms", "--alert-clear-for", "1s")
	p := startFaultPacer(t, []string{"PD_CHK_PROD=" + chkProdKey, "PACER_AGENT_TOKEN=" + chkToken}, args...)

	const id = "/services/chk/production:marker"
	key := "pacer/ams/services/chk/production:marker/CheckFailed"
	hard := func(want, summary string) func() (bool, error) {
		return func() (bool, error) {
			st, err := chkState(p.base)
			if err != nil {
				return false, err
			}
			for _, c := range st.Checks {
				if c.ID == id {
					ok := c.Status.Runs > 0 && c.Status.Hard == want && strings.HasPrefix(c.Status.Last.Summary, summary) &&
						strings.HasPrefix(c.Task, "services_chk_production_checks.")
					return ok, fmt.Errorf("check %s: %+v", id, c)
				}
			}
			return false, fmt.Errorf("no check %s in %+v", id, st)
		}
	}
	eventually(t, 30*time.Second, "the agent runs the check and the leader collects it OK", hard("OK", "FILE_AGE OK"))
	if got := pd.incidents(); len(got) > 0 {
		t.Fatalf("paged while the check is OK: %q", got)
	}

	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "CRITICAL once for 2 runs", hard("CRITICAL", "FILE_AGE CRITICAL"))
	pd.waitIncidents(t, 20*time.Second, "CheckFailed paged", map[string][]string{key: {"trigger"}})
	for _, e := range pd.recv.Events() {
		if e.DedupKey == key && e.RoutingKey != chkProdKey {
			t.Errorf("routed with %q, want the environment's key", e.RoutingKey)
		}
	}

	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "OK again", hard("OK", "FILE_AGE OK"))
	pd.waitIncidents(t, 20*time.Second, "CheckFailed resolved", map[string][]string{key: {"trigger", "resolve"}})
	// A few more collect cycles and passes: nothing pages again.
	since := time.Now()
	eventually(t, 10*time.Second, "passes after the resolve", func() (bool, error) {
		st, err := p.status()
		return err == nil && st.LastPass.After(since.Add(2*time.Second)), err
	})
	pd.waitIncidents(t, 0, "nothing paged after the resolve", map[string][]string{key: {"trigger", "resolve"}})
}
