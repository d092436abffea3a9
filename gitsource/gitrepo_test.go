package gitsource

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// upstream is a bare repository plus a working clone that pushes to it,
// driven through the real git binary.
type upstream struct {
	t    *testing.T
	bare string
	work string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	dir := t.TempDir()
	u := &upstream{t: t, bare: filepath.Join(dir, "specs.git"), work: filepath.Join(dir, "work")}
	u.git(dir, "init", "--bare", "--initial-branch=main", u.bare)
	u.git(dir, "init", "--initial-branch=main", u.work)
	u.git(u.work, "remote", "add", "origin", u.bare)
	return u
}

// commit writes files (path → content; "" deletes), commits and pushes.
func (u *upstream) commit(branch, msg string, files map[string]string) string {
	u.t.Helper()
	for name, content := range files {
		p := filepath.Join(u.work, filepath.FromSlash(name))
		if content == "" {
			u.git(u.work, "rm", "-q", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			u.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			u.t.Fatal(err)
		}
		u.git(u.work, "add", name)
	}
	u.git(u.work, "commit", "-q", "-m", msg)
	u.git(u.work, "push", "-q", "--force", "origin", "HEAD:refs/heads/"+branch)
	return u.git(u.work, "rev-parse", "HEAD")
}

// orphan starts unrelated history in the working clone.
func (u *upstream) orphan() {
	u.t.Helper()
	u.git(u.work, "checkout", "-q", "--orphan", "rewritten")
	u.git(u.work, "rm", "-rq", "--cached", ".")
	u.git(u.work, "clean", "-fdq")
}

func (u *upstream) git(dir string, args ...string) string {
	u.t.Helper()
	cmd := exec.CommandContext(u.t.Context(), "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=pacer test", "GIT_AUTHOR_EMAIL=test@pacer.dev",
		"GIT_COMMITTER_NAME=pacer test", "GIT_COMMITTER_EMAIL=test@pacer.dev",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		u.t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// logSink collects log lines from a funcr logger.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) context(t *testing.T) context.Context {
	log := funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 1})
	return logr.NewContext(t.Context(), log)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
