package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
)

// changeEvents counts the change events PagerDuty accepted per app and
// deployment ("app deploymentID").
func changeEvents(t *testing.T, recv *pdtest.Receiver) map[string]int {
	out := map[string]int{}
	for _, e := range decodeEvents(t, recv.Events()) {
		if e.Action == "change" {
			d := e.Payload.CustomDetails
			out[fmt.Sprint(d["app"], " ", d["deployment_id"])]++
		}
	}
	return out
}

// TestRunChangeEventSurvivesRestart: pacer writes a scale-up whose
// deployments Marathon holds (stalled), then stops before they finish. The
// change events wait in --state-dir; the pacer started next on it sends
// nothing while the deployments run and exactly one change event per
// write once they finish. The first pacer sends nothing on its way out.
func TestRunChangeEventSurvivesRestart(t *testing.T) {
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("two instances", pagingSpecs("2"))
	recv := pdtest.New(t, pdtest.Options{})
	t.Setenv("PD_WEB_PROD", prodKey)
	t.Setenv("PD_WEB_TEST", testKey)
	args := []string{"--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--sync-interval", "300ms", "--shutdown-timeout", "5s", "--log-format", "console",
		"--pagerduty-endpoint", recv.URL, "--state-dir", t.TempDir()}
	p := startPacer(t, args...)
	waitHealthy(t, p, prodAPI, testAPI)
	eventually(t, 10*time.Second, "change events of the creates", func() (bool, string) {
		got := changeEvents(t, recv)
		return len(got) == 2, fmt.Sprint(got)
	})
	created := changeEvents(t, recv)

	// The scale-up is written; Marathon holds its deployments.
	simControl(t, simURL, http.MethodPost, "/faults", `{"stallDeployments": true}`)
	repo.Push("three instances", pagingSpecs("3"))
	deployments := map[string]string{} // app → the scale-up's deployment
	eventually(t, 10*time.Second, "scale-up written, its deployments running", func() (bool, string) {
		st, err := getStatus(t, p.base)
		if err != nil {
			return false, err.Error()
		}
		for _, id := range []string{prodAPI, testAPI} {
			a, _ := appStatus(st, id)
			n, _, err := simInstances(t, simURL, id)
			if err != nil || n != 3 || len(a.Deployments) != 1 {
				return false, fmt.Sprintf("%s: %d instances in Marathon (%v), deployments %v", id, n, err, a.Deployments)
			}
			deployments[id] = a.Deployments[0]
		}
		return true, ""
	})
	want := map[string]int{}
	for k, v := range created {
		want[k] = v
	}
	for id, dep := range deployments {
		want[id+" "+dep] = 1
	}
	noScaleEvents := func(when string) {
		t.Helper()
		if got := changeEvents(t, recv); !cmp.Equal(created, got) {
			t.Fatalf("%s: change events (-want +got):\n%s", when, cmp.Diff(created, got))
		}
	}
	noScaleEvents("while deploying")
	p.stop(t)
	noScaleEvents("after the first pacer stopped")

	// The next pacer takes over with the deployments still running.
	p = startPacer(t, args...)
	restarted := time.Now()
	eventually(t, 10*time.Second, "the next pacer passed with the deployments running", func() (bool, string) {
		st, err := getStatus(t, p.base)
		if err != nil {
			return false, err.Error()
		}
		a, _ := appStatus(st, prodAPI)
		return st.Leader && st.LastPass.After(restarted.Add(time.Second)) && len(a.Deployments) == 1, fmt.Sprintf("%+v", a)
	})
	noScaleEvents("the next pacer, while deploying")

	simControl(t, simURL, http.MethodDelete, "/faults", "")
	eventually(t, 10*time.Second, "one change event per write once its deployment finished", func() (bool, string) {
		got := changeEvents(t, recv)
		return cmp.Equal(want, got), cmp.Diff(want, got) + p.stderr.String()
	})
	finished := time.Now()
	eventually(t, 10*time.Second, "passes after the deployments finished", func() (bool, string) {
		st, err := getStatus(t, p.base)
		return err == nil && st.LastPass.After(finished.Add(time.Second)), fmt.Sprint(err)
	})
	if got := changeEvents(t, recv); !cmp.Equal(want, got) {
		t.Errorf("change events later (-want +got):\n%s", cmp.Diff(want, got))
	}
	if rej := recv.Rejected(); len(rej) > 0 {
		t.Errorf("PagerDuty rejected events: %q", rej)
	}
}
