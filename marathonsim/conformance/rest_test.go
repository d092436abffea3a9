package conformance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

func TestPing(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	r := s.must(http.StatusOK, http.MethodGet, "/ping", nil)
	if strings.TrimSpace(string(r.body)) != "pong" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /ping = %q (%s), want text/plain pong", r.body, r.header.Get("Content-Type"))
	}
}

func TestInfo(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	got := s.must(http.StatusOK, http.MethodGet, "/v2/info", nil).json(t)
	checkShape(t, examples+"info.json", recorded(t, examples+"info.json"), got, shapeOptions{})
	checkShape(t, "methods.yml GET /v2/info", goMarathonFixture(t, "GET", "/v2/info", ""), got,
		shapeOptions{AllowExtra: true, Ignore: []string{
			"$.marathon_config", "$.zookeeper_config.zk_future_timeout", "$.zookeeper_config.zk_hosts",
			"$.zookeeper_config.zk_path", "$.zookeeper_config.zk_state", "$.http_config.assets_path",
		}},
		set("$.event_subscriber", nil, "§5 / info.json (1.4): event_subscriber is null without --event_subscriber; the 0.7 fixture shows an http_callback one"),
	)
}

func TestLeader(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	got := s.must(http.StatusOK, http.MethodGet, "/v2/leader", nil).json(t)
	checkShape(t, "methods.yml GET /v2/leader", goMarathonFixture(t, "GET", "/v2/leader", ""), got, shapeOptions{})
}

func TestAppCreateAndRead(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	r := s.do(http.MethodPost, "/v2/apps", myApp("/myapp"))
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v2/apps: status %d, want 201: %s", r.status, r.body)
	}
	if r.header.Get("Location") == "" || r.header.Get("Marathon-Deployment-Id") == "" {
		t.Errorf("POST /v2/apps headers Location=%q Marathon-Deployment-Id=%q, want both (§1, §3)",
			r.header.Get("Location"), r.header.Get("Marathon-Deployment-Id"))
	}
	checkShape(t, "app_list.json app (POST response)", appInfoShape(t), r.json(t),
		shapeOptions{FreeForm: freeForm("$")},
		del("$.versionInfo", "§3: the POST response has no versionInfo (VersionInfo.OnlyVersion writes nothing)"),
		set("$.tasks", []any{}, "§3: the POST response embeds tasks: []"),
	)
	s.settle()

	list := s.must(http.StatusOK, http.MethodGet, "/v2/apps", nil).json(t)
	checkShape(t, examples+"app_list.json", recorded(t, examples+"app_list.json"), list,
		shapeOptions{FreeForm: freeForm("$.apps[]")}, prefixed("$.apps[]", appDefPatches)...)

	one := s.must(http.StatusOK, http.MethodGet, "/v2/apps/myapp", nil).json(t)
	wantOne := map[string]any{"app": applyPatches(t, appInfoShape(t), []patch{
		set("$.tasks", []any{}, "§3: GET /v2/apps/{id} always embeds tasks")})}
	checkShape(t, "app_list.json app (GET /v2/apps/{id})", wantOne, one, shapeOptions{
		FreeForm: freeForm("$.app"),
		Ignore:   []string{"$.app.tasks"}, // element shape checked in TestTasks
	})

	versions := s.must(http.StatusOK, http.MethodGet, "/v2/apps/myapp/versions", nil).json(t)
	checkShape(t, "methods.yml GET /v2/apps/fake-app/versions",
		goMarathonFixture(t, "GET", "/v2/apps/fake-app/versions", ""), versions, shapeOptions{})
	if vs, _ := get(versions, "$.versions").([]any); len(vs) > 0 {
		v, _ := vs[0].(string)
		def := s.must(http.StatusOK, http.MethodGet, "/v2/apps/myapp/versions/"+v, nil).json(t)
		checkShape(t, "app definition at a version", appDefShape(t), def, shapeOptions{FreeForm: freeForm("$")})
		checkShape(t, "methods.yml GET /v2/apps/fake-app/versions/{v}",
			goMarathonFixture(t, "GET", "/v2/apps/fake-app/versions/2014-09-12T23:28:21.737Z", ""), def,
			shapeOptions{AllowExtra: true, FreeForm: freeForm("$"), Ignore: []string{
				"$.container", "$.uris", "$.healthChecks", // values of the fixture's app, not of ours
			}},
			set("$.upgradeStrategy.maximumOverCapacity", 1, "§6: upgradeStrategy has both fields"),
			del("$.tasks", "§3: a version is the bare app definition; the fixture wrongly carries AppInfo fields"),
			del("$.tasksRunning", "§3: a version is the bare app definition"),
			del("$.tasksStaged", "§3: a version is the bare app definition"),
			del("$.deployments", "§3: a version is the bare app definition"),
			del("$.lastTaskFailure", "§3: a version is the bare app definition"))
	} else {
		t.Error("GET /v2/apps/myapp/versions listed no version")
	}
}

