package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/operator"
)

// eventually polls cond until it holds or timeout passes; these tests run
// real servers (simulator, git, HTTP), so they poll like e2e tests do.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v; last: %s", what, t.Context().Err(), last)
		case <-tick.C:
		}
	}
	t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
}

// newOperatorSim serves a simulator with fast task starts.
func newOperatorSim(t *testing.T) string {
	t.Helper()
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = sim.Close()
	})
	return srv.URL
}

var listenRE = regexp.MustCompile(`"Serving HTTP".*?"addr":"([^"]+)"|Serving HTTP\s+\{"addr": "([^"]+)"\}|status:\s+(http://[^/\s]+)/api/v1/status`)

// waitListen finds the HTTP address pacer logged or printed.
func waitListen(t *testing.T, out ...*proctest.Buffer) string {
	t.Helper()
	var base string
	eventually(t, 10*time.Second, "pacer listening", func() (bool, string) {
		for _, b := range out {
			if m := listenRE.FindStringSubmatch(b.String()); m != nil {
				base = m[1] + m[2]
				if m[3] != "" {
					base = m[3]
				} else {
					base = "http://" + base
				}
				return true, ""
			}
		}
		return false, out[len(out)-1].String()
	})
	return base
}

func getStatus(t *testing.T, base string) (operator.Status, error) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/status")
	if err != nil {
		return operator.Status{}, err
	}
	defer resp.Body.Close()
	var st operator.Status
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func appStatus(st operator.Status, id string) (operator.AppStatus, bool) {
	for _, a := range st.Apps {
		if a.ID == id {
			return a, true
		}
	}
	return operator.AppStatus{}, false
}

// simInstances returns an app's instances and running tasks in the simulator.
func simInstances(t *testing.T, simURL, id string) (instances, running int, err error) {
	t.Helper()
	resp, err := http.Get(simURL + "/v2/apps" + id)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: %s", id, resp.Status)
	}
	var body struct {
		App struct {
			Instances    int `json:"instances"`
			TasksRunning int `json:"tasksRunning"`
		} `json:"app"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	return body.App.Instances, body.App.TasksRunning, err
}

// scaleOutOfBand changes an app behind pacer's back, as an operator would.
func scaleOutOfBand(t *testing.T, simURL, id string, n int) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, simURL+"/v2/apps"+id+"?force=true",
		strings.NewReader(fmt.Sprintf(`{"instances":%d}`, n)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("out-of-band scale of %s: %s: %s", id, resp.Status, body)
	}
}
