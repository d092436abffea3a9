package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
)

// End-to-end tests of the alert conditions that need Marathon to misbehave
// (a crash loop, a deployment that does not finish, a cluster out of
// capacity): the condition arises in marathon-sim, pacer pages it once
// through PagerDuty (pdtest behind faultPD) with the environment's routing
// key and severity, and resolves it once after the condition heals.
// Helpers carry a cond prefix: other e2e files define their own.

// The routing keys of the production and test environments (32
// characters, as PagerDuty's).
const (
	condProdKey = "condprodcondprodcondprodcondprod"
	condTestKey = "condtestcondtestcondtestcondtest"
)

var condEnv = []string{"PD_COND_PROD=" + condProdKey, "PD_COND_TEST=" + condTestKey}

// condEnvs are the environments of the spec group: both page at high
// urgency, test is capped at warning by its name.
var condEnvs = []string{"production", "test"}

// condApp is one app of the spec group, in both environments.
type condApp struct {
	name      string
	instances int
	cpus      float64 // 0: 0.01
	cmd       string  // "": sleep 1000
}

// condSpecs is a cluster "ams" and a service group /services/alerts with a
// production and a test environment (automated sync, paging at high
// urgency through PD_COND_PROD and PD_COND_TEST), each running apps.
func condSpecs(apps ...condApp) map[string]string {
	var b strings.Builder
	b.WriteString(`apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: alerts, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}, alerting: {urgency: high, routingKey: {fromEnv: PD_COND_PROD}}}
    test: {clusters: [ams], sync: {policy: automated, prune: true}, alerting: {urgency: high, routingKey: {fromEnv: PD_COND_TEST}}}
  apps:
`)
	for _, a := range apps {
		cpus, cmd := a.cpus, a.cmd
		if cpus == 0 {
			cpus = 0.01
		}
		if cmd == "" {
			cmd = "sleep 1000"
		}
		fmt.Fprintf(&b, "    %s:\n      instances: %d\n      cpus: %g\n      mem: 32\n      cmd: %q\n", a.name, a.instances, cpus, cmd)
	}
	return map[string]string{
		"specs/clusters.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`,
		"specs/services/alerts.yaml": b.String(),
	}
}

func condAppID(env, name string) string { return "/services/alerts/" + env + "/" + name }

// condDedupKey is the dedup key pacer must use: pacer/<cluster>/<app id
// without its leading slash>/<Condition>.
func condDedupKey(env, name, condition string) string {
	return "pacer/ams/" + strings.TrimPrefix(condAppID(env, name), "/") + "/" + condition
}

// condPaging is what one environment's incident must carry: its routing
// key, and on the trigger its severity and a summary matching summary.
type condPaging struct {
	routingKey, severity string
	summary              *regexp.Regexp
}

// condRun is one test's marathon-sim, specs repository, PagerDuty and
// pacer.
type condRun struct {
	t      *testing.T
	simURL string
	repo   *gittest.Repo
	pd     *faultPD
	p      *faultPacer
}

// startCond starts marathon-sim with simArgs, pushes apps, runs pacer with
// alertArgs and waits until it converged with nothing paged.
func startCond(t *testing.T, simArgs, alertArgs []string, apps ...condApp) *condRun {
	t.Helper()
	r := &condRun{t: t, simURL: startSim(t, simArgs...), repo: gittest.New(t), pd: newFaultPD(t)}
	r.repo.Push("alerts", condSpecs(apps...))
	args := append(faultGitArgs(t, r.repo, r.simURL), "--pagerduty-endpoint", r.pd.URL)
	r.p = startFaultPacer(t, condEnv, append(args, alertArgs...)...)
	r.waitConverged("converged", apps...)
	if got := r.pd.incidents(); len(got) > 0 {
		t.Fatalf("paged before any fault: %q", got)
	}
	return r
}