// prefixed moves app patches under a path such as "$.apps[]".
func prefixed(prefix string, ps []patch) []patch {
	out := make([]patch, len(ps))
	for i, p := range ps {
		p.path = prefix + strings.TrimPrefix(p.path, "$")
		out[i] = p
	}
	return out
}

func TestAppChanges(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/myapp"))
	s.settle()
	result := recorded(t, examples+"deployments_result.json")

	steps := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"PUT update (partial)", http.MethodPut, "/v2/apps/myapp", map[string]any{"instances": 2}, http.StatusOK},
		{"PUT creates a missing app", http.MethodPut, "/v2/apps/other", map[string]any{"cmd": "sleep 60", "cpus": 0.1, "mem": 5}, http.StatusCreated},
		{"PATCH update", http.MethodPatch, "/v2/apps/myapp", recorded(t, examples+"app_patch.json"), http.StatusOK},
		{"restart", http.MethodPost, "/v2/apps/myapp/restart", nil, http.StatusOK},
		{"kill tasks and scale", http.MethodDelete, "/v2/apps/myapp/tasks?scale=true", nil, http.StatusOK},
		{"delete app", http.MethodDelete, "/v2/apps/other", nil, http.StatusOK},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			s.t = t
			r := s.must(st.status, st.method, st.path, st.body)
			checkShape(t, "deployments_result.json", result, r.json(t), shapeOptions{})
			if r.header.Get("Marathon-Deployment-Id") == "" {
				t.Errorf("no Marathon-Deployment-Id header (§1)")
			}
			s.settle()
		})
	}
}

func TestAppBatch(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	body := recorded(t, examples+"apps_create.json").([]any)
	// The recorded body depends on "/other/namespace/or/app", which does not
	// exist here; keep only the dependency between the two apps.
	body[0].(map[string]any)["dependencies"] = []any{"/test/sleep120"}
	result := recorded(t, examples+"deployments_result.json")
	r := s.must(http.StatusOK, http.MethodPut, "/v2/apps", body)
	checkShape(t, "deployments_result.json (PUT /v2/apps)", result, r.json(t), shapeOptions{})
	s.settle()
	r = s.must(http.StatusOK, http.MethodPatch, "/v2/apps", recorded(t, examples+"apps_patch.json"))
	checkShape(t, "deployments_result.json (PATCH /v2/apps)", result, r.json(t), shapeOptions{})
}

