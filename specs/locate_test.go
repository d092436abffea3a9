package specs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// locateGroup sets instances in the body (line 10) and in the test
// environment (line 14), and a COMMAND health check (line 12).
const locateGroup = `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: shop, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
    test: {clusters: [ams]}
  apps:
    api:
      instances: 3
      healthChecks:
        - {protocol: COMMAND, command: {value: "true"}}
      environments:
        test: {instances: 1}
      cmd: sleep 1000
`

func TestLocatorPlacesPointersAtSpecLines(t *testing.T) {
	fsys := mapFS(map[string]string{"clusters.yaml": clusterAMS, "services/shop.yaml": locateGroup})
	set, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	loc := NewLocator(fsys)
	byEnv := map[string]App{}
	for _, env := range []string{"production", "test"} {
		apps, err := set.Render("ams", env)
		if err != nil || len(apps) != 1 {
			t.Fatalf("render %s: %v %v", env, apps, err)
		}
		byEnv[env] = apps[0]
	}
	tests := []struct {
		name, env, pointer, want string
	}{
		{"the app itself", "production", "", ""},
		{"a field of the body", "production", "/instances", "services/shop.yaml:10:18"},
		{"an environment override wins", "test", "/instances", "services/shop.yaml:14:27"},
		{"an environment without the field reads the body", "test", "/cmd", "services/shop.yaml:15:12"},
		{"a list element", "production", "/healthChecks/0", "services/shop.yaml:12:11"},
		{"a field not spelled out falls back to its closest ancestor", "production", "/healthChecks/0/gracePeriodSeconds", "services/shop.yaml:12:11"},
		{"a field set by defaults falls back to the app body", "production", "/labels/x~1y", "services/shop.yaml:10:7"},
		{"an index past the list", "production", "/healthChecks/3", "services/shop.yaml:12:9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loc.Locate(byEnv[tc.env])(tc.pointer); got != tc.want {
				t.Errorf("Locate(%q) = %q, want %q", tc.pointer, got, tc.want)
			}
		})
	}
}

func TestLocatorUnreadableFile(t *testing.T) {
	app := App{ID: "/a", Source: Source{File: "gone.yaml", Line: 3, Col: 5}}
	loc := NewLocator(mapFS(map[string]string{"bad.yaml": "a: [\n"}))
	got := []string{loc.Locate(app)("/cmd"), loc.Locate(App{Source: Source{File: "bad.yaml", Line: 1, Col: 1}})("/a")}
	if diff := cmp.Diff([]string{"", ""}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}
