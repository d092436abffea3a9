package reconciler

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
)

func TestSensitivePath(t *testing.T) {
	for _, tc := range []struct {
		path, field, key, rest string
		ok                     bool
	}{
		{"env", "env", "", "", true},
		{"env.DB_PASSWORD", "env", "DB_PASSWORD", "", true},
		{"env.DB.secret", "env", "DB", ".secret", true},
		{`env["my.key"]`, "env", "my.key", "", true},
		{`env["my.key"].secret`, "env", "my.key", ".secret", true},
		{"secrets", "secrets", "", "", true},
		{"secrets.db.source", "secrets", "db", ".source", true},
		{"environment", "", "", "", false},
		{"labels.env", "", "", "", false},
		{"container.docker.image", "", "", "", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			field, key, rest, ok := sensitivePath(tc.path)
			if field != tc.field || key != tc.key || rest != tc.rest || ok != tc.ok {
				t.Errorf("sensitivePath(%q) = %q, %q, %q, %v; want %q, %q, %q, %v",
					tc.path, field, key, rest, ok, tc.field, tc.key, tc.rest, tc.ok)
			}
		})
	}
}

func TestMaskChanges(t *testing.T) {
	m := newMasker("salt", "ams", "/a", []string{"SERVICE", "LOG_*"})
	h := func(field, key string, v any) string { return m.hash(field, key, v) }
	for _, tc := range []struct {
		name string
		in   Change
		want Change
	}{
		{"env value changed",
			Change{Path: "env.DB_PASSWORD", Op: OpChange, Old: "hunter2", New: "hunter3"},
			Change{Path: "env.DB_PASSWORD", Op: OpChange, Old: h("env", "DB_PASSWORD", "hunter2"), New: h("env", "DB_PASSWORD", "hunter3"), Masked: true}},
		{"env value added",
			Change{Path: "env.TOKEN", Op: OpAdd, New: "t"},
			Change{Path: "env.TOKEN", Op: OpAdd, New: h("env", "TOKEN", "t"), Masked: true}},
		{"quoted key removed",
			Change{Path: `env["a.b"]`, Op: OpRemove, Old: "x"},
			Change{Path: `env["a.b"]`, Op: OpRemove, Old: h("env", "a.b", "x"), Masked: true}},
		{"shown key",
			Change{Path: "env.SERVICE", Op: OpChange, Old: "a", New: "b"},
			Change{Path: "env.SERVICE", Op: OpChange, Old: "a", New: "b"}},
		{"shown by pattern",
			Change{Path: "env.LOG_LEVEL", Op: OpAdd, New: "debug"},
			Change{Path: "env.LOG_LEVEL", Op: OpAdd, New: "debug"}},
		{"whole env replaced",
			Change{Path: "env", Op: OpChange, Old: "oops", New: map[string]any{"PW": "x", "SERVICE": "s"}},
			Change{Path: "env", Op: OpChange, Old: h("env", "", "oops"), New: map[string]any{"PW": h("env", "PW", "x"), "SERVICE": "s"}, Masked: true}},
		{"secret source",
			Change{Path: "secrets.db.source", Op: OpChange, Old: "/v/a", New: "/v/b"},
			Change{Path: "secrets.db.source", Op: OpChange, Old: h("secrets", "db.source", "/v/a"), New: h("secrets", "db.source", "/v/b"), Masked: true}},
		{"secrets are never shown, whatever showEnv says",
			Change{Path: "secrets.SERVICE.source", Op: OpAdd, New: "/v"},
			Change{Path: "secrets.SERVICE.source", Op: OpAdd, New: h("secrets", "SERVICE.source", "/v"), Masked: true}},
		{"docker env parameter added",
			Change{Path: "container.docker.parameters[1]", Op: OpAdd, New: map[string]any{"key": "env", "value": "PW=hunter2"}},
			Change{Path: "container.docker.parameters[1]", Op: OpAdd, New: map[string]any{"key": "env", "value": "PW=" + h("env", "PW", "PW=hunter2")}, Masked: true}},
		{"docker parameter value changed",
			Change{Path: "container.docker.parameters[0].value", Op: OpChange, Old: "PW=a", New: "PW=b"},
			Change{Path: "container.docker.parameters[0].value", Op: OpChange, Old: "PW=" + h("env", "PW", "PW=a"), New: "PW=" + h("env", "PW", "PW=b"), Masked: true}},
		{"docker env parameter shown",
			Change{Path: "container.docker.parameters[0].value", Op: OpChange, Old: "LOG_LEVEL=a", New: "LOG_LEVEL=b"},
			Change{Path: "container.docker.parameters[0].value", Op: OpChange, Old: "LOG_LEVEL=a", New: "LOG_LEVEL=b"}},
		{"docker parameter without a value",
			Change{Path: "container.docker.parameters[2]", Op: OpRemove, Old: map[string]any{"key": "privileged", "value": "true"}},
			Change{Path: "container.docker.parameters[2]", Op: OpRemove, Old: map[string]any{"key": "privileged", "value": "true"}}},
		{"other fields untouched",
			Change{Path: "labels.env", Op: OpAdd, New: "prod"},
			Change{Path: "labels.env", Op: OpAdd, New: "prod"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []Change{tc.in}
			m.mask(got)
			if d := cmp.Diff([]Change{tc.want}, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestMaskHash(t *testing.T) {
	base := newMasker("salt", "ams", "/a", nil).hash("env", "PW", "hunter2")
	if !strings.HasPrefix(base, "(masked ") || len(base) != len("(masked 12345678)") {
		t.Fatalf("hash %q: want (masked <8 hex digits>)", base)
	}
	if again := newMasker("salt", "ams", "/a", nil).hash("env", "PW", "hunter2"); again != base {
		t.Errorf("same input gave %q, then %q", base, again)
	}
	for name, other := range map[string]string{
		"salt":    newMasker("other", "ams", "/a", nil).hash("env", "PW", "hunter2"),
		"cluster": newMasker("salt", "fra", "/a", nil).hash("env", "PW", "hunter2"),
		"app":     newMasker("salt", "ams", "/b", nil).hash("env", "PW", "hunter2"),
		"key":     newMasker("salt", "ams", "/a", nil).hash("env", "PW2", "hunter2"),
		"value":   newMasker("salt", "ams", "/a", nil).hash("env", "PW", "hunter3"),
	} {
		if other == base {
			t.Errorf("another %s gave the same hash %s", name, base)
		}
	}
	if d, s := newMasker("", "ams", "/a", nil).hash("env", "PW", "x"), newMasker(DefaultMaskSalt, "ams", "/a", nil).hash("env", "PW", "x"); d != s {
		t.Errorf("empty salt %s, DefaultMaskSalt %s: want the same", d, s)
	}
}

// TestPlanNeverPrintsEnvValues plans an update of secret env values and
// looks for them in every output format.
func TestPlanNeverPrintsEnvValues(t *testing.T) {
	desired := []DesiredApp{{ID: "/a", ShowEnv: []string{"SERVICE"},
		Definition: json.RawMessage(`{"cmd":"run","env":{"DB_PASSWORD":"hunter3","NEW_TOKEN":"tok-new","SERVICE":"api"},"secrets":{"s":{"source":"/vault/path-new"}}}`)}}
	raw := `{"id":"/a","cmd":"run","env":{"DB_PASSWORD":"hunter2","OLD_TOKEN":"tok-old","SERVICE":"api"},"labels":{"pacer.dev/managed-by":"pacer"},"secrets":{"s":{"source":"/vault/path-old"}}}`
	live := []marathon.App{{ID: "/a", Labels: map[string]string{LabelManagedBy: ManagedByValue}, Raw: json.RawMessage(raw)}}
	plan, err := NewPlan(desired, live, PlanOptions{Cluster: "ams"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary.Update != 1 {
		t.Fatalf("plan %s: want one update", plan)
	}
	for _, f := range []Format{FormatText, FormatJSON, FormatMarkdown} {
		var buf bytes.Buffer
		if err := plan.Write(&buf, f, WriteOptions{ShowUnchanged: true}); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"hunter2", "hunter3", "tok-new", "tok-old", "/vault/path-new", "/vault/path-old"} {
			if strings.Contains(buf.String(), secret) {
				t.Errorf("%s plan prints %q:\n%s", f, secret, buf.String())
			}
		}
		for _, want := range []string{"env.DB_PASSWORD", "env.NEW_TOKEN", "env.OLD_TOKEN", "secrets.s.source", "(masked "} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("%s plan lacks %q:\n%s", f, want, buf.String())
			}
		}
	}
	for _, c := range plan.Apps[0].Changes {
		if strings.Contains(c.String(), "hunter") {
			t.Errorf("change %s prints the value", c)
		}
	}
}
