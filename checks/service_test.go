package checks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

func TestServiceCollectAndAPI(t *testing.T) {
	const token = "tok"
	agentPort, _ := agentTask(t, token, "h", map[string]State{"/g/test:a": Critical})
	web := taskServer(t, 200, "OK")
	live := []marathon.App{
		{ID: "/g/test/checks", Tasks: []marathon.Task{{ID: "checks.1", State: taskRunning, Host: "127.0.0.1", Ports: []int{agentPort}}}},
		{ID: "/g/test/app", Raw: []byte("{}"), Tasks: []marathon.Task{{ID: "app.1", State: taskRunning, Host: "127.0.0.1", Ports: []int{web}}}},
	}
	var liveErr error
	reads := 0
	s := NewService(ServiceOptions{
		Prober:    &Prober{HTTP: &http.Client{}, Now: time.Now},
		Collector: &Collector{HTTP: &http.Client{}, Token: token},
		Live: func(context.Context) ([]marathon.App, error) {
			reads++
			return live, liveErr
		},
		Now: time.Now,
	})
	s.collect(t.Context())
	if reads != 0 {
		t.Errorf("without checks the service read the task list %d times", reads)
	}
	a := execCheck("/g/test:a", specs.TasksOne)
	b := execCheck("/g/test:b", specs.TasksOne)
	b.Exec.App = "/g/test/gone"
	h := *httpCheck(nil)
	h.ID, h.Name = "/g/test:web", "web"
	h.Probe.App = "/g/test/app"
	s.SetChecks([]specs.Check{a, b, h})
	s.collect(t.Context())
	if reads != 1 {
		t.Errorf("one collect read the task list %d times, want 1", reads)
	}
	// The probe runs against the task list the collect read.
	runner := &Runner{Prober: s.opts.Prober, Now: time.Now, App: s.app}
	r := runner.Run(t.Context(), &h)
	s.store.Record(&h, "", r)

	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, APIPath, nil))
	var resp APIResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range resp.Checks {
		got[c.ID] = string(c.State) + " " + c.Summary
	}
	want := map[string]string{
		"/g/test:a":   "CRITICAL CRITICAL from agent",
		"/g/test:b":   "PENDING ", // never run: its agent app is stale
		"/g/test:web": "OK 0 of 1 tasks failing",
	}
	if len(got) != 3 || got["/g/test:a"] != want["/g/test:a"] || got["/g/test:b"] != want["/g/test:b"] || got["/g/test:web"] != want["/g/test:web"] {
		t.Errorf("checks = %v, want %v", got, want)
	}
	if len(resp.Stale) != 1 || resp.Stale[0].App != "/g/test/gone" {
		t.Errorf("stale = %+v", resp.Stale)
	}

	// Marathon unreachable: the agents' last results stay, probes say why.
	liveErr = errors.New("connection refused")
	s.collect(t.Context())
	if st, _ := s.Snapshot(); st[0].Status.Hard != Critical {
		t.Errorf("after a failed read the agent's result is gone: %+v", st[0])
	}
	if r := runner.Run(t.Context(), &h); r.State != Unknown || !r.Skipped || r.Summary != "read app /g/test/app: read live apps: connection refused" {
		t.Errorf("probe without a task list: %s %q", r.State, r.Summary)
	}

	// A check that left the specs leaves the API.
	s.SetChecks([]specs.Check{a})
	if st, _ := s.Snapshot(); len(st) != 1 || st[0].ID != a.ID {
		t.Errorf("after removing checks: %+v", st)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, APIPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s = %d", APIPath, rec.Code)
	}
}
