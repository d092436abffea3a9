package marathonsim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewAppDeploymentLifecycleAndEvents(t *testing.T) {
	x := newSim(t, Options{TaskStart: 500 * time.Millisecond})
	r := x.must(201, "POST", "/v2/apps", `{"id":"/web","cmd":"x","instances":2}`)
	depID := r.header.Get("Marathon-Deployment-Id")
	deps := x.deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments = %v, want one", deps)
	}
	d := deps[0].(map[string]any)
	if d["id"] != depID || jsonString(d["steps"]) != `[{"actions":[{"action":"StartApplication","app":"/web"}]},{"actions":[{"action":"ScaleApplication","app":"/web"}]}]` ||
		d["currentStep"] != 2.0 || d["totalSteps"] != 2.0 || jsonString(d["currentActions"]) != `[{"action":"ScaleApplication","app":"/web","readinessCheckResults":[]}]` {
		t.Errorf("deployment = %s", jsonString(d))
	}
	if got := x.tasks("/web"); len(got) != 2 || got[0]["state"] != "TASK_STAGING" || got[0]["startedAt"] != nil {
		t.Fatalf("tasks before start = %s", jsonString(got))
	}
	x.advance(500 * time.Millisecond)
	if got := x.tasks("/web"); got[0]["state"] != "TASK_RUNNING" || got[0]["startedAt"] == nil {
		t.Errorf("tasks after start = %s", jsonString(got))
	}
	if deps := x.deployments(); len(deps) != 0 {
		t.Errorf("deployment still running: %v", deps)
	}
	want := []string{"api_post_event", "group_change_success", "deployment_info", "deployment_step_success", "deployment_info",
		"status_update_event", "instance_changed_event", "status_update_event", "instance_changed_event",
		"status_update_event", "instance_changed_event", "status_update_event", "instance_changed_event",
		"deployment_step_success", "deployment_success"}
	if got := x.eventTypes(); !slices.Equal(got, want) {
		t.Errorf("events =\n%v\nwant\n%v", got, want)
	}
	app := x.app("/web")
	if app["tasksRunning"] != 2.0 || app["tasksHealthy"] != 0.0 {
		t.Errorf("counts: running %v healthy %v, want 2 and 0 (no health checks)", app["tasksRunning"], app["tasksHealthy"])
	}
}

func TestNoChangeGivesEmptyPlan(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x"}`)
	x.advance(time.Second)
	before := x.app("/a")["version"]
	r := x.must(200, "PUT", "/v2/apps/a", `{"cmd":"x"}`)
	if r.json(t)["deploymentId"] == "" {
		t.Error("no deployment id for a no-op change")
	}
	if got := x.app("/a")["version"]; got != before {
		t.Errorf("version moved on a no-op: %v → %v", before, got)
	}
	if deps := x.deployments(); len(deps) != 0 {
		t.Errorf("no-op left a deployment: %v", deps)
	}
}

func TestLockedAppNeedsForce(t *testing.T) {
	// Capacity for nothing: the deployment can never finish.
	x := newSim(t, Options{CPUs: 0.5})
	first := x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x"}`).header.Get("Marathon-Deployment-Id")
	r := x.must(409, "PUT", "/v2/apps/a", `{"cmd":"y"}`)
	body := r.json(t)
	wantMsg := "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."
	if body["message"] != wantMsg || jsonString(body["deployments"]) != `[{"id":"`+first+`"}]` {
		t.Errorf("409 body = %s", r.body)
	}
	second := x.must(200, "PUT", "/v2/apps/a?force=true", `{"cmd":"y"}`).json(t)["deploymentId"]
	deps := x.deployments()
	if len(deps) != 1 || deps[0].(map[string]any)["id"] != second {
		t.Errorf("deployments after force = %s, want only %v", jsonString(deps), second)
	}
	var failed []string
	for _, e := range x.events() {
		if e.Type == "deployment_failed" {
			failed = append(failed, e.Payload["id"].(string))
		}
	}
	if !slices.Equal(failed, []string{first}) {
		t.Errorf("deployment_failed for %v, want [%s]", failed, first)
	}
	// DELETE defaults to force=true.
	x.must(200, "DELETE", "/v2/apps/a", nil)
	x.must(404, "GET", "/v2/apps/a", nil)
}

