package operator

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
)

// TestHoldDeletes: a prune of an app carrying a revision this instance
// never had in force waits for one more source sync; known revisions and
// other actions pass at once.
func TestHoldDeletes(t *testing.T) {
	type pass struct {
		synced bool
		label  string // of /g/new
		want   []string
		fetch  bool
	}
	for _, tc := range []struct {
		name   string
		passes []pass
	}{
		{"a revision never in force waits one sync", []pass{
			{synced: true, label: "rev-next", want: []string{"update /g/a"}, fetch: true},
			{synced: false, label: "rev-next", want: []string{"update /g/a"}, fetch: true},
			{synced: true, label: "rev-next", want: []string{"update /g/a", "delete /g/new"}},
		}},
		{"a known revision is pruned at once", []pass{
			{synced: true, label: "rev-own", want: []string{"update /g/a", "delete /g/new"}},
		}},
		{"no label is pruned at once", []pass{
			{synced: true, label: "", want: []string{"update /g/a", "delete /g/new"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &Operator{good: &loaded{rev: Revision{ID: "rev-own"}}}
			for i, p := range tc.passes {
				writes := []reconciler.AppPlan{{ID: "/g/a", Action: reconciler.ActionUpdate}, {ID: "/g/new", Action: reconciler.ActionDelete}}
				apps := []AppStatus{{ID: "/g/a"}, {ID: "/g/new"}}
				live := []marathon.App{{ID: "/g/a"}, {ID: "/g/new", Labels: map[string]string{reconciler.LabelRevision: p.label}}}
				got, fetch := o.holdDeletes(writes, apps, live, p.synced)
				var names []string
				for _, w := range got {
					names = append(names, string(w.Action)+" "+w.ID)
				}
				if diff := cmp.Diff(p.want, names); diff != "" || fetch != p.fetch {
					t.Fatalf("pass %d: fetch %v, want %v; writes (-want +got):\n%s", i, fetch, p.fetch, diff)
				}
				if held := apps[1].Message != ""; held != p.fetch {
					t.Errorf("pass %d: message %q", i, apps[1].Message)
				}
			}
		})
	}
}