func TestAppErrors(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	checkBody(t, "GET unknown app", s.do(http.MethodGet, "/v2/apps/missing", nil),
		http.StatusNotFound, `{"message":"App '/missing' does not exist"}`)
	checkBody(t, "DELETE unknown app", s.do(http.MethodDelete, "/v2/apps/missing", nil),
		http.StatusNotFound, `{"message":"App '/missing' does not exist"}`)
	checkBody(t, "GET tasks of unknown app", s.do(http.MethodGet, "/v2/apps/missing/tasks", nil),
		http.StatusNotFound, `{"message":"App '/missing' does not exist"}`)

	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/myapp"))
	checkBody(t, "POST existing app", s.do(http.MethodPost, "/v2/apps", myApp("/myapp")),
		http.StatusConflict, `{"message":"An app with id [/myapp] already exists."}`)

	errShape := decode(t, "422 shape", []byte(`{"message":"Object is not valid","details":[{"path":"/id","errors":["x"]}]}`))
	r := s.do(http.MethodPost, "/v2/apps", map[string]any{"id": "/My_App", "cmd": "sleep 1"})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("POST invalid id: status %d, want 422: %s", r.status, r.body)
	} else {
		checkShape(t, "§1 422 body", errShape, r.json(t), shapeOptions{})
		if get(r.json(t), "$.message") != "Object is not valid" {
			t.Errorf("422 message %v", get(r.json(t), "$.message"))
		}
	}
	r = s.do(http.MethodPost, "/v2/apps", map[string]any{"id": "/nocmd"})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("POST app without cmd/args/container: status %d, want 422: %s", r.status, r.body)
	}
	r = s.do(http.MethodPost, "/v2/apps", `{"id": "/x", "cmd": `)
	if r.status != http.StatusBadRequest {
		t.Errorf("POST malformed JSON: status %d, want 400: %s", r.status, r.body)
	} else {
		checkShape(t, "§1 400 body", decode(t, "400", []byte(`{"message":"Invalid JSON","details":"x"}`)), r.json(t), shapeOptions{})
	}
	r = s.do(http.MethodGet, "/v2/nothing-here", nil)
	checkBody(t, "unknown route", r, http.StatusNotFound, `{"message":"URI not found: /v2/nothing-here"}`)
}

func TestTasks(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/myapp"))
	s.settle()
	// §5 EnrichedTask (1.4): the examples omit state, ipAddresses and
	// healthCheckResults-less tasks; slaveId is null only in the example.
	taskPatches := []patch{
		set("$.tasks[].state", "TASK_RUNNING", "§5: EnrichedTask writes state"),
		set("$.tasks[].ipAddresses", []any{map[string]any{"ipAddress": "127.0.0.1", "protocol": "IPv4"}}, "§5: ipAddresses"),
		set("$.tasks[].slaveId", "agent", "§5: slaveId is the agent id (null in the example only)"),
	}
	// /v2/apps/{id}/tasks, app-embedded tasks and killed tasks carry no
	// servicePorts: only TasksResource passes them to EnrichedTask
	// (AppTasksResource.scala:73, AppInfoBaseData.scala:151, TasksResource
	// .scala:84-90 at v1.4.13); the doc example is older than that code.
	appTasks := s.must(http.StatusOK, http.MethodGet, "/v2/apps/myapp/tasks", nil).json(t)
	if n, _ := get(appTasks, "$.tasks").([]any); len(n) != 1 {
		t.Errorf("GET /v2/apps/myapp/tasks has %d tasks, want 1", len(n))
	}
	appTaskPatches := taskPatches // and no servicePorts, as app_tasks.json shows
	checkShape(t, examples+"app_tasks.json", recorded(t, examples+"app_tasks.json"), appTasks, shapeOptions{}, appTaskPatches...)
	all := s.must(http.StatusOK, http.MethodGet, "/v2/tasks", nil).json(t)
	checkShape(t, examples+"tasks.json", recorded(t, examples+"tasks.json"), all, shapeOptions{}, taskPatches...)
	checkShape(t, "methods.yml GET /v2/tasks", goMarathonFixture(t, "GET", "/v2/tasks", ""), all,
		shapeOptions{AllowExtra: true}, del("$.tasks[].healthCheckResults", "§5: left out when empty (no health checks)"))

	embedded := s.must(http.StatusOK, http.MethodGet, "/v2/apps?embed=apps.tasks", nil).json(t)
	wantEmbedded := map[string]any{"apps": []any{applyPatches(t, appInfoShape(t), []patch{
		set("$.tasks", get(applyPatches(t, recorded(t, examples+"app_tasks.json"), appTaskPatches), "$.tasks"), "§3: embed=apps.tasks")})}}
	checkShape(t, "app_list.json + app_tasks.json (embed=apps.tasks)", wantEmbedded, embedded,
		shapeOptions{FreeForm: freeForm("$.apps[]")})

	staging := s.must(http.StatusOK, http.MethodGet, "/v2/tasks?status=staging", nil).json(t)
	if n, _ := get(staging, "$.tasks").([]any); len(n) != 0 {
		t.Errorf("GET /v2/tasks?status=staging lists %d tasks after they started", len(n))
	}

	killed := s.must(http.StatusOK, http.MethodDelete, "/v2/apps/myapp/tasks", nil).json(t)
	checkShape(t, "DELETE /v2/apps/{id}/tasks (§3)", recorded(t, examples+"app_tasks.json"), killed, shapeOptions{}, appTaskPatches...)
}

