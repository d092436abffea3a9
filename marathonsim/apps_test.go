package marathonsim

import (
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"
)

func TestCreateAppReadsBackMarathonDefaults(t *testing.T) {
	x := newSim(t, Options{})
	r := x.must(201, "POST", "/v2/apps", `{"id":"my-app","cmd":"sleep 100"}`)
	if got := r.header.Get("Location"); got != "/my-app" {
		t.Errorf("Location = %q, want /my-app", got)
	}
	if r.header.Get("Marathon-Deployment-Id") == "" {
		t.Error("no Marathon-Deployment-Id header")
	}
	golden(t, "create_minimal.json", r.body)
	x.advance(time.Second)
	got := x.app("/my-app")

	// Every field of the recorded 1.4.13 app example must be there (except
	// acceptedResourceRoles, which Marathon writes only when non-empty).
	data, err := os.ReadFile("/work/shared/marathon-api/marathon-v1.4.13/v2/examples/app.json")
	if err != nil {
		t.Skipf("recorded example not available: %v", err)
	}
	var example map[string]any
	if err := json.Unmarshal(data, &example); err != nil {
		t.Fatal(err)
	}
	for k := range example {
		if _, ok := got[k]; !ok && k != "acceptedResourceRoles" {
			t.Errorf("field %q of the 1.4.13 example missing from GET /v2/apps/my-app", k)
		}
	}
	want := map[string]string{
		"instances": "1", "cpus": "1", "mem": "128", "disk": "0", "gpus": "0", "executor": `""`, "args": "null", "user": "null",
		"backoffSeconds": "1", "backoffFactor": "1.15", "maxLaunchDelaySeconds": "3600", "container": "null", "requirePorts": "false",
		"upgradeStrategy": `{"maximumOverCapacity":1,"minimumHealthCapacity":1}`, "labels": "{}", "env": "{}", "constraints": "[]",
		"unreachableStrategy": `{"expungeAfterSeconds":0,"inactiveAfterSeconds":0}`, "killSelection": `"YOUNGEST_FIRST"`,
		"portDefinitions": `[{"labels":{},"name":"default","port":10000,"protocol":"tcp"}]`, "ports": "[10000]",
		"healthChecks": "[]", "dependencies": "[]", "fetch": "[]", "uris": "[]", "storeUrls": "[]", "secrets": "{}",
		"taskKillGracePeriodSeconds": "null", "ipAddress": "null", "residency": "null", "readinessChecks": "[]",
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, _ := json.Marshal(got[k])
		if string(b) != want[k] {
			t.Errorf("%s = %s, want %s", k, b, want[k])
		}
	}
	vi, _ := got["versionInfo"].(map[string]any)
	if vi["lastConfigChangeAt"] != got["version"] || vi["lastScalingAt"] != got["version"] {
		t.Errorf("versionInfo = %v, want both = version %v", vi, got["version"])
	}
}

func TestHealthCheckDefaults(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/hc","cmd":"x","healthChecks":[{"protocol":"HTTP"},{"protocol":"TCP","portIndex":0}]}`)
	hcs := x.app("/hc")["healthChecks"].([]any)
	b, _ := json.Marshal(hcs[0])
	// MarathonHttpHealthCheckFormat: no delaySeconds, path unset
	// (conformance.TestHealthCheckKeys has every protocol).
	want := `{"gracePeriodSeconds":300,"ignoreHttp1xx":false,"intervalSeconds":60,"maxConsecutiveFailures":3,"portIndex":0,"protocol":"HTTP","timeoutSeconds":20}`
	if string(b) != want {
		t.Errorf("health check = %s\nwant %s", b, want)
	}
}