func TestRollingUpgradeHonoursUpgradeStrategy(t *testing.T) {
	tests := []struct {
		name                 string
		strategy             string
		minReady, maxRunning int
	}{
		{"default 1/1 starts all new side by side", `{"minimumHealthCapacity":1,"maximumOverCapacity":1}`, 4, 8},
		{"0.5/0 kills half first", `{"minimumHealthCapacity":0.5,"maximumOverCapacity":0}`, 2, 4},
		{"1/0 one extra at a time", `{"minimumHealthCapacity":1,"maximumOverCapacity":0}`, 4, 5},
		{"0/0 kills all first", `{"minimumHealthCapacity":0,"maximumOverCapacity":0}`, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := newSim(t, Options{TaskStart: time.Second})
			hc := `"healthChecks":[{"protocol":"TCP","intervalSeconds":1,"gracePeriodSeconds":10}]`
			x.must(201, "POST", "/v2/apps", `{"id":"/r","cmd":"v1","instances":4,`+hc+`,"upgradeStrategy":`+tc.strategy+`}`)
			x.until(10*time.Second, "first deployment done", func() bool { return len(x.deployments()) == 0 })
			x.must(200, "PUT", "/v2/apps/r", `{"cmd":"v2"}`)
			var minReady, maxRunning = 100, 0
			x.until(60*time.Second, "upgrade done", func() bool {
				ready, alive := 0, 0
				for _, tk := range x.s.rt["/r"].tasks {
					alive++
					if tk.ready() {
						ready++
					}
				}
				minReady, maxRunning = min(minReady, ready), max(maxRunning, alive)
				return len(x.deployments()) == 0
			})
			if minReady != tc.minReady || maxRunning != tc.maxRunning {
				t.Errorf("during upgrade: min ready %d, max tasks %d; want %d and %d", minReady, maxRunning, tc.minReady, tc.maxRunning)
			}
			for _, tk := range x.tasks("/r") {
				if tk["version"] != x.app("/r")["version"] {
					t.Errorf("task %v runs old version %v", tk["id"], tk["version"])
				}
			}
		})
	}
}

func TestDependencyOrder(t *testing.T) {
	x := newSim(t, Options{})
	group := `{"id":"/shop","apps":[{"id":"web","cmd":"x","dependencies":["api"]},{"id":"api","cmd":"x","dependencies":["db"]},{"id":"db","cmd":"x"}]}`
	r := x.must(200, "PUT", "/v2/groups/shop?dryRun=true", group)
	want := `{"steps":[{"actions":[{"action":"StartApplication","app":"/shop/api"},{"action":"StartApplication","app":"/shop/db"},{"action":"StartApplication","app":"/shop/web"}]},` +
		`{"actions":[{"action":"ScaleApplication","app":"/shop/db"}]},{"actions":[{"action":"ScaleApplication","app":"/shop/api"}]},{"actions":[{"action":"ScaleApplication","app":"/shop/web"}]}]}`
	if got := strings.TrimSpace(string(r.body)); got != want {
		t.Errorf("dry run plan =\n%s\nwant\n%s", got, want)
	}
	x.must(404, "GET", "/v2/apps/shop/db", nil) // dry run deploys nothing
	x.must(201, "POST", "/v2/groups", group)
	x.until(5*time.Second, "group deployed", func() bool { return len(x.deployments()) == 0 })
	var started []string
	for _, e := range x.events() {
		if e.Type == "status_update_event" && e.Payload["taskStatus"] == "TASK_RUNNING" {
			started = append(started, e.Payload["appId"].(string))
		}
	}
	if !slices.Equal(started, []string{"/shop/db", "/shop/api", "/shop/web"}) {
		t.Errorf("tasks started in order %v, want db, api, web", started)
	}
	var g map[string]any
	_ = json.Unmarshal(x.must(200, "GET", "/v2/groups/shop", nil).body, &g)
	if n := len(g["apps"].([]any)); n != 3 {
		t.Errorf("group has %d apps, want 3", n)
	}
	x.must(409, "POST", "/v2/groups", `{"id":"/shop"}`)
	x.must(200, "DELETE", "/v2/groups/shop", nil)
	x.until(5*time.Second, "group removed", func() bool { return len(x.s.tasks) == 0 })
}

