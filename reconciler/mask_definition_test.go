package reconciler

import (
	"encoding/json"
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
