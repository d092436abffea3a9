package gittest

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a bare git repository and a work tree that pushes to its main
// branch. Bare may be renamed away and back by a test to make the
// repository unreachable for a while.
type Repo struct {
	// Bare is the bare repository's path: the URL pacer's --git-url takes.
	Bare string
	// Work is the work tree the pushes are committed from.
	Work string

	tb      testing.TB
	orphans int // orphan branches made by ForcePush
}

// New creates an empty repository (branch main, no commits) in a temporary
// directory of tb. It fails tb, with the install command, if git is
// missing.
func New(tb testing.TB) *Repo {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Fatal("git is needed: apt-get install -y git")
	}
	dir := tb.TempDir()
	r := &Repo{tb: tb, Bare: filepath.Join(dir, "specs.git"), Work: filepath.Join(dir, "work")}
	r.git(dir, "init", "-q", "--bare", "--initial-branch=main", r.Bare)
	r.git(dir, "init", "-q", "--initial-branch=main", r.Work)
	return r
}

// URL is the bare repository's file:// URL.
func (r *Repo) URL() string { return (&url.URL{Scheme: "file", Path: r.Bare}).String() }

// Push replaces the work tree with files (slash-separated relative paths
// to contents; a file pushed before and absent now is deleted, nil deletes
// every file), commits it on top of main, even if nothing changed, pushes
// it and returns the commit id.
func (r *Repo) Push(msg string, files map[string]string) string {
	r.tb.Helper()
	r.replaceTree(files)
	r.git(r.Work, "add", "-A")
	r.git(r.Work, "commit", "-q", "--allow-empty", "-m", msg)
	r.git(r.Work, "push", "-q", r.Bare, "HEAD:refs/heads/main")
	return r.Head()
}

// ForcePush commits files as Push does but on a new root commit, unrelated
// to the history pushed so far, force-pushes it over main and returns the
// commit id.
func (r *Repo) ForcePush(msg string, files map[string]string) string {
	r.tb.Helper()
	r.orphans++
	r.git(r.Work, "checkout", "-q", "--orphan", fmt.Sprintf("rewrite-%d", r.orphans))
	r.replaceTree(files)
	r.git(r.Work, "add", "-A")
	r.git(r.Work, "commit", "-q", "--allow-empty", "-m", msg)
	r.git(r.Work, "push", "-q", "--force", r.Bare, "HEAD:refs/heads/main")
	return r.Head()
}

// Head is the commit id pushed last.
func (r *Repo) Head() string {
	r.tb.Helper()
	return strings.TrimSpace(r.git(r.Work, "rev-parse", "HEAD"))
}

func (r *Repo) replaceTree(files map[string]string) {
	r.tb.Helper()
	entries, err := os.ReadDir(r.Work)
	if err != nil {
		r.tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != ".git" {
			if err := os.RemoveAll(filepath.Join(r.Work, e.Name())); err != nil {
				r.tb.Fatal(err)
			}
		}
	}
	for name, content := range files {
		p := filepath.Join(r.Work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.tb.Fatal(err)
		}
	}
}

// git runs git in dir without user or system configuration and returns
// its standard output; it fails tb on error.
func (r *Repo) git(dir string, args ...string) string {
	r.tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@pacer.dev", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@pacer.dev")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		r.tb.Fatalf("git %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}
