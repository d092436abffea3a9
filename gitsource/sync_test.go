package gitsource

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newSource(t *testing.T, url, path, cacheDir string) *Source {
	t.Helper()
	s, err := New(Options{URL: url, Branch: "main", Path: path, CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// files reads every file of fsys.
func files(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		got[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("walk revision fs: %v", err)
	}
	return got
}

func TestSyncFollowsPushes(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(bare string) string
	}{
		{name: "local path", url: func(bare string) string { return bare }},
		{name: "file url", url: func(bare string) string { return "file://" + bare }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t)
			c1 := up.commit("main", "first", map[string]string{
				"specs/a.yaml": "a: 1\n", "README.md": "outside the path\n",
			})
			s := newSource(t, tc.url(up.bare), "specs", t.TempDir())

			rev, err := s.Sync(t.Context())
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			want := Revision{Commit: c1, Subject: "first", Changed: true}
			if diff := cmp.Diff(want, rev, cmp.FilterPath(ignoreFSAndTime, cmp.Ignore())); diff != "" {
				t.Errorf("first revision (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"a.yaml": "a: 1\n"}, files(t, rev.FS)); diff != "" {
				t.Errorf("first content (-want +got):\n%s", diff)
			}

			rev, err = s.Sync(t.Context())
			if err != nil || rev.Commit != c1 || rev.Changed {
				t.Fatalf("unchanged Sync = %s changed=%v, %v; want %s unchanged", rev.Commit, rev.Changed, err, c1)
			}

			c2 := up.commit("main", "second\n\nbody", map[string]string{
				"specs/a.yaml": "a: 2\n", "specs/sub/b.yaml": "b: 1\n",
			})
			rev, err = s.Sync(t.Context())
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			want = Revision{Commit: c2, Subject: "second", Changed: true, Previous: c1}
			if diff := cmp.Diff(want, rev, cmp.FilterPath(ignoreFSAndTime, cmp.Ignore())); diff != "" {
				t.Errorf("second revision (-want +got):\n%s", diff)
			}
			wantFiles := map[string]string{"a.yaml": "a: 2\n", "sub/b.yaml": "b: 1\n"}
			if diff := cmp.Diff(wantFiles, files(t, rev.FS)); diff != "" {
				t.Errorf("second content (-want +got):\n%s", diff)
			}
		})
	}
}

func ignoreFSAndTime(p cmp.Path) bool {
	s := p.String()
	return s == "FS" || s == "Committed"
}

func TestSyncSnapshotIsImmutable(t *testing.T) {
	up := newUpstream(t)
	up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n"})
	s := newSource(t, up.bare, "specs", t.TempDir())
	old, err := s.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	up.commit("main", "second", map[string]string{"specs/a.yaml": "a: 2\n"})
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a.yaml": "a: 1\n"}, files(t, old.FS)); diff != "" {
		t.Errorf("old revision changed under its reader (-want +got):\n%s", diff)
	}
}

func TestSyncFollowsForcePush(t *testing.T) {
	up := newUpstream(t)
	c1 := up.commit("main", "old history", map[string]string{"specs/a.yaml": "a: 1\n"})
	logs := &logSink{}
	ctx := logs.context(t)
	s := newSource(t, up.bare, "specs", t.TempDir())
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	up.orphan()
	c2 := up.commit("main", "new history", map[string]string{"specs/z.yaml": "z: 1\n"})
	rev, err := s.Sync(ctx)
	if err != nil {
		t.Fatalf("Sync after force push: %v", err)
	}
	want := Revision{Commit: c2, Subject: "new history", Changed: true, ForcePushed: true, Previous: c1}
	if diff := cmp.Diff(want, rev, cmp.FilterPath(ignoreFSAndTime, cmp.Ignore())); diff != "" {
		t.Errorf("revision (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"z.yaml": "z: 1\n"}, files(t, rev.FS)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "force-pushed") {
		t.Errorf("force push not logged:\n%s", logs)
	}
}

func TestSyncKeepsLastGoodWhenRemoteGone(t *testing.T) {
	up := newUpstream(t)
	c1 := up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n"})
	cache := t.TempDir()
	s := newSource(t, up.bare, "specs", cache)
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(up.bare); err != nil {
		t.Fatal(err)
	}

	rev, err := s.Sync(t.Context())
	if !errors.Is(err, ErrFetch) {
		t.Fatalf("Sync with remote gone: err = %v, want ErrFetch", err)
	}
	if !strings.Contains(err.Error(), "keeping last good revision "+c1[:12]) {
		t.Errorf("error %q does not say the last good revision is kept", err)
	}
	if rev.Commit != c1 || rev.Changed {
		t.Errorf("revision = %s changed=%v, want %s unchanged", rev.Commit, rev.Changed, c1)
	}
	if diff := cmp.Diff(map[string]string{"a.yaml": "a: 1\n"}, files(t, rev.FS)); diff != "" {
		t.Errorf("kept content (-want +got):\n%s", diff)
	}

	// A restart while the remote is still gone serves the cached clone.
	restarted := newSource(t, up.bare, "specs", cache)
	rev, err = restarted.Sync(t.Context())
	if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "using cached revision") {
		t.Fatalf("Sync after restart: err = %v, want ErrFetch using the cached revision", err)
	}
	if rev.Commit != c1 || !rev.Changed {
		t.Errorf("revision after restart = %s changed=%v, want %s changed", rev.Commit, rev.Changed, c1)
	}
}

