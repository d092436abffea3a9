package reconciler

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/marathonsim"
)

func newSim(t *testing.T) *marathon.Client {
	t.Helper()
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := marathon.New(marathon.Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// trickyApps are definitions whose defaults Marathon fills in differently
// from how they were written.
var trickyApps = []DesiredApp{
	desiredApp("/t/omitted", `{"cmd":"sleep 1000"}`),
	desiredApp("/t/explicit", `{"cmd":"sleep 1000","args":null,"user":null,"env":{},"instances":1,"cpus":1,"mem":128,"disk":0,"gpus":0,
		"executor":"","constraints":[],"uris":[],"fetch":[],"storeUrls":[],"portDefinitions":[{"port":0,"protocol":"tcp","name":"default","labels":{}}],
		"requirePorts":false,"backoffSeconds":1,"backoffFactor":1.15,"maxLaunchDelaySeconds":3600,"container":null,
		"healthChecks":[{"protocol":"HTTP","path":"/","portIndex":0,"gracePeriodSeconds":300,"intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3,"ignoreHttp1xx":false}],
		"readinessChecks":[],"dependencies":[],"upgradeStrategy":{"minimumHealthCapacity":1.0,"maximumOverCapacity":1.0},"labels":{},"secrets":{},
		"unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0},"killSelection":"YOUNGEST_FIRST"}`),
	desiredApp("/t/zero", `{"cmd":"sleep 1000","cpus":0,"mem":16,"user":"","ports":[0,0],"uris":["http://x/a.tgz"]}`),
	desiredApp("/t/docker", `{"instances":2,"container":{"type":"DOCKER","docker":{"image":"nginx:1","network":"BRIDGE",
		"portMappings":[{"containerPort":80,"hostPort":0},{"containerPort":9090}]}},
		"healthChecks":[{"protocol":"tcp"},{"path":"/health","portIndex":1}],"constraints":[["rack","GROUP_BY"],["hostname","UNIQUE"]],
		"env":{"LOG_LEVEL":"info"},"labels":{"HAPROXY_GROUP":"external"},"dependencies":["/t/omitted"]}`),
}

func planSim(t *testing.T, c *marathon.Client, desired []DesiredApp, opts PlanOptions) *Plan {
	t.Helper()
	live, err := c.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(desired, live, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func applySim(t *testing.T, c *marathon.Client, p *Plan) {
	t.Helper()
	if _, err := Apply(t.Context(), c, p, ApplyOptions{Wait: true, PollInterval: 10 * time.Millisecond, WaitTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
}

func TestSimIdempotent(t *testing.T) {
	c := newSim(t)
	applySim(t, c, planSim(t, c, trickyApps, PlanOptions{}))
	if p := planSim(t, c, trickyApps, PlanOptions{}); p.HasChanges() {
		t.Fatalf("second plan after apply is not empty:\n%s", p)
	}
}

func TestSimRemovals(t *testing.T) {
	c := newSim(t)
	before := []DesiredApp{desiredApp("/r/api", `{"cmd":"sleep 1000","env":{"A":"1","B":"2"},"labels":{"X":"1","Y":"2"},
		"healthChecks":[{"protocol":"TCP"},{"path":"/h"}],"constraints":[["hostname","UNIQUE"],["rack","GROUP_BY"]]}`)}
	after := []DesiredApp{desiredApp("/r/api", `{"cmd":"sleep 1000","env":{"A":"1"},"labels":{"X":"1"},
		"healthChecks":[{"path":"/h"}],"constraints":[["hostname","UNIQUE"]]}`)}
	applySim(t, c, planSim(t, c, before, PlanOptions{}))
	p := planSim(t, c, after, PlanOptions{})
	if p.Summary.Update != 1 {
		t.Fatalf("removals not planned as an update:\n%s", p)
	}
	applySim(t, c, p)
	if p := planSim(t, c, after, PlanOptions{}); p.HasChanges() {
		t.Fatalf("removed fields survived in Marathon:\n%s", p)
	}
	live, err := c.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Env          map[string]any `json:"env"`
		Labels       map[string]any `json:"labels"`
		HealthChecks []any          `json:"healthChecks"`
		Constraints  []any          `json:"constraints"`
	}
	if err := json.Unmarshal(live[0].Raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Env["B"] != nil || got.Labels["Y"] != nil || len(got.HealthChecks) != 1 || len(got.Constraints) != 1 {
		t.Errorf("live app still has removed fields: %s", live[0].Raw)
	}
}

// TestSimMappedPortsConverge: a Docker app with port mappings that also
// gives portDefinitions or the legacy ports converges; it used to be
// written again on every pass (issue 12).
func TestSimMappedPortsConverge(t *testing.T) {
	bridge := `"container":{"type":"DOCKER","docker":{"image":"nginx:1","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0},{"containerPort":81,"protocol":"udp"}]}}`
	tests := []struct{ name, def string }{
		{"portDefinitions", `{"cmd":"sleep 1000",` + bridge + `,"portDefinitions":[{"port":0,"name":"web"}]}`},
		{"legacy ports", `{"cmd":"sleep 1000",` + bridge + `,"ports":[0]}`},
		{"fixed port definition", `{"cmd":"sleep 1000",` + bridge + `,"portDefinitions":[{"port":10500,"protocol":"udp"}],"requirePorts":true}`},
		{"HOST network mappings", `{"cmd":"sleep 1000","container":{"type":"DOCKER","docker":{"image":"nginx:1","network":"HOST","portMappings":[{"containerPort":80,"hostPort":0}]}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newSim(t)
			desired := []DesiredApp{desiredApp("/p/web", tc.def)}
			applySim(t, c, planSim(t, c, desired, PlanOptions{}))
			if p := planSim(t, c, desired, PlanOptions{}); p.HasChanges() {
				t.Fatalf("second plan after apply is not empty:\n%s", p)
			}
		})
	}
}