// waitConverged waits until the simulator runs apps in both environments
// at their instance counts with no deployment left, and pacer reports them
// Synced.
func (r *condRun) waitConverged(what string, apps ...condApp) {
	r.t.Helper()
	eventually(r.t, 20*time.Second, what, func() (bool, error) {
		live, err := faultSimApps(r.simURL)
		if err != nil {
			return false, err
		}
		want := map[string]bool{}
		for _, env := range condEnvs {
			for _, a := range apps {
				id := condAppID(env, a.name)
				want[id] = true
				if err := settledAt(live, id, a.instances); err != nil {
					return false, err
				}
			}
		}
		st, err := r.p.status()
		if err != nil {
			return false, err
		}
		if inv := st.InvalidRevision; inv != nil {
			r.t.Fatalf("%s: revision %s is invalid: %s", what, inv.ID, inv.Error)
		}
		for _, a := range st.Apps {
			if want[a.ID] && a.Sync != "Synced" {
				return false, fmt.Errorf("status: %s %s (%s %s)", a.ID, a.Sync, a.Message, a.LastError)
			}
		}
		return true, nil
	})
}

// checkPaging checks every accepted incident event of the keys in want:
// routed with the environment's key, and each trigger at its severity.
func (r *condRun) checkPaging(want map[string]condPaging) {
	r.t.Helper()
	for _, e := range r.pd.recv.Events() {
		w, ok := want[e.DedupKey]
		if e.Path != pdtest.EnqueuePath || !ok {
			continue
		}
		var body struct {
			Payload struct {
				Severity string `json:"severity"`
				Summary  string `json:"summary"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(e.Body, &body); err != nil {
			r.t.Fatalf("%s %s: %v", e.Action, e.DedupKey, err)
		}
		if e.RoutingKey != w.routingKey {
			r.t.Errorf("%s %s: routing key %q, want %q", e.Action, e.DedupKey, e.RoutingKey, w.routingKey)
		}
		if e.Action == "trigger" && body.Payload.Severity != w.severity {
			r.t.Errorf("trigger %s: severity %q, want %q", e.DedupKey, body.Payload.Severity, w.severity)
		}
		if e.Action == "trigger" && !w.summary.MatchString(body.Payload.Summary) {
			r.t.Errorf("trigger %s: summary %q does not match %q", e.DedupKey, body.Payload.Summary, w.summary)
		}
	}
	if rej := r.pd.recv.Rejected(); len(rej) > 0 {
		r.t.Errorf("PagerDuty rejected events: %q", rej)
	}
}

// checkQuiet waits until pacer has passed for d more, long enough for a
// condition holding again to page, and checks the incidents are still want.
func (r *condRun) checkQuiet(d time.Duration, want map[string][]string) {
	r.t.Helper()
	since := time.Now()
	eventually(r.t, 10*time.Second, "passes after the resolve", func() (bool, error) {
		st, err := r.p.status()
		return err == nil && st.LastPass.After(since.Add(d)), err
	})
	r.pd.waitIncidents(r.t, 0, "nothing paged after the resolve", want)
}

// simQueued returns an app's launch queue entry in the simulator, if any.
func (r *condRun) simQueued(id string) (count int, delayed bool, err error) {
	var body struct {
		Queue []struct {
			App struct {
				ID string `json:"id"`
			} `json:"app"`
			Count int `json:"count"`
			Delay struct {
				TimeLeftSeconds int  `json:"timeLeftSeconds"`
				Overdue         bool `json:"overdue"`
			} `json:"delay"`
		} `json:"queue"`
	}
	if err := getJSON(r.t.Context(), r.simURL+"/v2/queue", &body); err != nil {
		return 0, false, err
	}
	for _, q := range body.Queue {
		if q.App.ID == id {
			return q.Count, q.Delay.TimeLeftSeconds > 0 && !q.Delay.Overdue, nil
		}
	}
	return 0, false, nil
}

// TestAlertCrashLooping: a worker runs while a file it depends on exists
// and exits 1 once it is gone, at once on every relaunch: a real crash loop
// in the process executor, with Marathon's launch backoff in /v2/queue and
// lastTaskFailure on the app. CrashLooping pages once per environment
// (production critical, test warning, each with its routing key). Pushing
// a fixed worker (no longer needing the file) stops the crashes: each
// incident resolves once, and nothing pages again.
func TestAlertCrashLooping(t *testing.T) {
	t.Parallel()
	dep := filepath.Join(t.TempDir(), "dependency")
	if err := os.WriteFile(dep, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	worker := condApp{name: "worker", instances: 1,
		cmd: fmt.Sprintf("while [ -f %s ]; do sleep 0.1; done; echo dependency gone >&2; exit 1", dep)}
	// Failures are counted over 5s so that the short `for` and clear-for
	// see a steady condition across the relaunches (1s backoff, growing).
	r := startCond(t, []string{"--executor", "process", "--task-start", "10ms"},
		[]string{"--alert-for", "CrashLooping=1s", "--alert-clear-for", "1s", "--alert-crash-window", "5s"}, worker)

	prod, test := condDedupKey("production", "worker", "CrashLooping"), condDedupKey("test", "worker", "CrashLooping")
	start := time.Now()
	if err := os.Remove(dep); err != nil {
		t.Fatal(err)
	}
	r.pd.waitIncidents(t, 20*time.Second, "CrashLooping paged", map[string][]string{prod: {"trigger"}, test: {"trigger"}})
	triggered := time.Since(start)
	// Let it loop: at least --alert-crash-failures (3) tasks failed, one
	// after the other (lastTaskFailure names each), the app in launch
	// backoff; the resolve then needs those failures to age out of the
	// window as well.
	prodID := condAppID("production", "worker")
	failed := map[string]bool{}
	eventually(t, 15*time.Second, "the crash loop as Marathon shows it", func() (bool, error) {
		var body struct {
			App struct {
				LastTaskFailure *struct {
					TaskID string `json:"taskId"`
					State  string `json:"state"`
				} `json:"lastTaskFailure"`
			} `json:"app"`
		}
		if err := getJSON(t.Context(), r.simURL+"/v2/apps"+prodID, &body); err != nil {
			return false, err
		}
		f := body.App.LastTaskFailure
		if f == nil || f.State != "TASK_FAILED" {
			return false, fmt.Errorf("lastTaskFailure %+v", f)
		}
		failed[f.TaskID] = true
		_, delayed, err := r.simQueued(prodID)
		return len(failed) >= 3 && delayed, fmt.Errorf("%d task(s) failed, launch backoff %v (%v)", len(failed), delayed, err)
	})
	says := regexp.MustCompile(`^/services/alerts/(production|test)/worker: tasks crash-looping for \d+s on ams: last failure: TASK_FAILED Command exited: exit status 1$`)
	paging := map[string]condPaging{prod: {condProdKey, "critical", says}, test: {condTestKey, "warning", says}}
	r.checkPaging(paging)

	fixed := condApp{name: "worker", instances: 1, cmd: "sleep 1000"}
	start = time.Now()
	r.repo.Push("worker: no longer needs the file", condSpecs(fixed))
	want := map[string][]string{prod: {"trigger", "resolve"}, test: {"trigger", "resolve"}}
	r.pd.waitIncidents(t, 20*time.Second, "CrashLooping resolved", want)
	resolved := time.Since(start)
	r.waitConverged("the fixed worker runs", fixed)
	r.checkQuiet(2*time.Second, want)
	r.checkPaging(paging)
	t.Logf("CrashLooping: paged %s after the first crash, resolved %s after the fix was pushed", triggered.Round(time.Millisecond), resolved.Round(time.Millisecond))
}

// TestAlertDeploymentStuck: a new version's deployment does not progress
// (the simulator stalls deployments, the old tasks keep running); once it
// is older than DeploymentStuck's `for` (2s) it pages once per environment
// (production error, test warning), not before. When the deployment goes
// on and finishes, each incident resolves once.
func TestAlertDeploymentStuck(t *testing.T) {
	t.Parallel()
	const limit = 2 * time.Second
	web := condApp{name: "web", instances: 1}
	r := startCond(t, []string{"--task-start", "10ms"},
		[]string{"--alert-for", "DeploymentStuck=" + limit.String(), "--alert-clear-for", "1s"}, web)

	prod, test := condDedupKey("production", "web", "DeploymentStuck"), condDedupKey("test", "web", "DeploymentStuck")
	faultSim(t, r.simURL, http.MethodPost, "/sim/v1/faults", `{"stallDeployments": true}`)
	v2 := condApp{name: "web", instances: 1, cmd: "sleep 2000"}
	start := time.Now()
	r.repo.Push("web v2", condSpecs(v2))
	eventually(t, 10*time.Second, "v2 written, its deployments running", func() (bool, error) {
		live, err := faultSimApps(r.simURL)
		if err != nil {
			return false, err
		}
		for _, env := range condEnvs {
			id := condAppID(env, "web")
			if a := live[id]; len(a.Deployments) == 0 || a.TasksRunning != 1 {
				return false, fmt.Errorf("%s: %d deployments, %d running", id, len(a.Deployments), a.TasksRunning)
			}
		}
		return true, nil
	})
	r.pd.waitIncidents(t, 20*time.Second, "DeploymentStuck paged", map[string][]string{prod: {"trigger"}, test: {"trigger"}})
	triggered := time.Since(start)
	if triggered < limit {
		t.Errorf("paged %s after the push, before the deployment was %s old", triggered, limit)
	}
	says := regexp.MustCompile(`^/services/alerts/(production|test)/web: deployment [-0-9a-f]+ stuck for \d+s on ams$`)
	paging := map[string]condPaging{prod: {condProdKey, "error", says}, test: {condTestKey, "warning", says}}
	r.checkPaging(paging)

	start = time.Now()
	faultSim(t, r.simURL, http.MethodDelete, "/sim/v1/faults", "")
	want := map[string][]string{prod: {"trigger", "resolve"}, test: {"trigger", "resolve"}}
	r.pd.waitIncidents(t, 20*time.Second, "DeploymentStuck resolved", want)
	resolved := time.Since(start)
	r.waitConverged("v2 deployed", v2)
	r.checkQuiet(limit+500*time.Millisecond, want)
	r.checkPaging(paging)
	t.Logf("DeploymentStuck: paged %s after the push (for %s), resolved %s after the deployment went on", triggered.Round(time.Millisecond), limit, resolved.Round(time.Millisecond))
}

// TestAlertUnderprovisioned: the simulated cluster has 2 cpus, all taken
// (web and a hog, 2 × 0.25 cpus each, in both environments). Scaling web
// to 3 leaves its third task waiting in the launch queue, as no offer
// fits: Underprovisioned pages once per environment (production critical,
// test warning). Pushing the hog down to one instance frees the capacity:
// web's third task launches and each incident resolves once.
func TestAlertUnderprovisioned(t *testing.T) {
	t.Parallel()
	hog, web := condApp{name: "hog", instances: 2, cpus: 0.25}, condApp{name: "web", instances: 2, cpus: 0.25}
	r := startCond(t, []string{"--task-start", "10ms", "--capacity", "cpus=2"},
		[]string{"--alert-for", "Underprovisioned=1s", "--alert-clear-for", "1s"}, hog, web)

	prod, test := condDedupKey("production", "web", "Underprovisioned"), condDedupKey("test", "web", "Underprovisioned")
	web.instances = 3
	start := time.Now()
	r.repo.Push("web: 3 instances", condSpecs(hog, web))
	r.pd.waitIncidents(t, 20*time.Second, "Underprovisioned paged", map[string][]string{prod: {"trigger"}, test: {"trigger"}})
	triggered := time.Since(start)
	for _, env := range condEnvs {
		id := condAppID(env, "web")
		n, delayed, err := r.simQueued(id)
		if err != nil || n != 1 || delayed {
			t.Fatalf("%s: %d task(s) in the launch queue (backoff %v, %v), want 1 waiting for capacity", id, n, delayed, err)
		}
	}
	// web has no health checks: its running tasks are what serves.
	says := regexp.MustCompile(`^/services/alerts/(production|test)/web: 2 of 3 instances running for \d+s on ams: launch queue: 1 task\(s\) waiting to launch`)
	paging := map[string]condPaging{prod: {condProdKey, "critical", says}, test: {condTestKey, "warning", says}}
	r.checkPaging(paging)

	hog.instances = 1
	start = time.Now()
	r.repo.Push("hog: 1 instance", condSpecs(hog, web))
	want := map[string][]string{prod: {"trigger", "resolve"}, test: {"trigger", "resolve"}}
	r.pd.waitIncidents(t, 20*time.Second, "Underprovisioned resolved", want)
	resolved := time.Since(start)
	r.waitConverged("web at 3 instances", hog, web)
	r.checkQuiet(1500*time.Millisecond, want)
	r.checkPaging(paging)
	t.Logf("Underprovisioned: paged %s after the scale-up was pushed, resolved %s after the hog was scaled down", triggered.Round(time.Millisecond), resolved.Round(time.Millisecond))
}
