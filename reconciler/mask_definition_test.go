package reconciler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMaskDefinition(t *testing.T) {
	m := newMasker("salt", "ams", "/a", []string{"LOG_*"})
	raw := `{"id":"/a","instances":2,"tasksRunning":2,"tasks":[{"id":"t"}],
		"env":{"DB_PASSWORD":"hunter2","LOG_LEVEL":"debug","DB":{"secret":"db"}},
		"secrets":{"db":{"source":"vault/db"}},
		"container":{"docker":{"image":"img","parameters":[{"key":"env","value":"TOKEN=s3cret"},{"key":"e","value":"LOG_X=1"},
			{"key":"log-opt","value":"tag=x"},{"key":"env","value":"NOEQUALS"}]}}}`
	got, err := MaskDefinition("salt", "ams", "/a", []string{"LOG_*"}, json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "s3cret", "vault/db", "NOEQUALS"} {
		if strings.Contains(string(got), secret) {
			t.Errorf("masked definition shows %q:\n%s", secret, got)
		}
	}
	var def map[string]any
	if err := json.Unmarshal(got, &def); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "/a", "instances": 2.0,
		"env": map[string]any{"DB_PASSWORD": m.hash("env", "DB_PASSWORD", "hunter2"), "LOG_LEVEL": "debug",
			"DB": m.hash("env", "DB", map[string]any{"secret": "db"})},
		"secrets": map[string]any{"db": m.hash("secrets", "db", map[string]any{"source": "vault/db"})},
		"container": map[string]any{"docker": map[string]any{"image": "img", "parameters": []any{
			map[string]any{"key": "env", "value": "TOKEN=" + m.hash("env", "TOKEN", "TOKEN=s3cret")},
			map[string]any{"key": "e", "value": "LOG_X=1"},
			map[string]any{"key": "log-opt", "value": "tag=x"},
			map[string]any{"key": "env", "value": m.hash("env", "", "NOEQUALS")},
		}}},
	}
	if d := cmp.Diff(want, def); d != "" {
		t.Errorf("MaskDefinition (-want +got):\n%s", d)
	}
}

// The live definition's masked value is the plan's masked old value, so
// the status page and the plan can be compared by eye.
func TestMaskDefinitionMatchesThePlan(t *testing.T) {
	c := []Change{{Path: "env.DB_PASSWORD", Op: OpChange, Old: "hunter2", New: "hunter3"}}
	newMasker("salt", "ams", "/a", nil).mask(c)
	got, err := MaskDefinition("salt", "ams", "/a", nil, json.RawMessage(`{"id":"/a","env":{"DB_PASSWORD":"hunter2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), c[0].Old.(string)) {
		t.Errorf("definition %s lacks the plan's %s", got, c[0].Old)
	}
}

// BenchmarkMaskDefinition masks one live app as Marathon returns it (the
// simulator's answer for an app with 10 env values and a health check):
// the operator does it once per app and Marathon version, so the first
// pass at 10,000 apps pays it 10,000 times.
func BenchmarkMaskDefinition(b *testing.B) {
	env := map[string]string{}
	for i := range 10 {
		env[fmt.Sprintf("KEY_%d", i)] = fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", 20))
	}
	envJSON, _ := json.Marshal(env)
	raw := json.RawMessage(`{"args":null,"backoffFactor":1.15,"backoffSeconds":1,"cmd":"sleep 1000","constraints":[],"container":null,
	"cpus":0.1,"dependencies":[],"disk":0,"env":` + string(envJSON) + `,"executor":"","fetch":[],"gpus":0,
	"healthChecks":[{"command":{"value":"true"},"delaySeconds":15,"gracePeriodSeconds":1,"intervalSeconds":1,"maxConsecutiveFailures":0,"protocol":"COMMAND","timeoutSeconds":20}],
	"id":"/services/web/staging/api","instances":2,"ipAddress":null,"killSelection":"YOUNGEST_FIRST",
	"labels":{"HAPROXY_GROUP":"external","pacer.dev/cluster":"ams","pacer.dev/environment":"staging","pacer.dev/managed-by":"pacer",
	"pacer.dev/revision":"eae89ca5550abc4d7070a7b66879d5b853e0d8ee","pacer.dev/service-group":"/services/web","pacer.dev/source":"web.yaml:15:5"},
	"maxLaunchDelaySeconds":3600,"mem":32,"portDefinitions":[{"labels":{},"name":"default","port":10002,"protocol":"tcp"}],"ports":[10002],
	"readinessChecks":[],"requirePorts":false,"residency":null,"secrets":{},"storeUrls":[],"taskKillGracePeriodSeconds":null,
	"tasksHealthy":2,"tasksRunning":2,"tasksStaged":0,"tasksUnhealthy":0,"deployments":[],
	"unreachableStrategy":{"expungeAfterSeconds":0,"inactiveAfterSeconds":0},"upgradeStrategy":{"maximumOverCapacity":1,"minimumHealthCapacity":1},
	"uris":[],"user":null,"version":"2026-12-04T19:18:08.804Z","versionInfo":{"lastConfigChangeAt":"2026-12-04T19:18:08.804Z","lastScalingAt":"2026-12-04T19:18:08.804Z"}}`)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := MaskDefinition("salt", "ams", "/services/web/staging/api", nil, raw); err != nil {
			b.Fatal(err)
		}
	}
}
