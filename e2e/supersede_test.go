package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestFixSupersedesStuckDeployment: a push of a worker that crashes at
// once starts a deployment that can never finish (the new task never
// runs; Marathon keeps the old one). The fix pushed after it would wait
// for that deployment forever; with --supersede-after, pacer replaces its
// own stuck deployment of the older revision (force=true) and the fix rolls
// out, with no deployment left and the fixed command running.
func TestFixSupersedesStuckDeployment(t *testing.T) {
	t.Parallel()
	worker := condApp{name: "worker", instances: 1, cmd: "sleep 1000"}
	r := startCond(t, []string{"--executor", "process", "--task-start", "10ms"},
		[]string{"--supersede-after", "2s"}, worker)

	bad := condApp{name: "worker", instances: 1, cmd: "echo broken >&2; exit 1"}
	r.repo.Push("worker: a broken command", condSpecs(bad))
	id := condAppID("production", "worker")
	eventually(t, 20*time.Second, "the broken version's deployment runs", func() (bool, error) {
		cmd, deployments, err := condLive(r, id)
		return err == nil && cmd == bad.cmd && len(deployments) > 0, fmt.Errorf("cmd %q, deployments %v (%v)", cmd, deployments, err)
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