func TestGroups(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	body := map[string]any{"id": "/tools", "apps": []any{myApp("/tools/oauth-server")}}
	r := s.must(http.StatusCreated, http.MethodPost, "/v2/groups", body)
	checkShape(t, "§4 POST /v2/groups", recorded(t, examples+"deployments_result.json"), r.json(t), shapeOptions{})
	s.settle()
	s.must(http.StatusCreated, http.MethodPost, "/v2/groups", map[string]any{"id": "/tools/nested", "apps": []any{}})
	s.settle()

	// group.json's apps are 0.x-era; they are compared with the 1.4.13 app
	// definition instead, and 1.4 adds pods (§4, §9).
	groupPatches := []patch{
		set("$.pods", []any{}, "§4/§9: pods is written from 1.4"),
		set("$.groups[].pods", []any{}, "§4/§9: pods is written from 1.4"),
		set("$.groups[].groups[].pods", []any{}, "§4/§9: pods is written from 1.4"),
		set("$.groups[].apps", []any{appDefShape(t)}, "§3: apps in groups are 1.4.13 app definitions, not group.json's 0.x apps"),
	}
	groups := s.must(http.StatusOK, http.MethodGet, "/v2/groups", nil).json(t)
	checkShape(t, examples+"group.json", recorded(t, examples+"group.json"), groups,
		shapeOptions{FreeForm: freeForm("$.groups[].apps[]")}, groupPatches...)
	one := s.must(http.StatusOK, http.MethodGet, "/v2/groups/tools", nil).json(t)
	checkShape(t, "methods.yml GET /v2/groups/test", goMarathonFixture(t, "GET", "/v2/groups/test", ""), one,
		shapeOptions{AllowExtra: true, FreeForm: freeForm("$.apps[]"), Ignore: []string{"$.apps[].container", "$.apps[].healthChecks"}})

	checkBody(t, "POST existing group", s.do(http.MethodPost, "/v2/groups", body),
		http.StatusConflict, `{"message":"Group /tools is already created. Use PUT to change this group."}`)
	checkBody(t, "GET unknown group", s.do(http.MethodGet, "/v2/groups/nope", nil),
		http.StatusNotFound, `{"message":"Group '/nope' does not exist"}`)

	update := map[string]any{"id": "/tools", "apps": []any{myApp("/tools/oauth-server"), myApp("/tools/second")}}
	dry := s.must(http.StatusOK, http.MethodPut, "/v2/groups/tools?dryRun=true", update).json(t)
	checkShape(t, "§4 dryRun plan", decode(t, "plan", []byte(`{"steps":[{"actions":[{"action":"StartApplication","app":"/tools/second"}]}]}`)),
		dry, shapeOptions{})
	r = s.must(http.StatusOK, http.MethodPut, "/v2/groups/tools", update)
	checkShape(t, "methods.yml PUT /v2/groups/:groupId", goMarathonFixture(t, "PUT", "/v2/groups/:groupId", ""), r.json(t), shapeOptions{})
	s.settle()
	r = s.must(http.StatusOK, http.MethodDelete, "/v2/groups/tools", nil)
	checkShape(t, "methods.yml DELETE /v2/groups/:groupId", goMarathonFixture(t, "DELETE", "/v2/groups/:groupId", ""), r.json(t),
		shapeOptions{}, set("$.deploymentId", "", "§4: the code writes deploymentId; the old doc and fixture show only version"))
}

