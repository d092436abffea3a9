package conformance

import (
	"net/http"
	"testing"

	"pacer.dev/pacer/marathonsim"
)

// TestTasksAPIValidation: AppTasksResource and TasksResource refuse scale
// and wipe together with a BadRequestException before looking anything up
// (api/v2/AppTasksResource.scala:112, 145; TasksResource.scala:132 at
// v1.4.13), and /v2/tasks/delete refuses an id Task.Id cannot parse
// (TasksResource.scala:134-138; core/task/Task.scala:132, 179-188).
func TestTasksAPIValidation(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/myapp"))
	const both = `{"message":"You cannot use scale and wipe at the same time."}`
	checkBody(t, "DELETE app tasks", s.do(http.MethodDelete, "/v2/apps/myapp/tasks?scale=true&wipe=true", nil), http.StatusBadRequest, both)
	checkBody(t, "DELETE one task", s.do(http.MethodDelete, "/v2/apps/myapp/tasks/myapp.x?scale=true&wipe=true", nil), http.StatusBadRequest, both)
	checkBody(t, "DELETE tasks of an unknown app", s.do(http.MethodDelete, "/v2/apps/missing/tasks?scale=true&wipe=true", nil), http.StatusBadRequest, both)
	checkBody(t, "POST /v2/tasks/delete", s.do(http.MethodPost, "/v2/tasks/delete?scale=true&wipe=true", `{"ids":[]}`), http.StatusBadRequest, both)
	checkBody(t, "POST /v2/tasks/delete invalid id", s.do(http.MethodPost, "/v2/tasks/delete", `{"ids":["notatask"]}`), http.StatusBadRequest,
		`{"message":"Invalid task id 'notatask'. [taskId notatask is no valid identifier (of class java.lang.String)]"}`)
	// A well-formed id of no task is no error: nothing is killed.
	checkBody(t, "POST /v2/tasks/delete unknown id", s.do(http.MethodPost, "/v2/tasks/delete", `{"ids":["myapp.0000"]}`), http.StatusOK, `{"tasks":[]}`)
}

// TestFetchFromURIs: AppDefinitionReads turns uris into fetch entries with
// extract = FetchUri.isExtract(uri) (Formats.scala:1068-1070;
// state/FetchUri.scala:40-48 at v1.4.13), while AppUpdateReads (PUT, PATCH)
// uses FetchUri(uri), extract true (Formats.scala:1433).
func TestFetchFromURIs(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	uris := []any{"http://repo/app.tgz", "http://repo/config.json"}
	app := myApp("/fetch")
	app["uris"] = uris
	got := s.must(http.StatusCreated, http.MethodPost, "/v2/apps", app).json(t)
	if g := compact(t, get(got, "$.fetch")); g != `[{"cache":false,"executable":false,"extract":true,"uri":"http://repo/app.tgz"},{"cache":false,"executable":false,"extract":false,"uri":"http://repo/config.json"}]` {
		t.Errorf("POST fetch = %s, want extract only for the archive", g)
	}
	s.settle()
	s.must(http.StatusOK, http.MethodPut, "/v2/apps/fetch", map[string]any{"uris": uris})
	got = get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/fetch", nil).json(t), "$.app")
	if g := compact(t, get(got, "$.fetch")); g != `[{"cache":false,"executable":false,"extract":true,"uri":"http://repo/app.tgz"},{"cache":false,"executable":false,"extract":true,"uri":"http://repo/config.json"}]` {
		t.Errorf("PUT fetch = %s, want extract true for every uri", g)
	}
}

// TestRestartMovesLastScalingAtOnly: a restart is a scale-or-restart change
// for versioning (upgrade/GroupVersioningUtil.scala:26-48 at v1.4.13):
// version and lastScalingAt move, lastConfigChangeAt stays.
func TestRestartMovesLastScalingAtOnly(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/re"))
	s.settle()
	before := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/re", nil).json(t), "$.app.versionInfo")
	s.must(http.StatusOK, http.MethodPost, "/v2/apps/re/restart", nil)
	after := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/re", nil).json(t), "$.app.versionInfo")
	if get(after, "$.lastConfigChangeAt") != get(before, "$.lastConfigChangeAt") {
		t.Errorf("restart moved lastConfigChangeAt: %v → %v", before, after)
	}
	if get(after, "$.lastScalingAt") == get(before, "$.lastScalingAt") {
		t.Errorf("restart did not move lastScalingAt: %v → %v", before, after)
	}
}

