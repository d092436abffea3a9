package reconciler

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The real client satisfies the interface the reconciler consumes.
var _ Marathon = (*marathon.Client)(nil)

// goldenDesired is one entry of testdata/<case>/desired.json.
type goldenDesired struct {
	ID                string          `json:"id"`
	Definition        json.RawMessage `json:"definition"`
	IgnoreDifferences []string        `json:"ignoreDifferences"`
	Source            string          `json:"source"`
	ShowEnv           []string        `json:"showEnv"`
}

// goldenOptions is testdata/<case>/options.json.
type goldenOptions struct {
	Prune          bool           `json:"prune"`
	MaxDeleteRatio float64        `json:"maxDeleteRatio"`
	LoadBalancers  *LoadBalancers `json:"loadBalancers"`
	Cluster        string         `json:"cluster"`
	MaskSalt       string         `json:"maskSalt"`
}

// loadLive serves live.json as GET /v2/apps and reads it through the real
// client, so the fixtures go through the same decoding as production.
func loadLive(t *testing.T, path string) []marathon.App {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := marathon.New(marathon.Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	apps, err := c.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

func loadCase(t *testing.T, dir string) ([]DesiredApp, []marathon.App, PlanOptions) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "desired.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gd []goldenDesired
	if err := json.Unmarshal(raw, &gd); err != nil {
		t.Fatal(err)
	}
	desired := make([]DesiredApp, 0, len(gd))
	for _, d := range gd {
		desired = append(desired, DesiredApp{ID: d.ID, Definition: d.Definition, IgnoreDifferences: d.IgnoreDifferences, Source: d.Source, Revision: "4c0ffee", ShowEnv: d.ShowEnv})
	}
	var opts PlanOptions
	if raw, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		var o goldenOptions
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		opts = PlanOptions{Prune: o.Prune, MaxDeleteRatio: o.MaxDeleteRatio, LoadBalancers: o.LoadBalancers, Cluster: o.Cluster, MaskSalt: o.MaskSalt}
	}
	return desired, loadLive(t, filepath.Join(dir, "live.json")), opts
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reconciler -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

// TestPlanGolden plans every testdata/<case> and compares the three output
// formats with plan.golden, plan.json.golden and plan.md.golden.
func TestPlanGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/desired.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			desired, live, opts := loadCase(t, dir)
			plan, err := NewPlan(desired, live, opts)
			if err != nil {
				t.Fatal(err)
			}
			for name, format := range map[string]Format{"plan.golden": FormatText, "plan.json.golden": FormatJSON, "plan.md.golden": FormatMarkdown} {
				var buf bytes.Buffer
				if err := plan.Write(&buf, format, WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join(dir, name), buf.Bytes())
			}
			// Rendering is deterministic.
			again, err := NewPlan(desired, live, opts)
			if err != nil {
				t.Fatal(err)
			}
			if again.String() != plan.String() {
				t.Error("planning twice gave different output")
			}
			// A cache held across passes changes nothing: neither when it
			// is filled nor when it is used.
			cached := opts
			cached.Cache = NewPlanCache()
			for pass := range 2 {
				p, err := NewPlan(desired, live, cached)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(plan.String(), p.String()); d != "" {
					t.Errorf("pass %d with a cache (-want +got):\n%s", pass, d)
				}
			}
		})
	}
}

// TestPlanCacheFollowsLive plans one desired app against a live app that
// drifts and comes back, with a cache held across the passes: every pass
// must plan what a pass without a cache plans.
func TestPlanCacheFollowsLive(t *testing.T) {
	desired := []DesiredApp{{ID: "/a", Definition: json.RawMessage(`{"cmd":"run","instances":1}`)}}
	live := func(cmd, version string) []marathon.App {
		raw := `{"id":"/a","cmd":"` + cmd + `","instances":1,"labels":{"pacer.dev/managed-by":"pacer"},"version":"` + version + `","tasksRunning":1}`
		return []marathon.App{{ID: "/a", Instances: 1, Labels: map[string]string{LabelManagedBy: ManagedByValue}, Raw: json.RawMessage(raw)}}
	}
	cache := NewPlanCache()
	for _, tc := range []struct {
		name string
		live []marathon.App
		want Action
	}{
		{"in sync", live("run", "v1"), ActionUnchanged},
		{"drifted", live("other", "v2"), ActionUpdate},
		{"still drifted", live("other", "v2"), ActionUpdate},
		{"back in sync, new version", live("run", "v3"), ActionUnchanged},
	} {
		want, err := NewPlan(desired, tc.live, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewPlan(desired, tc.live, PlanOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if got.Apps[0].Action != tc.want {
			t.Errorf("%s: action %s, want %s", tc.name, got.Apps[0].Action, tc.want)
		}
		if d := cmp.Diff(want.String(), got.String()); d != "" {
			t.Errorf("%s: with a cache (-without +with):\n%s", tc.name, d)
		}
	}
}
