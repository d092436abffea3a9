package specs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadBadInput(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{name: "empty file", data: ""},
		{name: "only comments", data: "# nothing here yet\n# really\n"},
		{name: "empty documents", data: "---\n---\n# c\n---\n"},
		{name: "binary", data: "\x7fELF\x02\x01\x01\x00\x00", want: []string{"x.yaml:1:8: binary file (NUL byte); spec files are UTF-8 YAML text"}},
		{name: "invalid UTF-8", data: "kind: Cluster\nmetadata: {name: \xff}\n", want: []string{"x.yaml:2:18: invalid UTF-8; spec files must be UTF-8 text"}},
		{name: "tabs", data: "kind: Cluster\n\tmetadata: {}\n", want: []string{"x.yaml:2:1: invalid YAML: found a tab character that violates indentation (a tab in indentation; YAML indents with spaces)"}},
		{name: "syntax error", data: "kind: [Cluster\n", want: []string{"x.yaml:1:1: invalid YAML: did not find expected ',' or ']'"}},
		{name: "not a mapping", data: "just some text\n", want: []string{"x.yaml:1:1: a spec document must be a mapping with apiVersion, kind, metadata and spec, got a string"}},
		{name: "list document", data: "- a\n- b\n", want: []string{"x.yaml:1:1: a spec document must be a mapping with apiVersion, kind, metadata and spec, got a list"}},
		{name: "no kind", data: "apiVersion: pacer.dev/v1\n", want: []string{`x.yaml:1:1: missing required field "kind" (Cluster or ServiceGroup)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problemLines(t, mapFS(map[string]string{"clusters.yaml": clusterAMS, "x.yaml": tc.data}))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

func TestLoadAliasBombFailsFast(t *testing.T) {
	// 2,000 aliases to a list of 2,000 strings: a 20 kB file that expands to
	// 4 million values, refused at the budget instead of being built.
	list := strings.Repeat("x, ", 1999) + "x"
	aliases := strings.Repeat("*a, ", 1999) + "*a"
	doc := "apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: bomb}\nspec:\n" +
		"  environments: {production: {clusters: [ams]}}\n  apps:\n    app:\n" +
		"      args: &a [" + list + "]\n      constraints: [" + aliases + "]\n"
	got := problemLines(t, mapFS(map[string]string{"clusters.yaml": clusterAMS, "x.yaml": doc}))
	want := []string{"x.yaml:8:4565: spec.apps.app.constraints[522][1516]: document expands to more than 1048576 values through aliases; refusing it (alias bomb?)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestLoadDirFilesystem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("clusters.yaml", clusterAMS)
	write(".git/config.yaml", "not: [valid")           // hidden dir: skipped
	write("svc/.draft.yaml", "not: [valid")            // hidden file: skipped
	write("svc/README.md", "# not a spec")             // other extension: skipped
	write("svc/big.yaml", strings.Repeat("#", 10<<20)) // 10 MB
	write("outside.txt", "")
	if err := os.Symlink("../clusters.yaml", filepath.Join(dir, "svc", "inside.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "svc", "escape.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("svc", filepath.Join(dir, "dirlink.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := LoadDir(dir)
	if set == nil {
		t.Fatalf("LoadDir: %v", err)
	}
	want := []string{
		"dirlink.yaml: symlink refused: it does not point to a regular file",
		"pipe.yaml: not a regular file",
		"svc/big.yaml: file is too large (10485760 bytes, the limit is 4 MiB); split it",
		"svc/escape.yaml: symlink refused: it leaves the specs root or is broken (path escapes from parent)",
		// svc/inside.yml is the same Cluster again, through a symlink inside the root.
		`svc/inside.yml:3:18: metadata.name: cluster "ams" is already defined at clusters.yaml:1:1`,
	}
	if diff := cmp.Diff(want, lines(t, set.Validate())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"clusters.yaml", "svc/big.yaml", "svc/inside.yml"}, set.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestLoadDirErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.yaml")
	if err := os.WriteFile(file, []byte(clusterAMS), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		want      error
	}{
		{"missing", filepath.Join(dir, "nope"), fs.ErrNotExist},
		{"not a directory", file, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := LoadDir(tc.dir)
			if set != nil || err == nil || errors.Is(err, ErrInvalid) {
				t.Fatalf("LoadDir = %v, %v; want no set and an I/O error", set, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v is not %v", err, tc.want)
			}
		})
	}
}

func TestLoadDirPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		// chmod 000 does not stop root (CI runs as root): run this very
		// test again as an unprivileged user.
		rerunAsNobody(t, "TestLoadDirPermission")
		return
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.yaml"), []byte(clusterAMS), 0o000); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	set, err := LoadDir(dir)
	if set == nil {
		t.Fatalf("LoadDir: %v", err)
	}
	want := []string{
		"locked: cannot read: permission denied",
		"secret.yaml: cannot read: permission denied",
	}
	if diff := cmp.Diff(want, lines(t, set.Validate())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// rerunAsNobody runs one test of this binary again as uid/gid 65534 and
// fails unless it passes there (a skip does not count).
func rerunAsNobody(t *testing.T, name string) {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "specs.test")
	if err := os.WriteFile(exe, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run", "^"+name+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "TMPDIR=" + os.TempDir()}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s as uid 65534: %v\n%s", name, err, out)
	}
}
