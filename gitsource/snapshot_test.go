package gitsource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSnapshotSkipsSymlinksAndKeepsModes(t *testing.T) {
	up := newUpstream(t)
	up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n", "specs/run.sh": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(up.work, "specs", "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(up.work, "specs", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	up.git(up.work, "add", "-A")
	up.commit("main", "link and exec", nil)

	logs := &logSink{}
	rev, err := newSource(t, up.bare, "specs", t.TempDir()).Sync(logs.context(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a.yaml": "a: 1\n", "run.sh": "#!/bin/sh\n"}
	if diff := cmp.Diff(want, files(t, rev.FS)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), `"path"="link.yaml"`) {
		t.Errorf("skipped symlink not logged:\n%s", logs)
	}
}
