package gittest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tree lists main's files in the bare repository with their contents.
func (r *Repo) tree(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range strings.Fields(r.git(r.Bare, "ls-tree", "-r", "--name-only", "main")) {
		out[name] = r.git(r.Bare, "show", "main:"+name)
	}
	return out
}

func TestRepo(t *testing.T) {
	r := New(t)
	if want := "file://" + r.Bare; r.URL() != want {
		t.Errorf("URL() = %q, want %q", r.URL(), want)
	}

	steps := []struct {
		name  string
		force bool
		files map[string]string
	}{
		{name: "first", files: map[string]string{"specs/a.yaml": "a: 1\n", "specs/b/c.yaml": "c: 1\n"}},
		{name: "b deleted, a changed", files: map[string]string{"specs/a.yaml": "a: 2\n"}},
		{name: "nothing changed", files: map[string]string{"specs/a.yaml": "a: 2\n"}},
		{name: "empty file", files: map[string]string{"specs/a.yaml": ""}},
		{name: "every file deleted", files: nil},
		{name: "rewritten history", force: true, files: map[string]string{"specs/d.yaml": "d: 1\n"}},
	}
	var prev string
	for _, s := range steps {
		push := r.Push
		if s.force {
			push = r.ForcePush
		}
		id := push(s.name, s.files)
		if got := strings.TrimSpace(r.git(r.Bare, "rev-parse", "main")); got != id || r.Head() != id {
			t.Fatalf("%s: pushed %s, main is %s, Head() %s", s.name, id, got, r.Head())
		}
		if id == prev {
			t.Fatalf("%s: no new commit", s.name)
		}
		want := s.files
		if want == nil {
			want = map[string]string{}
		}
		if diff := cmp.Diff(want, r.tree(t)); diff != "" {
			t.Errorf("%s: main's tree (-want +got):\n%s", s.name, diff)
		}
		parents := strings.Fields(r.git(r.Bare, "rev-list", "--parents", "-n", "1", id))[1:]
		switch {
		case s.force && len(parents) != 0:
			t.Errorf("%s: parents %v, want a root commit", s.name, parents)
		case !s.force && prev != "" && (len(parents) != 1 || parents[0] != prev):
			t.Errorf("%s: parents %v, want [%s]", s.name, parents, prev)
		}
		prev = id
	}
}
