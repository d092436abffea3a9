package checks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

func execCheck(id, tasks string) specs.Check {
	return specs.Check{ID: id, Name: id, Kind: specs.CheckExec, Group: "/g/test", Environment: "test", Cluster: "ams",
		Settings: specs.CheckSettings{Enabled: true, Page: true, Interval: time.Minute, For: 1, ClearFor: 1},
		Exec:     &specs.ExecCheck{App: "/g/test/checks", Command: []string{"true"}, Timeout: time.Second, Tasks: tasks}}
}

func TestAgentChecksFromEnv(t *testing.T) {
	list, hash := specs.AgentEnv([]specs.Check{execCheck("/g/test:a", specs.TasksOne)})
	got, err := AgentChecks(list, hash)
	if err != nil || len(got) != 1 || got[0].ID != "/g/test:a" {
		t.Fatalf("AgentChecks = %+v, %v", got, err)
	}
	tampered := strings.Replace(list, `"true"`, `"rm"`, 1)
	if _, err := AgentChecks(tampered, hash); err == nil || !strings.Contains(err.Error(), "does not match PACER_CHECKS_HASH") {
		t.Errorf("a changed list with the old hash: %v", err)
	}
	if _, err := AgentChecks("", ""); err == nil {
		t.Error("an empty list is accepted")
	}
	probeList, probeHash := specs.AgentEnv([]specs.Check{{ID: "/g/test:p", Kind: specs.CheckTCP, Probe: &specs.Probe{}}})
	if _, err := AgentChecks(probeList, probeHash); err == nil || !strings.Contains(err.Error(), "not an exec check") {
		t.Errorf("a probe handed to an agent: %v", err)
	}
}

// agentTask serves an agent's results as one task of the checks app.
func agentTask(t *testing.T, token, hash string, results map[string]State) (port int, store *Store) {
	t.Helper()
	store = NewStore()
	for id, st := range results {
		c := execCheck(id, specs.TasksOne)
		store.Record(&c, "", Result{State: st, Summary: st.String() + " from agent"})
	}
	srv := httptest.NewServer(&AgentHandler{Store: store, Hash: hash, Token: token})
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port, store
}

func TestAgentHandlerAuth(t *testing.T) {
	port, _ := agentTask(t, "s3cret", "h", map[string]State{"/g/test:a": OK})
	base := "http://127.0.0.1:" + itoa(port)
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"no token", http.MethodGet, ResultsPath, "", http.StatusUnauthorized},
		{"wrong token", http.MethodGet, ResultsPath, "Bearer nope", http.StatusUnauthorized},
		{"basic auth is not a bearer token", http.MethodGet, ResultsPath, "Basic czNjcmV0", http.StatusUnauthorized},
		{"no definitions over the network", http.MethodPost, ResultsPath, "Bearer s3cret", http.StatusMethodNotAllowed},
		{"PUT refused too", http.MethodPut, ResultsPath, "Bearer s3cret", http.StatusMethodNotAllowed},
		{"other path", http.MethodGet, "/v1/checks", "Bearer s3cret", http.StatusNotFound},
		{"token", http.MethodGet, ResultsPath, "Bearer s3cret", http.StatusOK},
		{"health check without a token", http.MethodGet, "/ping", "", http.StatusOK},
		{"healthz without a token", http.MethodGet, "/healthz", "", http.StatusOK},
		{"POST /ping is nothing", http.MethodPost, "/ping", "", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, base+tc.path, strings.NewReader(`[{"exec":{"command":["rm","-rf","/"]}}]`))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := (&http.Client{}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	open := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, ResultsPath, nil)
	req.Header.Set("Authorization", "Bearer ")
	(&AgentHandler{Store: NewStore()}).ServeHTTP(open, req)
	if open.Code != http.StatusUnauthorized {
		t.Errorf("an agent without a token answered %d to an empty bearer token, want 401", open.Code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func closedPortInt(t *testing.T) int {
	n, _ := strconv.Atoi(closedPort(t))
	return n
}

func TestCollect(t *testing.T) {
	const token = "tok"
	one, every := execCheck("/g/test:one", specs.TasksOne), execCheck("/g/test:every", specs.TasksEvery)
	p1, _ := agentTask(t, token, "h", map[string]State{one.ID: Warning, every.ID: OK})
	p2, _ := agentTask(t, token, "h", map[string]State{one.ID: OK, every.ID: Critical})
	down := closedPortInt(t)
	task := func(id string, port int) marathon.Task {
		return marathon.Task{ID: id, State: taskRunning, Host: "127.0.0.1", Ports: []int{port}}
	}
	other := execCheck("/g/test:other", specs.TasksOne)
	other.Exec.App = "/g/test/dead"
	none := execCheck("/g/test:none", specs.TasksOne)
	none.Exec.App = "/g/test/gone"
	live := map[string]marathon.App{
		"/g/test/checks": {ID: "/g/test/checks", Tasks: []marathon.Task{task("checks.b", p2), task("checks.a", p1), task("checks.c", down)}},
		"/g/test/dead":   {ID: "/g/test/dead", Tasks: []marathon.Task{task("dead.a", down)}},
	}
	c := &Collector{HTTP: &http.Client{}, Token: token, Timeout: 2 * time.Second}
	states, stale := c.Collect(t.Context(), []specs.Check{one, every, other, none}, live)
	got := map[string]string{}
	for _, s := range states {
		got[s.ID] = s.Status.Hard.String() + " by " + s.Task
	}
	want := map[string]string{one.ID: "WARNING by checks.a", every.ID: "CRITICAL by checks.b"}
	if len(got) != len(want) || got[one.ID] != want[one.ID] || got[every.ID] != want[every.ID] {
		t.Errorf("states = %v, want %v", got, want)
	}
	if len(stale) != 2 || stale[0].App != "/g/test/dead" || !strings.HasPrefix(stale[0].Reason, "no agent answered: dead.a: ") || stale[0].Running != 1 ||
		stale[1].App != "/g/test/gone" || stale[1].Reason != "the app is not in Marathon" || stale[1].Running != 0 || stale[0].Checks[0] != other.ID {
		t.Errorf("stale = %+v", stale)
	}
	c.Token = "wrong"
	if _, stale := c.Collect(t.Context(), []specs.Check{one}, live); len(stale) != 1 || !strings.Contains(stale[0].Reason, "HTTP 401") {
		t.Errorf("with a wrong token the agents are stale: %+v", stale)
	}
}
