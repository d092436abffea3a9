package e2e

import (
	"encoding/json"
	"fmt"
	"io"
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
		ID      string `json:"id"`
		Task    string `json:"task"`
		State   string `json:"state"`
		Runs    int    `json:"runs"`
		Summary string `json:"summary"`
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
					ok := c.Runs > 0 && c.State == want && strings.HasPrefix(c.Summary, summary) &&
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

// chkProbeSpecs is chkSpecs' cluster with a checks app (running agentCmd),
// a Python check script run by the agent, and an http probe by the leader
// of a web app served by a real process (python3 -m http.server).
func chkProbeSpecs(agentCmd string) map[string]string {
	script := filepath.Join(bin.repoRoot, "checks", "testdata", "check_queue.py")
	files := chkSpecs("/nonexistent")
	files["specs/services/chk.yaml"] = fmt.Sprintf(`apiVersion: pacer.dev/v1
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
      cmd: %q
      portDefinitions: [{port: 0, name: results}]
      env: {PACER_AGENT_TOKEN: %s}
    web:
      instances: 2
      cpus: 0.01
      mem: 32
      cmd: "exec python3 -m http.server $PORT0 --bind 127.0.0.1"
      portDefinitions: [{port: 0, name: http}]
  checks:
    queue:
      exec: {app: checks, command: [python3, %s, "3"], timeout: 5s}
      interval: 1s
    web-http:
      http: {app: web, portName: http, path: /, expect: {status: [200]}}
      interval: 1s
`, agentCmd, chkToken, script)
	return files
}

// TestCheckProbesAndStaleAgent: a Python check script run by the agent and
// an http probe of real task processes are collected OK; replacing the
// agent by a command that serves nothing makes its app stale: one
// CheckAgentStale page (not one per exec check), resolved once the agent
// is back.
func TestCheckProbesAndStaleAgent(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--executor", "process", "--task-start", "10ms")
	repo := gittest.New(t)
	agent := "exec " + bin.pacer + " agent --log-format console"
	repo.Push("checks", chkProbeSpecs(agent))
	pd := newFaultPD(t)
	args := append(faultGitArgs(t, repo, simURL), "--pagerduty-endpoint", pd.URL,
		"--checks-collect-interval", "300ms", "--alert-clear-for", "1s", "--alert-for", "CheckAgentStale=1s")
	p := startFaultPacer(t, []string{"PD_CHK_PROD=" + chkProdKey, "PACER_AGENT_TOKEN=" + chkToken}, args...)

	states := func(want map[string]string, stale int) func() (bool, error) {
		return func() (bool, error) {
			st, err := chkState(p.base)
			if err != nil {
				return false, err
			}
			got := map[string]string{}
			for _, c := range st.Checks {
				if c.Runs > 0 {
					got[c.ID] = c.State + " " + c.Summary
				}
			}
			for id, w := range want {
				if !strings.HasPrefix(got[id], w) {
					return false, fmt.Errorf("checks %q, stale %+v", got, st.Stale)
				}
			}
			return len(st.Stale) == stale, fmt.Errorf("checks %q, stale %+v", got, st.Stale)
		}
	}
	eventually(t, 30*time.Second, "python check and http probe OK", states(map[string]string{
		"/services/chk/production:queue":    "OK QUEUE OK - 3 messages waiting",
		"/services/chk/production:web-http": "OK 0 of 2 tasks failing",
	}, 0))
	if got := pd.incidents(); len(got) > 0 {
		t.Fatalf("paged while every check is OK: %q", got)
	}
	metrics := chkMetrics(t, p.base)
	for _, want := range []string{
		`pacer_check_state{check="/services/chk/production:web-http",environment="production",kind="http"} 0`,
		`pacer_check_state{check="/services/chk/production:queue",environment="production",kind="exec"} 0`,
		`pacer_check_perfdata{check="/services/chk/production:web-http",label="failing",uom=""} 0`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(metrics, `pacer_check_runs_total{check="/services/chk/production:web-http",kind="http",state="OK"} `) {
		t.Errorf("/metrics lacks the http check's runs")
	}

	repo.Push("the checks app no longer runs the agent", chkProbeSpecs("sleep 1000"))
	key := "pacer/ams/services/chk/production/checks/CheckAgentStale"
	pd.waitIncidents(t, 30*time.Second, "one stale page", map[string][]string{key: {"trigger"}})
	eventually(t, 10*time.Second, "the app stale in the API", states(nil, 1))

	repo.Push("the agent is back", chkProbeSpecs(agent))
	pd.waitIncidents(t, 30*time.Second, "stale resolved", map[string][]string{key: {"trigger", "resolve"}})
}

func chkMetrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
