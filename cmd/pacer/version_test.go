package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"pacer.dev/pacer/internal/buildinfo"
)

// TestVersion: `pacer version` and `pacer --version` print the build
// information of the binary (a test binary has no VCS stamp: commit unknown;
// internal/buildinfo tests the stamped fields), -o json and -o yaml too.
func TestVersion(t *testing.T) {
	in := buildinfo.Read("pacer")
	text := in.String() + "\n"
	var js, yml bytes.Buffer
	if err := in.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
	if err := in.Write(&yml, "yaml"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, text},
		{[]string{"--version"}, text},
		{[]string{"version", "-o", "json"}, js.String()},
		{[]string{"version", "-o", "yaml"}, yml.String()},
	} {
		r := runCLI(t, tc.args...)
		if r.code != exitOK || r.stdout != tc.want {
			t.Errorf("pacer %v: exit %d, stdout %q, want %q (stderr %q)", tc.args, r.code, r.stdout, tc.want, r.stderr)
		}
	}
	if !strings.HasPrefix(text, "pacer ") || !strings.Contains(text, in.GoVersion) {
		t.Errorf("version line lacks the program or Go version: %q", text)
	}
	var got map[string]any
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || got["program"] != "pacer" || got["goVersion"] == "" {
		t.Errorf("-o json = %s (%v)", js.String(), err)
	}
	if r := runCLI(t, "version", "-o", "xml"); r.code != exitError || !strings.Contains(r.stderr, `unknown output format "xml"`) {
		t.Errorf("version -o xml: exit %d, stderr %q", r.code, r.stderr)
	}
}