func TestSyncReusesCacheAcrossRestart(t *testing.T) {
	up := newUpstream(t)
	c1 := up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n"})
	cache := t.TempDir()
	if _, err := newSource(t, up.bare, "specs", cache).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	c2 := up.commit("main", "second", map[string]string{"specs/a.yaml": "a: 2\n"})

	rev, err := newSource(t, up.bare, "specs", cache).Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rev.Commit != c2 || rev.Previous != c1 || rev.ForcePushed {
		t.Errorf("after restart: commit %s previous %s forced %v; want %s from %s, not forced", rev.Commit, rev.Previous, rev.ForcePushed, c2, c1)
	}
	clones, err := filepath.Glob(filepath.Join(cache, "repo-*.git"))
	if err != nil || len(clones) != 1 {
		t.Errorf("cache dir holds %v (%v), want one clone", clones, err)
	}
}

func TestSyncErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(up *upstream)
		branch  string
		path    string
		wantErr error
	}{
		{name: "empty repository", setup: func(*upstream) {}, branch: "main", path: "specs", wantErr: ErrEmptyRepository},
		{
			name:    "missing branch",
			setup:   func(up *upstream) { up.commit("other", "x", map[string]string{"specs/a.yaml": "a\n"}) },
			branch:  "main",
			path:    "specs",
			wantErr: ErrBranchNotFound,
		},
		{
			name:    "missing path",
			setup:   func(up *upstream) { up.commit("main", "x", map[string]string{"other/a.yaml": "a\n"}) },
			branch:  "main",
			path:    "specs",
			wantErr: ErrPathNotFound,
		},
		{
			name:    "path is a file",
			setup:   func(up *upstream) { up.commit("main", "x", map[string]string{"specs": "a\n"}) },
			branch:  "main",
			path:    "specs",
			wantErr: ErrPathNotFound,
		},
		{
			name:    "nested path",
			setup:   func(up *upstream) { up.commit("main", "x", map[string]string{"deploy/specs/a.yaml": "a\n"}) },
			branch:  "main",
			path:    "/deploy/specs/",
			wantErr: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t)
			tc.setup(up)
			s, err := New(Options{URL: up.bare, Branch: tc.branch, Path: tc.path, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			rev, err := s.Sync(t.Context())
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Sync err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if rev.Commit != "" || !strings.Contains(err.Error(), "no good revision yet") {
					t.Errorf("Sync = %q, %v; want no revision and an error saying so", rev.Commit, err)
				}
			}
		})
	}
}

func TestSyncKeepsLastGoodWhenPathDisappears(t *testing.T) {
	up := newUpstream(t)
	c1 := up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n"})
	s := newSource(t, up.bare, "specs", t.TempDir())
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	up.commit("main", "remove specs", map[string]string{"specs/a.yaml": "", "other.txt": "x\n"})
	for range 2 { // the error persists while the branch stays there
		rev, err := s.Sync(t.Context())
		if !errors.Is(err, ErrPathNotFound) || rev.Commit != c1 {
			t.Fatalf("Sync = %s, %v; want %s and ErrPathNotFound", rev.Commit, err, c1)
		}
	}
	if got := s.Last().Commit; got != c1 {
		t.Errorf("Last = %s, want %s", got, c1)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{name: "no url", opts: Options{CacheDir: "x"}, want: "git url is empty"},
		{name: "no cache", opts: Options{URL: "/r"}, want: "git cache dir is empty"},
		{name: "bad branch", opts: Options{URL: "/r", CacheDir: "x", Branch: "a..b"}, want: "invalid git branch"},
		{name: "path escapes", opts: Options{URL: "/r", CacheDir: "x", Path: "../etc"}, want: "invalid git path"},
		{name: "bad protocol", opts: Options{URL: "ftp://u:hunter22@h/r", CacheDir: "x"}, want: "unsupported protocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestSyncHonoursCancelledContext(t *testing.T) {
	up := newUpstream(t)
	c1 := up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n"})
	s := newSource(t, up.bare, "specs", t.TempDir())
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	up.commit("main", "second", map[string]string{"specs/a.yaml": "a: 2\n"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rev, err := s.Sync(ctx)
	if !errors.Is(err, context.Canceled) || rev.Commit != c1 {
		t.Errorf("Sync with cancelled ctx = %s, %v; want %s and context.Canceled", rev.Commit, err, c1)
	}
}
