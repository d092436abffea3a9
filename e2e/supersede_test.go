package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestFixSupersedesStuckDeployment: a push of a worker whose HTTP health
// check always fails (nothing answers on its port) starts a deployment that
// can never finish: the new task runs but never turns healthy, so Marathon
// keeps the old one and the deployment stays (BEHAVIOUR.md §7, "A
// deployment whose tasks never become healthy never finishes"). The fix
// pushed after it would wait for that deployment forever; with
// --supersede-after, pacer replaces its own stuck deployment of the older
// revision (force=true) and the fix rolls out, with no deployment left and
// the fixed command running. The deployment is stuck by construction, not
// by a crash racing the simulator's start delay, so CPU load cannot let it
// finish.
func TestFixSupersedesStuckDeployment(t *testing.T) {
	t.Parallel()
	worker := condApp{name: "worker", instances: 1, cmd: "sleep 1000"}
	r := startCond(t, []string{"--executor", "process", "--task-start", "10ms"},
		[]string{"--supersede-after", "2s"}, worker)

	bad := condApp{name: "worker", instances: 1, cmd: "sleep 1001"}
	r.repo.Push("worker: a health check that always fails", withFailingHealthCheck(condSpecs(bad), bad))
	id := condAppID("production", "worker")
	eventually(t, 20*time.Second, "the broken version's deployment runs, its task failing its health check", func() (bool, error) {
		cmd, deployments, err := condLive(r, id)
		if err != nil || cmd != bad.cmd || len(deployments) == 0 {
			return false, fmt.Errorf("cmd %q, deployments %v (%v)", cmd, deployments, err)
		}
		unhealthy, err := unhealthyTasks(r, id)
		return unhealthy > 0, fmt.Errorf("%d tasks failing their health check (%v)", unhealthy, err)
	})

	fixed := condApp{name: "worker", instances: 1, cmd: "sleep 999"}
	start := time.Now()
	r.repo.Push("worker: fixed", condSpecs(fixed))
	r.waitConverged("the fix rolled out over the stuck deployment", fixed)
	for _, env := range condEnvs {
		cmd, deployments, err := condLive(r, condAppID(env, "worker"))
		if err != nil || cmd != fixed.cmd || len(deployments) > 0 {
			t.Errorf("%s: cmd %q, deployments %v (%v); want the fix and no deployment", env, cmd, deployments, err)
		}
	}
	if log := r.p.log.String(); !strings.Contains(log, "Superseding a deployment of an older revision") {
		t.Errorf("pacer did not log the superseded deployment:\n%s", log)
	}
	t.Logf("the fix replaced the stuck deployment %s after it was pushed", time.Since(start).Round(time.Millisecond))
}

// withFailingHealthCheck gives app in condSpecs' output an HTTP health check
// on its first port, where its command (a sleep) serves nothing: every check
// fails from the first one (no grace period), and maxConsecutiveFailures 0
// keeps the unhealthy task instead of killing and relaunching it.
func withFailingHealthCheck(files map[string]string, app condApp) map[string]string {
	const path = "specs/services/alerts.yaml"
	line := fmt.Sprintf("      cmd: %q\n", app.cmd)
	hc := line + "      healthChecks: [{protocol: HTTP, path: /health, portIndex: 0, gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 0}]\n"
	files[path] = strings.ReplaceAll(files[path], line, hc)
	return files
}

// unhealthyTasks counts the app's tasks with a failing health check result.
func unhealthyTasks(r *condRun, id string) (int, error) {
	var body struct {
		Tasks []struct {
			HealthCheckResults []struct {
				Alive bool `json:"alive"`
			} `json:"healthCheckResults"`
		} `json:"tasks"`
	}
	if err := getJSON(r.t.Context(), r.simURL+"/v2/apps"+id+"/tasks", &body); err != nil {
		return 0, err
	}
	n := 0
	for _, t := range body.Tasks {
		for _, h := range t.HealthCheckResults {
			if !h.Alive {
				n++
			}
		}
	}
	return n, nil
}

// condLive returns an app's command and running deployments in the simulator.
func condLive(r *condRun, id string) (string, []string, error) {
	var body struct {
		App struct {
			Cmd         string `json:"cmd"`
			Deployments []struct {
				ID string `json:"id"`
			} `json:"deployments"`
		} `json:"app"`
	}
	if err := getJSON(r.t.Context(), r.simURL+"/v2/apps"+id, &body); err != nil {
		return "", nil, err
	}
	var ids []string
	for _, d := range body.App.Deployments {
		ids = append(ids, d.ID)
	}
	return body.App.Cmd, ids, nil
}
