package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultKill9MidApply kills pacer with SIGKILL in the middle of an
// apply: a revision updates the database and adds an api depending on it;
// the database's deployment is stalled, so pacer has written it and waits
// before the dependent level (its passes go on meanwhile, the api reported
// as waiting for the db's deployment). An Unhealthy incident is open at that
// moment (persisted in --state-dir). A new pacer on the same state dir
// writes the api once, never re-writes the database (the definition in
// Marathon is already the desired one), restores the open incident and
// resolves it once the tasks are healthy: no duplicate deployment, no
// lost or doubled incident, nothing deleted.
func TestFaultKill9MidApply(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	pd := newFaultPD(t)
	repo := gittest.New(t)
	db := faultApp{name: "db", instances: 1, health: true}
	want := []faultApp{db, {name: "web", instances: 2}}
	repo.Push("db and web", faultSpecs(want...))
	args := append(faultGitArgs(t, repo, rec.URL), "--state-dir", t.TempDir(),
		"--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", faultKeyFile(t), "--alert-clear-for", "500ms")
	p := startFaultPacer(t, faultEnv, args...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })

	dbID, apiID := faultAppID("db"), faultAppID("api")
	faultSim(t, simURL, http.MethodPost, "/sim/v1/tasks/"+faultTasks(t, simURL, dbID)[0]+"/health", `{"alive": false}`)
	unhealthy := "pacer/ams" + dbID + "/Unhealthy"
	pd.waitIncidents(t, 10*time.Second, "db unhealthy paged", map[string][]string{unhealthy: {"trigger"}})

	// The next revision: db updated (more memory), api depends on it.
	faultSim(t, simURL, http.MethodPost, "/sim/v1/faults", `{"stallDeployments": true}`)
	db.mem = 64
	want = []faultApp{db, {name: "web", instances: 2}, {name: "api", instances: 1, deps: []string{"db"}}}
	repo.Push("db 64 MiB, api", faultSpecs(want...))
	eventually(t, 10*time.Second, "db written, its deployment stalled", func() (bool, error) {
		w := rec.appWrites()
		return w[dbID] == 2, fmt.Errorf("writes %v", w)
	})
	if w := rec.appWrites(); w[apiID] != 0 {
		t.Fatalf("api written before the db deployment finished: %v", w)
	}
	stalled := time.Now()
	// The loop is not held by the stalled deployment: passes go on, and
	// the api waits for the db's deployment instead of being written.
	eventually(t, 15*time.Second, "passes go on while the deployment is stalled", func() (bool, error) {
		st, err := p.status()
		if err != nil || !st.LastPass.After(stalled.Add(time.Second)) {
			return false, fmt.Errorf("last pass %v (%v)", st.LastPass, err)
		}
		for _, a := range st.Apps {
			if a.ID == apiID {
				return strings.Contains(a.Message, "waiting for the deployments of "+dbID), fmt.Errorf("api: %q", a.Message)
			}
		}
		return false, fmt.Errorf("api not in status")
	})
	p.kill9()

	faultSim(t, simURL, http.MethodDelete, "/sim/v1/faults", "")
	p = startFaultPacer(t, faultEnv, args...)
	eventually(t, 20*time.Second, "the new pacer converged", func() (bool, error) { return faultConverged(simURL, p, want) })
	pd.waitIncidents(t, 15*time.Second, "the restored incident resolved, not paged again", map[string][]string{unhealthy: {"trigger", "resolve"}})
	wantWrites := createsOnly(want)
	wantWrites[dbID] = 2 // create, then the update written before the kill; never again
	checkNothingLost(t, simURL, rec, unmanaged, wantWrites)
	if lines := logLines(p.log, "Restored open incidents"); len(lines) == 0 {
		t.Error("the new pacer did not restore the open incidents")
	}
}
