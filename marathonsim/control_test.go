package marathonsim

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFaultsApplyToV2Only(t *testing.T) {
	x := newSim(t, Options{})
	x.must(200, "POST", "/sim/v1/faults", `{"errorRate":1,"errorStatus":502}`)
	if r := x.do("GET", "/v2/apps", nil); r.status != 502 || r.json(t)["message"] != "simulated fault" {
		t.Errorf("GET /v2/apps under errorRate 1: %d %s", r.status, r.body)
	}
	x.must(200, "GET", "/ping", nil)
	x.must(200, "GET", "/sim/v1/state", nil)
	x.must(204, "DELETE", "/sim/v1/faults", nil)
	x.must(200, "GET", "/v2/apps", nil)
}

func TestDropEventStreamsHoldsUntilCleared(t *testing.T) {
	x := newSim(t, Options{})
	x.must(200, "POST", "/sim/v1/faults", `{"dropEventStreams":true}`)
	if r := x.do("GET", "/v2/events", nil); r.status != 503 {
		t.Errorf("GET /v2/events while dropped: %d %s, want 503", r.status, r.body)
	}
	x.must(200, "GET", "/v2/apps", nil)
	x.must(204, "DELETE", "/sim/v1/faults", nil)
	srv := httptest.NewServer(x.s)
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/v2/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GET /v2/events after clearing: %s, want 200", res.Status)
	}
}

func TestLatencyFaultRunsOnTheClock(t *testing.T) {
	x := newSim(t, Options{})
	x.must(200, "POST", "/sim/v1/faults", `{"latencyMs":1500}`)
	done := make(chan resp, 1)
	go func() { done <- x.do("GET", "/v2/leader", nil) }()
	for x.clock.Pending() == 0 {
		select {
		case r := <-done:
			t.Fatalf("answered before the latency elapsed: %d", r.status)
		default:
		}
	}
	x.advance(1500 * time.Millisecond)
	if r := <-done; r.status != 200 {
		t.Errorf("status %d after latency", r.status)
	}
}

func TestStalledDeploymentsResume(t *testing.T) {
	x := newSim(t, Options{})
	x.must(200, "POST", "/sim/v1/faults", `{"stallDeployments":true}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x"}`)
	x.advance(time.Minute)
	if n := len(x.deployments()); n != 1 {
		t.Fatalf("%d deployments while stalled, want 1", n)
	}
	x.must(204, "DELETE", "/sim/v1/faults", nil)
	x.advance(time.Second)
	if n := len(x.deployments()); n != 0 || len(x.tasks("/a")) != 1 {
		t.Errorf("after clearing: %d deployments, %d tasks", n, len(x.tasks("/a")))
	}
}

func TestNeverHealthyDeploymentNeverFinishes(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/sick","cmd":"x","healthChecks":[{"protocol":"HTTP","gracePeriodSeconds":30,"intervalSeconds":10,"maxConsecutiveFailures":0}]}`)
	x.advance(300 * time.Millisecond) // running; first check not yet done
	id := x.tasks("/sick")[0]["id"].(string)
	x.must(200, "POST", "/sim/v1/tasks/"+id+"/health", `{"alive":false}`)
	x.advance(10 * time.Minute)
	a := x.app("/sick")
	if len(x.deployments()) != 1 || a["tasksUnhealthy"] != 1.0 || a["tasksRunning"] != 1.0 {
		t.Errorf("deployments %d, unhealthy %v, running %v; want the deployment stuck on one unhealthy task", len(x.deployments()), a["tasksUnhealthy"], a["tasksRunning"])
	}
	x.must(200, "POST", "/sim/v1/tasks/"+id+"/health", `{"alive":true}`)
	if n := len(x.deployments()); n != 0 {
		t.Errorf("%d deployments after the task turned healthy", n)
	}
}

func TestRestartAndVersionRollback(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/v","cmd":"one","instances":2}`)
	x.advance(time.Second)
	v1 := x.app("/v")["version"].(string)
	before := map[any]bool{}
	for _, tk := range x.tasks("/v") {
		before[tk["id"]] = true
	}
	x.must(200, "POST", "/v2/apps/v/restart", nil)
	x.advance(time.Second)
	for _, tk := range x.tasks("/v") {
		if before[tk["id"]] {
			t.Errorf("task %v survived the restart", tk["id"])
		}
	}
	x.must(200, "PUT", "/v2/apps/v", `{"cmd":"two"}`)
	x.advance(time.Second)
	x.must(404, "PUT", "/v2/apps/v", `{"version":"2000-01-01T00:00:00.000Z"}`)
	x.must(200, "PUT", "/v2/apps/v", `{"version":"`+v1+`"}`)
	x.advance(time.Second)
	if a := x.app("/v"); a["cmd"] != "one" {
		t.Errorf("after rollback to %s cmd = %v", v1, a["cmd"])
	}
	var body struct{ Versions []string }
	r := x.must(200, "GET", "/v2/apps/v/versions", nil)
	_ = jsonUnmarshal(r.body, &body)
	if len(body.Versions) != 4 || body.Versions[3] != v1 {
		t.Errorf("versions = %v", body.Versions)
	}
	x.must(200, "GET", "/v2/apps/v/versions/"+v1, nil)
}
