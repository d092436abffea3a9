package specs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	marathon "github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
)

// examples is the reference tree every golden test renders.
const examples = "../examples/specs"

func TestRenderGolden(t *testing.T) {
	set, err := LoadDir(examples)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	for _, tc := range []struct{ cluster, env string }{
		{"ams", ""},
		{"fra", ""},
		{"ams", "test"},
	} {
		name := tc.cluster
		if tc.env != "" {
			name += "-" + tc.env
		}
		t.Run(name, func(t *testing.T) {
			apps, err := set.Render(tc.cluster, tc.env)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			got, err := json.MarshalIndent(apps, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "render", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./specs -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("render %s (-want +got):\n%s", name, diff)
			}
			again, _ := set.Render(tc.cluster, tc.env)
			againJSON, _ := json.MarshalIndent(again, "", "  ")
			if !bytes.Equal(append(againJSON, '\n'), got) {
				t.Error("rendering twice gave different bytes")
			}
		})
	}
}

// TestRenderMatchesGoMarathon checks that every rendered field is one of
// go-marathon's (or a Marathon field it lacks that we pass through): decoding
// into marathon.Application and back keeps every known field.
func TestRenderMatchesGoMarathon(t *testing.T) {
	set, err := LoadDir(examples)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	apps, err := set.Render("ams", "")
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	passThrough := map[string]bool{"gpus": true, "secrets": true, "readinessChecks": true, "unreachableStrategy": true,
		"killSelection": true, "storeUrls": true, "residency": true}
	for _, app := range apps {
		var ma marathon.Application
		if err := json.Unmarshal(app.Definition, &ma); err != nil {
			t.Fatalf("%s: %v", app.ID, err)
		}
		if ma.ID != app.ID || ma.Instances == nil || ma.Labels == nil || (*ma.Labels)[LabelManagedBy] != ManagedByPacer {
			t.Errorf("%s: decoded as %+v", app.ID, ma)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(app.Definition, &fields); err != nil {
			t.Fatal(err)
		}
		back, _ := json.Marshal(ma)
		var known map[string]json.RawMessage
		if err := json.Unmarshal(back, &known); err != nil {
			t.Fatal(err)
		}
		for f := range fields {
			if _, ok := known[f]; !ok && !passThrough[f] {
				t.Errorf("%s: field %q is neither a go-marathon field nor a known pass-through", app.ID, f)
			}
		}
	}
}

func TestRenderOverlays(t *testing.T) {
	fsys := mapFS(map[string]string{"clusters.yaml": clusterAMS, "g.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
    test: {clusters: [ams]}
  defaults:
    env: {TEAM: web, LOG: info}
    labels: {HAPROXY_GROUP: internal}
  apps:
    app:
      cmd: run
      gpus: 1
      env: {LOG: warn}
      labels: {NIXY_REALM: internal}
      constraints: [[hostname, UNIQUE]]
      dependencies: [db, /shared/production/cache]
      environments:
        test:
          env: {TEAM: null, DEBUG: "1"}
          constraints: []
          gpus: null
    db: {cmd: run}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: shared}
spec:
  environments: {production: {clusters: [ams]}}
  apps: {cache: {cmd: run}}
`})
	set, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	apps, err := set.Render("ams", "test")
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(apps[0].Definition, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":           "/services/web/test/app",
		"cmd":          "run",
		"instances":    1.0,
		"cpus":         1.0,
		"mem":          128.0,
		"env":          map[string]any{"LOG": "warn", "DEBUG": "1"},
		"constraints":  []any{},
		"dependencies": []any{"/services/web/test/db", "/shared/production/cache"},
		"labels": map[string]any{
			"HAPROXY_GROUP": "internal", "NIXY_REALM": "internal",
			LabelManagedBy: "pacer", LabelSource: "g.yaml", LabelServiceGroup: "/services/web", LabelEnvironment: "test",
			LabelCluster: "ams",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("definition (-want +got):\n%s", diff)
	}
	if apps[0].Source != (Source{File: "g.yaml", Line: 12, Col: 5}) || apps[0].Sync.Policy != SyncAutomated {
		t.Errorf("app = %+v", apps[0])
	}
}

func TestRenderErrors(t *testing.T) {
	set, err := LoadDir(examples)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	for _, tc := range []struct{ cluster, env, want string }{
		{"nope", "", `render: unknown cluster "nope"; the specs define ams, fra`},
		{"ams", "qa", `render: unknown environment "qa"; no ServiceGroup defines it`},
	} {
		_, err := set.Render(tc.cluster, tc.env)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Render(%q, %q) = %v, want %s", tc.cluster, tc.env, err, tc.want)
		}
	}
	bad, _ := Load(mapFS(map[string]string{"x.yaml": "kind: Nope\n"}))
	if _, err := bad.Render("ams", ""); err == nil || err.Error() != `x.yaml:1:7: kind: unknown kind "Nope"; want Cluster or ServiceGroup` {
		t.Errorf("Render of an invalid set = %v", err)
	}
}