// TestEmbedValuesNotSplit: embed is a java.util.Set[String] query parameter
// (AppsResource.index) that Jersey does not split on commas, and
// InfoEmbedResolver ignores an unknown value (api/v2/InfoEmbedResolver.scala:
// 34-57 at v1.4.13), so "apps.tasks,apps.lastTaskFailure" embeds no tasks.
func TestEmbedValuesNotSplit(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/e"))
	joined := s.must(http.StatusOK, http.MethodGet, "/v2/apps?embed=apps.tasks,apps.lastTaskFailure", nil).json(t)
	if apps, _ := get(joined, "$.apps").([]any); len(apps) != 1 || get(apps[0], "$.tasks") != nil {
		t.Errorf("comma-joined embed: apps %v, want one app without tasks", apps)
	}
	repeated := s.must(http.StatusOK, http.MethodGet, "/v2/apps?embed=apps.tasks&embed=apps.lastTaskFailure", nil).json(t)
	if apps, _ := get(repeated, "$.apps").([]any); len(apps) != 1 || get(apps[0], "$.tasks") == nil {
		t.Errorf("repeated embed: apps %v, want one app with tasks", apps)
	}
}

// TestPodsPluginsMetricsExist: endpoints a 1.4 client probes.
// /v2/pods: HEAD 200, GET [] , GET unknown 404 (api/v2/PodsResource.scala:
// 91-95, 151-170 at v1.4.13); /v2/plugins: {"plugins":[]}
// (PluginsResource.scala:28-34, Formats.scala:1494); /metrics: Codahale's
// MetricsServlet JSON (api/BaseRestModule.scala:21-30) with the app count
// gauge (core/group/impl/GroupManagerActor.scala:103).
func TestPodsPluginsMetricsExist(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/m"))
	s.must(http.StatusOK, http.MethodHead, "/v2/pods", nil)
	checkBody(t, "GET /v2/pods", s.do(http.MethodGet, "/v2/pods", nil), http.StatusOK, `[]`)
	checkBody(t, "GET /v2/pods/x", s.do(http.MethodGet, "/v2/pods/x", nil), http.StatusNotFound, `{"message":"pod with /x does not exist"}`)
	checkBody(t, "GET /v2/plugins", s.do(http.MethodGet, "/v2/plugins", nil), http.StatusOK, `{"plugins":[]}`)
	m := s.must(http.StatusOK, http.MethodGet, "/metrics", nil).json(t)
	for _, k := range []string{"version", "gauges", "counters", "histograms", "meters", "timers"} {
		if _, ok := m.(map[string]any)[k]; !ok {
			t.Errorf("/metrics has no %q", k)
		}
	}
	gauges, _ := get(m, "$.gauges").(map[string]any)
	if g := compact(t, gauges["service.mesosphere.marathon.app.count"]); g != `{"value":1}` {
		t.Errorf("app.count gauge = %s, want {\"value\":1}", g)
	}
}

