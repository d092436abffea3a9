package reconciler

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestPlanHeaderGolden: the JSON, YAML and markdown plans name the
// cluster, the revision, the Marathon URL and the --app selection; the
// text plan only ends with the selection (testdata/header/*.golden).
func TestPlanHeaderGolden(t *testing.T) {
	desired, live, opts := loadCase(t, "testdata/prune")
	opts.Only = []string{"/svc/old", "svc/a1"}
	p, err := NewPlan(desired, live, opts)
	if err != nil {
		t.Fatal(err)
	}
	p.Cluster, p.Revision, p.Marathon = "ams", "3fb4278c0ffee", "http://marathon-1.ams:8080"
	for name, f := range map[string]Format{"plan.golden": FormatText, "plan.json.golden": FormatJSON, "plan.yaml.golden": FormatYAML, "plan.md.golden": FormatMarkdown} {
		var b bytes.Buffer
		if err := p.Write(&b, f, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("testdata", "header", name), b.Bytes())
	}
}

// TestPlanYAMLIsTheJSON: -o yaml carries the same document as -o json, for
// every golden case, with strings that read as other types kept strings.
func TestPlanYAMLIsTheJSON(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/desired.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			desired, live, opts := loadCase(t, dir)
			p, err := NewPlan(desired, live, opts)
			if err != nil {
				t.Fatal(err)
			}
			var js, yml bytes.Buffer
			if err := p.Write(&js, FormatJSON, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := p.Write(&yml, FormatYAML, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			var fromJSON, fromYAML any
			if err := json.Unmarshal(js.Bytes(), &fromJSON); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(yml.Bytes(), &fromYAML); err != nil {
				t.Fatalf("%v\n%s", err, yml.String())
			}
			if d := cmp.Diff(fromJSON, fromYAML); d != "" {
				t.Errorf("yaml differs from json (-json +yaml):\n%s", d)
			}
		})
	}
	// Strings that YAML would read as numbers, booleans or null.
	got, err := jsonToYAML([]byte(`{"a":"1.0","b":"true","c":"null","d":"","e":1.5,"f":[{"g":"x: y"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "1.0", "b": "true", "c": "null", "d": "", "e": 1.5, "f": []any{map[string]any{"g": "x: y"}}}
	if d := cmp.Diff(want, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", d, got)
	}
}
