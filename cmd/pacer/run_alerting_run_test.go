package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/internal/proctest"
)

// Routing keys: PagerDuty's are 32 characters.
const (
	prodKey    = "prodprodprodprodprodprodprodprod"
	testKey    = "testtesttesttesttesttesttesttest"
	defaultKey = "defaultdefaultdefaultdefaultdefa"
	prodAPI    = "/services/web/production/api"
	testAPI    = "/services/web/test/api"
)

// pagingSpecs: production pages at high urgency, test is capped at
// warning; both through routing keys named by env vars, Unhealthy after 1s.
func pagingSpecs(instances string) map[string]string {
	return map[string]string{"specs/web.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}, alerting: {urgency: high, routingKey: {fromEnv: PD_WEB_PROD}, for: {Unhealthy: 1s}}}
    test: {clusters: [ams], sync: {policy: automated}, alerting: {urgency: high, routingKey: {fromEnv: PD_WEB_TEST}, for: {Unhealthy: 1s}}}
  apps:
    api:
      instances: ` + instances + `
      cpus: 0.1
      mem: 32
      cmd: "sleep 1000"
      healthChecks: [{protocol: COMMAND, command: {value: "true"}, intervalSeconds: 1, gracePeriodSeconds: 1, maxConsecutiveFailures: 0}]
`}
}

// pacerRun is one `pacer run` process in the test.
type pacerRun struct {
	base    string
	stderr  *proctest.Buffer
	cancel  context.CancelFunc
	exit    chan int
	stopped bool
}

func startPacer(t *testing.T, args ...string) *pacerRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	p := &pacerRun{stderr: &proctest.Buffer{}, cancel: cancel, exit: make(chan int, 1)}
	var stdout proctest.Buffer
	go func() { p.exit <- run(ctx, append([]string{"run"}, args...), &stdout, p.stderr) }()
	p.base = waitListen(t, p.stderr)
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *pacerRun) stop(t *testing.T) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	p.cancel()
	select {
	case code := <-p.exit:
		if code != 0 {
			t.Errorf("pacer run exited %d\n%s", code, p.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pacer run did not stop")
	}
}

// pdEvent is an accepted event, decoded enough to check it.
type pdEvent struct {
	RoutingKey string `json:"routing_key"`
	Action     string `json:"event_action"`
	DedupKey   string `json:"dedup_key"`
	Payload    struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Component     string         `json:"component"`
		Class         string         `json:"class"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
}

func decodeEvents(t *testing.T, evs []pdtest.Event) []pdEvent {
	t.Helper()
	out := make([]pdEvent, 0, len(evs))
	for _, e := range evs {
		var d pdEvent
		if err := json.Unmarshal(e.Body, &d); err != nil {
			t.Fatal(err)
		}
		if e.Path == pdtest.ChangePath {
			d.Action = "change"
		}
		out = append(out, d)
	}
	return out
}

// incidentLog is each dedup key's triggers and resolves, in the order
// PagerDuty accepted them. Keys are compared apart: each routing key has
// its own queue, so only the order within a key is defined.
func incidentLog(t *testing.T, recv *pdtest.Receiver) map[string][]string {
	out := map[string][]string{}
	for _, e := range decodeEvents(t, recv.Events()) {
		if e.Action != "change" {
			out[e.DedupKey] = append(out[e.DedupKey], e.Action)
		}
	}
	return out
}

func waitIncidents(t *testing.T, recv *pdtest.Receiver, p *pacerRun, what string, want map[string][]string) {
	t.Helper()
	eventually(t, 15*time.Second, what, func() (bool, string) {
		got := incidentLog(t, recv)
		return cmp.Equal(want, got), fmt.Sprintf("%q\n%s", got, p.stderr.String())
	})
}

// with returns log plus actions for key, leaving log as it is.
func with(log map[string][]string, key string, actions ...string) map[string][]string {
	out := make(map[string][]string, len(log)+1)
	for k, v := range log {
		out[k] = slices.Clone(v)
	}
	out[key] = append(out[key], actions...)
	return out
}

func simTasks(t *testing.T, simURL, app string) []string {
	t.Helper()
	resp, err := http.Get(simURL + "/v2/apps" + app + "/tasks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range body.Tasks {
		ids = append(ids, tk.ID)
	}
	return ids
}

func simControl(t *testing.T, simURL, method, path, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, simURL+"/sim/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
}

func setTaskHealth(t *testing.T, simURL, task string, alive bool) {
	t.Helper()
	simControl(t, simURL, http.MethodPost, "/tasks/"+task+"/health", fmt.Sprintf(`{"alive":%t}`, alive))
}

func waitHealthy(t *testing.T, p *pacerRun, apps ...string) {
	t.Helper()
	eventually(t, 10*time.Second, "apps healthy", func() (bool, string) {
		st, err := getStatus(t, p.base)
		if err != nil {
			return false, err.Error()
		}
		for _, id := range apps {
			if a, ok := appStatus(st, id); !ok || a.Health != "Healthy" {
				return false, fmt.Sprintf("%+v", a)
			}
		}
		return true, ""
	})
}

// TestRunPagesAndResolves runs `pacer run` against the simulator, a git
// repository and a local PagerDuty Events API: unhealthy tasks page once
// per app with the right dedup key, summary and severity and resolve once
// healed; deployments become change events; an invalid push pages and
// resolves, delivered in order after PagerDuty answered 500; an
// unreachable Marathon pages once for the cluster and nothing per app; and
// open incidents survive restarts (no second trigger, a resolve for what
// healed while pacer was down).
func TestRunPagesAndResolves(t *testing.T) {
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("two instances", pagingSpecs("2"))
	recv := pdtest.New(t, pdtest.Options{})
	t.Setenv("PD_WEB_PROD", prodKey)
	t.Setenv("PD_WEB_TEST", testKey)
	keyFile := filepath.Join(t.TempDir(), "default-key")
	if err := os.WriteFile(keyFile, []byte(defaultKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir, cacheDir := t.TempDir(), t.TempDir()
	args := []string{"--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", cacheDir,
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--sync-interval", "300ms", "--shutdown-timeout", "5s", "--log-format", "console",
		"--pagerduty-endpoint", recv.URL, "--pagerduty-routing-key-file", keyFile, "--state-dir", stateDir,
		"--alert-clear-for", "1s", "--alert-for", "InvalidSpecRevision=0s,MarathonUnreachable=500ms"}
	p := startPacer(t, args...)
	waitHealthy(t, p, prodAPI, testAPI)

	// Unhealthy tasks: one incident per app, critical in production,
	// warning in test.
	prodTask, testTask := simTasks(t, simURL, prodAPI)[0], simTasks(t, simURL, testAPI)[0]
	setTaskHealth(t, simURL, prodTask, false)
	setTaskHealth(t, simURL, testTask, false)
	prodKeyUnhealthy := "pacer/ams/services/web/production/api/Unhealthy"
	testKeyUnhealthy := "pacer/ams/services/web/test/api/Unhealthy"
	waitIncidents(t, recv, p, "unhealthy tasks paged", map[string][]string{prodKeyUnhealthy: {"trigger"}, testKeyUnhealthy: {"trigger"}})
	for _, e := range decodeEvents(t, recv.Events()) {
		if e.Action != "trigger" {
			continue
		}
		want := map[string][3]string{
			prodKeyUnhealthy: {prodKey, "critical", prodAPI + ": 1 of 2 tasks unhealthy for "},
			testKeyUnhealthy: {testKey, "warning", testAPI + ": 1 of 2 tasks unhealthy for "},
		}[e.DedupKey]
		if e.RoutingKey != want[0] || e.Payload.Severity != want[1] || !strings.HasPrefix(e.Payload.Summary, want[2]) ||
			!strings.HasSuffix(e.Payload.Summary, " on ams") || e.Payload.Source != "ams" || e.Payload.Class != "Unhealthy" {
			t.Errorf("trigger %s: key %s, severity %s, summary %q, source %s, class %s; want %v",
				e.DedupKey, e.RoutingKey, e.Payload.Severity, e.Payload.Summary, e.Payload.Source, e.Payload.Class, want)
		}
	}
	setTaskHealth(t, simURL, prodTask, true)
	setTaskHealth(t, simURL, testTask, true)
	healed := map[string][]string{prodKeyUnhealthy: {"trigger", "resolve"}, testKeyUnhealthy: {"trigger", "resolve"}}
	waitIncidents(t, recv, p, "healed tasks resolved", healed)

	// Deployments are change events: the creates, then a push.
	repo.Push("three instances", pagingSpecs("3"))
	eventually(t, 10*time.Second, "change events", func() (bool, string) {
		var got []string
		for _, e := range decodeEvents(t, recv.Events()) {
			if e.Action == "change" && e.RoutingKey == prodKey {
				got = append(got, e.Payload.Summary)
			}
		}
		return len(got) == 2 && strings.HasPrefix(got[0], prodAPI+" created revision ") &&
			strings.HasPrefix(got[1], prodAPI+" scaled revision ") && strings.HasSuffix(got[1], " on ams: instances"), fmt.Sprintf("%q", got)
	})
	for _, e := range decodeEvents(t, recv.Events()) {
		if e.Action == "change" && strings.Contains(e.Payload.Summary, "scaled") {
			d := e.Payload.CustomDetails
			if fmt.Sprint(d["changes"]) != "[instances: 2 → 3]" || d["revision"] == d["previous_revision"] || d["revision"] == nil {
				t.Errorf("change event details: %v", d)
			}
		}
	}

	// An invalid push pages at once (InvalidSpecRevision=0s) while PagerDuty
	// answers 500; the fix resolves it; both arrive, in order.
	recv.Answer(pdtest.Response{Status: 500}, pdtest.Response{Status: 500})
	before := recv.Requests()
	invalidKey := "pacer/ams/-/InvalidSpecRevision"
	repo.Push("broken", map[string]string{"specs/web.yaml": strings.Replace(pagingSpecs("3")["specs/web.yaml"], "cpus: 0.1", "cpus: -1", 1)})
	eventually(t, 10*time.Second, "invalid revision seen", func() (bool, string) {
		return recv.Requests() >= before+2, p.stderr.String()
	})
	repo.Push("fixed", pagingSpecs("3"))
	healed = with(healed, invalidKey, "trigger", "resolve")
	waitIncidents(t, recv, p, "invalid revision paged and resolved after 500s", healed)
	for _, e := range decodeEvents(t, recv.Events()) {
		if e.DedupKey == invalidKey && (e.RoutingKey != defaultKey || (e.Action == "trigger" && !strings.Contains(e.Payload.Summary, "invalid"))) {
			t.Errorf("invalid revision event: %+v", e)
		}
	}

	// Marathon unreachable: one cluster incident, nothing per app.
	simControl(t, simURL, http.MethodPost, "/faults", `{"errorRate": 1}`)
	unreachable := "pacer/ams/-/MarathonUnreachable"
	waitIncidents(t, recv, p, "Marathon unreachable paged", with(healed, unreachable, "trigger"))
	simControl(t, simURL, http.MethodDelete, "/faults", "")
	healed = with(healed, unreachable, "trigger", "resolve")
	waitIncidents(t, recv, p, "Marathon back resolved", healed)

	// Restarts: an incident open across a restart does not page again; one
	// that heals while pacer is down resolves when it is back.
	waitHealthy(t, p, prodAPI)
	prodTask = simTasks(t, simURL, prodAPI)[0]
	setTaskHealth(t, simURL, prodTask, false)
	open := with(healed, prodKeyUnhealthy, "trigger")
	waitIncidents(t, recv, p, "unhealthy again", open)
	p.stop(t)

	p = startPacer(t, args...)
	restarted := time.Now()
	eventually(t, 10*time.Second, "restarted pacer observed the open incident for longer than its for", func() (bool, string) {
		st, err := getStatus(t, p.base)
		return err == nil && st.LastPass.After(restarted.Add(2*time.Second)), p.stderr.String()
	})
	if got := incidentLog(t, recv); !cmp.Equal(open, got) {
		t.Errorf("after a restart with the incident still open (-want +got):\n%s", cmp.Diff(open, got))
	}
	p.stop(t)
	setTaskHealth(t, simURL, prodTask, true)
	p = startPacer(t, args...)
	waitIncidents(t, recv, p, "healed while down, resolved after the restart", with(open, prodKeyUnhealthy, "resolve"))
	if rej := recv.Rejected(); len(rej) > 0 {
		t.Errorf("PagerDuty rejected events: %q", rej)
	}
}