func TestUnhealthyTaskIsReplacedWithBackoff(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/h","cmd":"x","backoffSeconds":10,"backoffFactor":2,"maxLaunchDelaySeconds":30,
		"healthChecks":[{"protocol":"HTTP","gracePeriodSeconds":0,"intervalSeconds":5,"maxConsecutiveFailures":2}]}`)
	x.until(5*time.Second, "healthy", func() bool { return x.app("/h")["tasksHealthy"] == 1.0 })
	killed := map[string]bool{}
	for round, wantDelay := range []float64{10, 20, 30, 30} {
		id := x.tasks("/h")[0]["id"].(string)
		x.must(200, "POST", "/sim/v1/tasks/"+id+"/health", `{"alive":false}`)
		if a := x.app("/h"); a["tasksUnhealthy"] != 1.0 {
			t.Fatalf("round %d: tasksUnhealthy = %v", round, a["tasksUnhealthy"])
		}
		x.advance(5 * time.Second) // second consecutive failure: killed
		if ts := x.tasks("/h"); len(ts) != 1 || ts[0]["state"] != stateKilling {
			t.Fatalf("round %d: unhealthy task not killing: %s", round, jsonString(ts))
		}
		x.advance(200 * time.Millisecond) // Options.TaskKill
		if len(x.tasks("/h")) != 0 {
			t.Fatalf("round %d: unhealthy task not killed", round)
		}
		killed[id] = true
		q := x.must(200, "GET", "/v2/queue", nil).json(t)["queue"].([]any)
		if len(q) != 1 {
			t.Fatalf("round %d: queue = %s", round, jsonString(q))
		}
		item := q[0].(map[string]any)
		delay := item["delay"].(map[string]any)
		if item["count"] != 1.0 || delay["timeLeftSeconds"] != wantDelay || delay["overdue"] != false {
			t.Errorf("round %d: queue item count %v delay %v, want 1 and %v", round, item["count"], jsonString(delay), wantDelay)
		}
		x.advance(time.Duration(wantDelay) * time.Second)
		x.until(2*time.Second, "replacement healthy", func() bool { return x.app("/h")["tasksHealthy"] == 1.0 })
	}
	var kills int
	for _, e := range x.events() {
		if e.Type == "unhealthy_instance_kill_event" {
			kills++
		}
	}
	if kills != 4 {
		t.Errorf("%d unhealthy_instance_kill_event, want 4", kills)
	}
}

func TestCapacityQueuesTasks(t *testing.T) {
	x := newSim(t, Options{CPUs: 2, MemMB: 1024})
	x.must(201, "POST", "/v2/apps", `{"id":"/big","cmd":"x","cpus":1.5,"mem":64}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/small","cmd":"x","cpus":1,"instances":2,"mem":64}`)
	x.advance(time.Second)
	q := x.must(200, "GET", "/v2/queue", nil).json(t)["queue"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["count"] != 2.0 || q[0].(map[string]any)["app"].(map[string]any)["id"] != "/small" {
		t.Fatalf("queue = %s, want /small with count 2", jsonString(q))
	}
	if n := len(x.deployments()); n != 1 {
		t.Errorf("%d deployments, want the under-provisioned one", n)
	}
	x.must(200, "DELETE", "/v2/apps/big", nil)
	x.advance(time.Second)
	if n := len(x.tasks("/small")); n != 2 {
		t.Errorf("/small has %d tasks after capacity freed, want 2", n)
	}
	if n := len(x.deployments()); n != 0 {
		t.Errorf("%d deployments left", n)
	}
}

func TestCrashedTaskRecordsFailure(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/c","cmd":"x"}`)
	x.advance(time.Second)
	id := x.tasks("/c")[0]["id"].(string)
	x.must(200, "POST", "/sim/v1/tasks/"+id+"/fail", nil)
	ltf := x.app("/c")["lastTaskFailure"].(map[string]any)
	if ltf["taskId"] != id || ltf["state"] != "TASK_FAILED" {
		t.Errorf("lastTaskFailure = %s", jsonString(ltf))
	}
	x.must(204, "DELETE", "/v2/queue/c/delay", nil)
	if n := len(x.tasks("/c")); n != 1 {
		t.Errorf("after resetting the delay: %d tasks, want a replacement", n)
	}
}

func TestScaleAndKillTasks(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/s","cmd":"x","instances":3}`)
	x.advance(time.Second)
	x.must(200, "PUT", "/v2/apps/s", `{"instances":1}`)
	x.advance(time.Second)
	if n := len(x.tasks("/s")); n != 1 {
		t.Errorf("after scale to 1: %d tasks", n)
	}
	vi := x.app("/s")["versionInfo"].(map[string]any)
	if vi["lastConfigChangeAt"] == vi["lastScalingAt"] {
		t.Errorf("scaling moved lastConfigChangeAt: %v", vi)
	}
	x.must(200, "DELETE", "/v2/apps/s/tasks?scale=true", nil)
	x.advance(time.Second)
	if a := x.app("/s"); a["instances"] != 0.0 || len(x.tasks("/s")) != 0 {
		t.Errorf("after kill with scale: instances %v, tasks %d", a["instances"], len(x.tasks("/s")))
	}
}

func TestRollbackDeployment(t *testing.T) {
	x := newSim(t, Options{CPUs: 1})
	x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x"}`)
	x.advance(time.Second)
	dep := x.must(200, "PUT", "/v2/apps/a", `{"cmd":"y","cpus":5}`).json(t)["deploymentId"].(string)
	x.must(200, "DELETE", "/v2/deployments/"+dep, nil)
	x.advance(time.Second)
	if a := x.app("/a"); a["cmd"] != "x" {
		t.Errorf("after rollback cmd = %v, want x", a["cmd"])
	}
	if n := len(x.deployments()); n != 0 {
		t.Errorf("%d deployments after rollback", n)
	}
}
