package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
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

// writeTree writes files (name → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const validCluster = "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: ams}\nspec: {marathon: {urls: [\"http://m:8080\"]}}\n"

// TestValidateNothingSilent: an empty or wrong tree fails, skipped files are
// counted, .yml files are read and warnings keep exit code 0.
func TestValidateNothingSilent(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		symlink  bool // add a directory symlink "linked" to "svc"
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{
			name:     "empty directory",
			wantCode: 1,
			wantErr:  "error: no spec files (*.yaml, *.yml) under DIR; is --specs the specs directory?\n",
		},
		{
			name:     "only JSON and docs",
			files:    map[string]string{"app.json": "{}", "README.md": "# x", ".git/config": "x"},
			wantCode: 1,
			wantErr:  "error: no spec files (*.yaml, *.yml) under DIR (3 skipped: 1 hidden, 1 .json, 1 .md); is --specs the specs directory?\n",
		},
		{
			name: "skipped files counted, .yml read",
			files: map[string]string{
				"clusters.yml": validCluster, "svc/old.json": "{}", ".hidden.yaml": "x: [", "svc/notes": "n",
				"svc/web.yaml": "apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: web}\nspec:\n  environments: {prod: {clusters: [ams]}}\n  apps: {app: {cmd: run}}\n",
			},
			symlink:  true,
			wantCode: 0,
			wantOut:  "ok: 2 files (4 skipped: 1 hidden, 1 directory symlink, 1 .json, 1 no extension), 1 clusters, 1 service groups, 1 apps\n",
		},
		{
			name: "warning keeps exit code 0",
			files: map[string]string{
				"clusters.yaml": validCluster,
				"web.yaml":      "apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: web}\nspec:\n  environments: {prod: {clusters: [ams]}}\n  apps: {app: {cmd: run, env: {DB_PASSWORD: hunter2}}}\n",
			},
			wantCode: 0,
			wantOut: "web.yaml:6:45: warning: spec.apps.app.env.DB_PASSWORD: env DB_PASSWORD looks like a secret and holds a literal value, which ends up in git and in Marathon's app definition; use a Marathon secret (env: {DB_PASSWORD: {secret: name}} with secrets: {name: {source: ...}}) or a file or env reference (e.g. DB_PASSWORD_FILE: /run/secrets/...)\n" +
				"ok: 2 files, 1 clusters, 1 service groups, 1 apps\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			if tc.symlink {
				if err := os.Symlink("svc", filepath.Join(dir, "linked")); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errOut := runPacer(t, "validate", "--specs", dir)
			errOut = strings.ReplaceAll(errOut, dir, "DIR")
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantOut, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantErr, errOut); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			// The loading table of docs/reliability.md shows the message.
			msg := strings.TrimSuffix(tc.wantErr, "\n")
			if msg == "" {
				msg = strings.SplitN(tc.wantOut, "\n", 2)[0]
				if i := strings.Index(msg, " looks like a secret"); i >= 0 {
					msg = msg[:i] // abbreviated in the table
				}
			}
			if !strings.Contains(string(reliabilityDoc(t)), "`"+msg) {
				t.Errorf("docs/reliability.md does not show %q", msg)
			}
		})
	}
}

func reliabilityDoc(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../docs/reliability.md")
	if err != nil {
		t.Fatal(err)
	}
	return data
}
