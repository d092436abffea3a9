package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestRenderCluster(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantIDs int
	}{
		{[]string{"--cluster", "ams"}, 22},
		{[]string{"--cluster", "fra"}, 14},
		{[]string{"--cluster", "ams", "--environment", "test"}, 8},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runPacer(t, append([]string{"render", "--specs", examplesDir}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var defs []map[string]any
			if err := json.Unmarshal([]byte(out), &defs); err != nil {
				t.Fatalf("output is not a JSON array: %v", err)
			}
			ids := make([]string, len(defs))
			for i, d := range defs {
				ids[i], _ = d["id"].(string)
				labels, _ := d["labels"].(map[string]any)
				if labels["pacer.dev/managed-by"] != "pacer" {
					t.Errorf("%s: labels %v", ids[i], labels)
				}
			}
			if len(ids) != tc.wantIDs || !slices.IsSorted(ids) {
				t.Errorf("ids = %v, want %d sorted ids", ids, tc.wantIDs)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "--specs", examplesDir}, "error: render: --cluster is required (or PACER_CLUSTER)\n"},
		{[]string{"render", "--specs", examplesDir, "--cluster", "ber"}, "error: render: unknown cluster \"ber\"; the specs define ams, fra\n"},
		{[]string{"render", "--specs", examplesDir, "--cluster", "ams", "--environment", "qa"}, "error: render: unknown environment \"qa\"; no ServiceGroup defines it\n"},
	} {
		code, out, errOut := runPacer(t, tc.args...)
		if code != 1 || out != "" || errOut != tc.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want stderr %q", tc.args, code, out, errOut, tc.want)
		}
	}
}