func TestDeployments(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.control(http.MethodPost, "/faults", map[string]any{"stallDeployments": true})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/foo"))
	deps := s.must(http.StatusOK, http.MethodGet, "/v2/deployments", nil).json(t)
	list, _ := deps.([]any)
	if len(list) != 1 {
		t.Fatalf("GET /v2/deployments = %s, want one stalled deployment", s.do(http.MethodGet, "/v2/deployments", nil).body)
	}
	checkShape(t, examples+"deployments.json", recorded(t, examples+"deployments.json"), deps, shapeOptions{})
	checkShape(t, "methods.yml GET /v2/deployments (scope v1.1.1)", goMarathonFixture(t, "GET", "/v2/deployments", "v1.1.1"), deps,
		shapeOptions{AllowExtra: true},
		rename("$[].steps[].actions[].type", "action", "§5/§8: 1.4 code writes action; the old doc shows type"),
		rename("$[].currentActions[].type", "action", "§5: 1.4 code writes action"))

	id, _ := get(list[0], "$.id").(string)
	checkBody(t, "DELETE unknown deployment", s.do(http.MethodDelete, "/v2/deployments/nope", nil),
		http.StatusNotFound, `{"message":"DeploymentPlan nope does not exist"}`)
	r := s.must(http.StatusOK, http.MethodDelete, "/v2/deployments/"+id, nil)
	checkShape(t, "deployments_result.json (rollback)", recorded(t, examples+"deployments_result.json"), r.json(t), shapeOptions{})
	checkShape(t, "methods.yml DELETE /v2/deployments/{id}",
		goMarathonFixture(t, "DELETE", "/v2/deployments/867ed450-f6a8-4d33-9b0e-e11c5513990b", ""), r.json(t), shapeOptions{})

	deps = s.must(http.StatusOK, http.MethodGet, "/v2/deployments", nil).json(t)
	if list, _ := deps.([]any); len(list) == 1 {
		id, _ := get(list[0], "$.id").(string)
		r := s.must(http.StatusAccepted, http.MethodDelete, "/v2/deployments/"+id+"?force=true", nil)
		if len(strings.TrimSpace(string(r.body))) != 0 {
			t.Errorf("DELETE ?force=true body %q, want empty (§5)", r.body)
		}
	} else {
		t.Errorf("after rollback: %d deployments, want the rollback deployment (stalled)", len(list))
	}
}

func TestQueue(t *testing.T) {
	// 0.5 CPUs of capacity: an app asking for 1 CPU stays in the queue.
	s := newSim(t, marathonsim.Options{CPUs: 0.5, MemMB: 1024})
	app := myApp("/test")
	app["cpus"] = 1.0
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", app)
	var q any
	eventually(t, 10*time.Second, "the app in /v2/queue", func() bool {
		q = s.must(http.StatusOK, http.MethodGet, "/v2/queue", nil).json(t)
		l, _ := get(q, "$.queue").([]any)
		return len(l) == 1
	})
	checkShape(t, examples+"queue.json", recorded(t, examples+"queue.json"), q,
		shapeOptions{FreeForm: freeForm("$.queue[].app")},
		set("$.queue[].app", appDefShape(t), "§3: the queued app is a 1.4.13 app definition"))
	checkShape(t, "methods.yml GET /v2/queue", goMarathonFixture(t, "GET", "/v2/queue", ""), q,
		shapeOptions{AllowExtra: true, Ignore: []string{"$.queue[].app"}})

	r := s.do(http.MethodDelete, "/v2/queue/test/delay", nil)
	if r.status != http.StatusNoContent {
		t.Errorf("DELETE /v2/queue/test/delay: status %d, want 204 (§5)", r.status)
	}
	checkBody(t, "DELETE delay of unknown app", s.do(http.MethodDelete, "/v2/queue/nope/delay", nil),
		http.StatusNotFound, `{"message":"Application /nope not found in tasks queue."}`)
}
