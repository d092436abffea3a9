package main

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestPlanHeader: the JSON, YAML and markdown plans name the cluster, the
// revision and the Marathon URL that answered, without the user info the
// --marathon URL carries.
func TestPlanHeader(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	withUser := strings.Replace(sim.URL, "http://", "http://deployer:s3cr3t-pw@", 1)
	args := func(format string) []string {
		return []string{"diff", "--specs", dir, "--cluster", "t", "--marathon", withUser, "--retries", "0",
			"--revision", "3fb4278c0ffee", "--app", "api", "-o", format}
	}
	want := map[string]any{"cluster": "t", "revision": "3fb4278c0ffee", "marathon": sim.URL, "selected": []any{"/services/shop/production/api"}}
	for _, format := range []string{"json", "yaml"} {
		r := runCLI(t, args(format)...)
		if r.code != exitOK {
			t.Fatalf("-o %s: exit %d\n%s", format, r.code, r.stderr)
		}
		var got map[string]any
		var err error
		if format == "json" {
			err = json.Unmarshal([]byte(r.stdout), &got)
		} else {
			err = yaml.Unmarshal([]byte(r.stdout), &got)
		}
		if err != nil {
			t.Fatalf("-o %s: %v\n%s", format, err, r.stdout)
		}
		for k, v := range want {
			if gj, wj := mustJSON(t, got[k]), mustJSON(t, v); gj != wj {
				t.Errorf("-o %s: %s = %s, want %s", format, k, gj, wj)
			}
		}
		if format == "yaml" && !strings.HasPrefix(r.stdout, "schema: pacer.dev/plan/v1\ncluster: t\n") {
			t.Errorf("-o yaml does not keep the JSON field order:\n%s", r.stdout)
		}
		if strings.Contains(r.stdout+r.stderr, "s3cr3t") || strings.Contains(r.stdout, "deployer") {
			t.Errorf("-o %s shows the URL's user info:\n%s%s", format, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, args("markdown")...)
	head := "### pacer plan: cluster `t`\n\nrevision `3fb4278c0ffee` · Marathon " + sim.URL + " · only `/services/shop/production/api`\n\n**Plan: 1 to create,"
	if r.code != exitOK || !strings.HasPrefix(r.stdout, head) {
		t.Errorf("-o markdown: exit %d, want it to start with\n%s\ngot:\n%s%s", r.code, head, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "s3cr3t") {
		t.Errorf("-o markdown shows the password:\n%s", r.stdout)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