func TestServicePortsAreStableAcrossPut(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x"}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/b","cmd":"x","portDefinitions":[{"port":0},{"port":0}]}`)
	if got := x.app("/b")["ports"]; jsonString(got) != "[10001,10002]" {
		t.Errorf("ports of /b = %s, want [10001,10002]", jsonString(got))
	}
	v := x.app("/b")["version"]
	r := x.must(200, "PUT", "/v2/apps/b", `{"cmd":"x","portDefinitions":[{"port":0},{"port":0}]}`)
	_ = r
	if got := x.app("/b"); jsonString(got["ports"]) != "[10001,10002]" || got["versionInfo"].(map[string]any)["lastConfigChangeAt"] != v {
		t.Errorf("re-PUT of the same definition changed the app: ports %s, versionInfo %v", jsonString(got["ports"]), got["versionInfo"])
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"bad id", "POST", "/v2/apps", `{"id":"/My_App","cmd":"x"}`, 422,
			`{"details":[{"errors":["must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"],"path":"/id"}],"message":"Object is not valid"}`},
		{"no cmd", "POST", "/v2/apps", `{"id":"/a"}`, 422,
			`{"details":[{"errors":["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."],"path":"/"}],"message":"Object is not valid"}`},
		{"capacity out of range", "POST", "/v2/apps", `{"id":"/a","cmd":"x","upgradeStrategy":{"minimumHealthCapacity":1.5}}`, 422,
			`{"details":[{"errors":["got 1.5, expected between 0.0 and 1.0"],"path":"/upgradeStrategy/minimumHealthCapacity"}],"message":"Object is not valid"}`},
		{"negative instances", "POST", "/v2/apps", `{"id":"/a","cmd":"x","instances":-1}`, 422,
			`{"details":[{"errors":["got -1, expected 0 or more"],"path":"/instances"}],"message":"Object is not valid"}`},
		{"wrong type", "POST", "/v2/apps", `{"id":5,"cmd":"x"}`, 400,
			`{"details":[{"errors":["error.expected.jsstring"],"path":"/id"}],"message":"Invalid JSON"}`},
		{"unknown app", "GET", "/v2/apps/nope", "", 404, `{"message":"App '/nope' does not exist"}`},
		{"unknown group", "GET", "/v2/groups/nope", "", 404, `{"message":"Group '/nope' does not exist"}`},
		{"unknown route", "GET", "/v2/nope", "", 404, `{"message":"URI not found: /v2/nope"}`},
		{"unknown deployment", "DELETE", "/v2/deployments/x", "", 404, `{"message":"DeploymentPlan x does not exist"}`},
		{"patch creates nothing", "PATCH", "/v2/apps/nope", `{"cmd":"x"}`, 404, `{"message":"App '/nope' does not exist"}`},
		{"duplicate app", "POST", "/v2/apps", `{"id":"/exists","cmd":"x"}`, 409, `{"message":"An app with id [/exists] already exists."}`},
		{"app and group share an id", "POST", "/v2/apps", `{"id":"/exists/sub","cmd":"x"}`, 422,
			`{"details":[{"errors":["Groups and Applications may not have the same identifier."],"path":"/"}],"message":"Object is not valid"}`},
		{"queue delay of unqueued app", "DELETE", "/v2/queue/exists/delay", "", 404, `{"message":"Application /exists not found in tasks queue."}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := newSim(t, Options{})
			x.must(201, "POST", "/v2/apps", `{"id":"/exists","cmd":"x"}`)
			r := x.must(tc.status, tc.method, tc.path, tc.body)
			var a, b any
			_ = json.Unmarshal(r.body, &a)
			_ = json.Unmarshal([]byte(tc.want), &b)
			if jsonString(a) != jsonString(b) {
				t.Errorf("body = %s\nwant   %s", jsonString(a), jsonString(b))
			}
		})
	}
}

func TestAppListFiltersAndEmbeds(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/web/front","cmd":"nginx","labels":{"tier":"web"}}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/db/mongo","cmd":"mongod","labels":{"tier":"db"}}`)
	x.advance(time.Second)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"/db/mongo", "/web/front"}},
		{"?id=FRONT", []string{"/web/front"}},
		{"?cmd=mongo", []string{"/db/mongo"}},
		{"?label=tier==web", []string{"/web/front"}},
		{"?label=tier!=web", []string{"/db/mongo"}},
		{"?label=tier%20in%20(db,web)", []string{"/db/mongo", "/web/front"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			var body struct{ Apps []map[string]any }
			_ = json.Unmarshal(x.must(200, "GET", "/v2/apps"+tc.query, nil).body, &body)
			var got []string
			for _, a := range body.Apps {
				got = append(got, a["id"].(string))
				for _, k := range []string{"tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments", "versionInfo"} {
					if _, ok := a[k]; !ok {
						t.Errorf("%s: %s missing (always embedded)", a["id"], k)
					}
				}
			}
			if jsonString(got) != jsonString(tc.want) {
				t.Errorf("apps = %v, want %v", got, tc.want)
			}
		})
	}
	var body struct{ Apps []map[string]any }
	_ = json.Unmarshal(x.must(200, "GET", "/v2/apps?embed=apps.tasks", nil).body, &body)
	if n := len(body.Apps[0]["tasks"].([]any)); n != 1 {
		t.Errorf("embed=apps.tasks: %d tasks, want 1", n)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDockerBridgeAppGetsServicePorts(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/d","instances":1,"container":{"type":"DOCKER","docker":{"image":"nginx","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`)
	a := x.app("/d")
	want := `{"docker":{"forcePullImage":false,"image":"nginx","network":"BRIDGE","parameters":[],"portMappings":[{"containerPort":80,"hostPort":0,"labels":{},"protocol":"tcp","servicePort":10000}],"privileged":false},"type":"DOCKER","volumes":[]}`
	if got := jsonString(a["container"]); got != want {
		t.Errorf("container = %s\nwant        %s", got, want)
	}
	// Marathon 1.4.13 keeps DefaultPortDefinitions for a BRIDGE app and
	// zips them with the mappings' service ports (conformance.TestBridgePorts).
	wantPDs := `[{"labels":{},"name":"default","port":10000,"protocol":"tcp"}]`
	if jsonString(a["ports"]) != "[10000]" || jsonString(a["portDefinitions"]) != wantPDs {
		t.Errorf("ports %s portDefinitions %s, want [10000] and %s", jsonString(a["ports"]), jsonString(a["portDefinitions"]), wantPDs)
	}
	v := a["versionInfo"].(map[string]any)["lastConfigChangeAt"]
	x.must(200, "PUT", "/v2/apps/d", `{"container":{"type":"DOCKER","docker":{"image":"nginx","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`)
	if got := x.app("/d")["versionInfo"].(map[string]any)["lastConfigChangeAt"]; got != v {
		t.Errorf("re-PUT of the same container restarted the app (%v → %v)", v, got)
	}
}