// TestHealthCheckKeys: the keys Marathon 1.4.13 writes for a health check
// given only its protocol, per HealthCheckFormat's case classes
// (api/v2/json/Formats.scala:733-840; defaults core/health/HealthCheck.scala:
// 146-149, 342-352): HTTP/HTTPS get ignoreHttp1xx and no path, TCP nothing
// more, COMMAND and MESOS_* get delaySeconds; portIndex 0 is added for the
// port-based ones since the app has a port (Formats.scala:1100-1140).
func TestHealthCheckKeys(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	const basic = `"gracePeriodSeconds":300,"intervalSeconds":60,"maxConsecutiveFailures":3,"timeoutSeconds":20`
	for _, tc := range []struct{ given, want string }{
		{`{"protocol":"HTTP"}`, `{` + basic + `,"ignoreHttp1xx":false,"portIndex":0,"protocol":"HTTP"}`},
		{`{"protocol":"HTTPS","path":"/health"}`, `{` + basic + `,"ignoreHttp1xx":false,"path":"/health","portIndex":0,"protocol":"HTTPS"}`},
		{`{"protocol":"TCP"}`, `{` + basic + `,"portIndex":0,"protocol":"TCP"}`},
		{`{"protocol":"COMMAND","command":{"value":"true"}}`, `{"command":{"value":"true"},"delaySeconds":15,` + basic + `,"protocol":"COMMAND"}`},
		{`{"protocol":"MESOS_TCP"}`, `{"delaySeconds":15,` + basic + `,"portIndex":0,"protocol":"MESOS_TCP"}`},
		{`{"protocol":"MESOS_HTTP","path":"/"}`, `{"delaySeconds":15,` + basic + `,"path":"/","portIndex":0,"protocol":"MESOS_HTTP"}`},
	} {
		t.Run(tc.given, func(t *testing.T) {
			s.must(http.StatusCreated, http.MethodPost, "/v2/apps", `{"id":"/hc","cmd":"x","instances":0,"healthChecks":[`+tc.given+`]}`)
			hcs, _ := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/hc", nil).json(t), "$.app.healthChecks").([]any)
			if len(hcs) != 1 || compact(t, hcs[0]) != compact(t, decode(t, "want", []byte(tc.want))) {
				t.Errorf("healthChecks = %s, want [%s]", compact(t, hcs), tc.want)
			}
			s.must(http.StatusOK, http.MethodDelete, "/v2/apps/hc", nil)
			s.settle()
		})
	}
}

// TestServicePortsOnlyInTasksList: EnrichedTask carries servicePorts only
// where TasksResource passes them (/v2/tasks, TasksResource.scala:84-90 at
// v1.4.13); /v2/apps/{id}/tasks (AppTasksResource.scala:73) and tasks
// embedded in apps (core/appinfo/impl/AppInfoBaseData.scala:151) have none
// (EnrichedTaskWrites leaves an empty list out, Formats.scala:155-158).
func TestServicePortsOnlyInTasksList(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/sp"))
	s.settle()
	first := func(v any, path string) any {
		l, _ := get(v, path).([]any)
		if len(l) != 1 {
			t.Fatalf("%s = %v, want one task", path, l)
		}
		return l[0]
	}
	app := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/sp", nil).json(t), "$.app")
	if sp := get(first(s.must(http.StatusOK, http.MethodGet, "/v2/tasks", nil).json(t), "$.tasks"), "$.servicePorts"); compact(t, sp) != compact(t, get(app, "$.ports")) {
		t.Errorf("/v2/tasks servicePorts = %v, want the app's ports %v", sp, get(app, "$.ports"))
	}
	if sp, ok := first(s.must(http.StatusOK, http.MethodGet, "/v2/apps/sp/tasks", nil).json(t), "$.tasks").(map[string]any)["servicePorts"]; ok {
		t.Errorf("/v2/apps/sp/tasks has servicePorts %v", sp)
	}
	if sp, ok := first(s.must(http.StatusOK, http.MethodGet, "/v2/apps/sp", nil).json(t), "$.app.tasks").(map[string]any)["servicePorts"]; ok {
		t.Errorf("app-embedded task has servicePorts %v", sp)
	}
}

// TestGroupTasks: GET /v2/apps/{group}/*/tasks lists the tasks of every app
// under the group, and a missing group is UnknownGroupException's 404
// (api/v2/AppTasksResource.scala:40-64 at v1.4.13).
func TestGroupTasks(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/g/a"))
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/g/sub/b"))
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/other"))
	s.settle()
	tasks, _ := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/g/*/tasks", nil).json(t), "$.tasks").([]any)
	got := map[string]bool{}
	for _, tk := range tasks {
		got[get(tk, "$.appId").(string)] = true
	}
	if len(tasks) != 2 || !got["/g/a"] || !got["/g/sub/b"] {
		t.Errorf("/v2/apps/g/*/tasks = %v, want the tasks of /g/a and /g/sub/b", tasks)
	}
	checkBody(t, "unknown group", s.do(http.MethodGet, "/v2/apps/nope/*/tasks", nil), http.StatusNotFound, `{"message":"Group '/nope' does not exist"}`)
}
