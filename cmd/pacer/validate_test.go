package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const examplesDir = "../../examples/specs"

func runPacer(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateExamples(t *testing.T) {
	code, out, errOut := runPacer(t, "validate", "--specs", examplesDir)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "ok: 5 files, 2 clusters, 4 service groups, 14 apps\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}

func TestValidateBrokenTree(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"clusters.yaml": "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: ams}\nspec: {marathon: {urls: []}}\n",
		"svc/web.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web}
spec:
  environments: {production: {clusters: [fra]}}
  apps:
    app: {cmd: run, cpu: 1, labels: {PORT: 80}}
`,
		"svc/bin.yaml": "\x00\x01",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runPacer(t, "validate", "--specs", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	want := `clusters.yaml:4:25: spec.marathon.urls: must not be empty
svc/bin.yaml:1:1: binary file (NUL byte); spec files are UTF-8 YAML text
svc/web.yaml:5:42: spec.environments.production.clusters[0]: unknown cluster "fra"; known: ams
svc/web.yaml:7:21: spec.apps.app: unknown field "cpu"; did you mean "cpus"?
svc/web.yaml:7:44: spec.apps.app.labels.PORT: must be a string, got an integer; quote it: "80"
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if wantErr := "5 problem(s) in " + dir + "\n"; errOut != wantErr {
		t.Errorf("stderr = %q, want %q", errOut, wantErr)
	}
}

func TestValidateMissingDir(t *testing.T) {
	code, out, errOut := runPacer(t, "validate", "--specs", filepath.Join(t.TempDir(), "nope"))
	if code != 1 || out != "" || !bytes.Contains([]byte(errOut), []byte("error: load specs: stat ")) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
