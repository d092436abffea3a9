package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanOnly: PlanOptions.Only (reconcile --app) plans the selected apps
// and nothing else: an app outside the selection is never deleted, and a
// selected orphan is, with the prune guard counting every managed app.
func TestPlanOnly(t *testing.T) {
	desired, live, opts := loadCase(t, "testdata/prune")
	for _, tc := range []struct {
		name  string
		only  []string
		ratio float64
		want  []string // id action
	}{
		{"everything", nil, 0, []string{
			"/legacy/hand-made skip", "/svc/a0 unchanged", "/svc/a1 unchanged", "/svc/a2 unchanged", "/svc/a3 unchanged",
			"/svc/a4 unchanged", "/svc/a5 unchanged", "/svc/db skip", "/svc/old delete", "/svc/precious skip"}},
		{"one desired app: the orphan is not deleted", []string{"/svc/a1"}, 0, []string{"/svc/a1 unchanged"}},
		{"the orphan itself", []string{"/svc/old"}, 0, []string{"/svc/old delete"}},
		{"non-canonical ids", []string{"svc/a2/", "/svc/old"}, 0, []string{"/svc/a2 unchanged", "/svc/old delete"}},
		// 1 delete of 9 managed apps passes a guard of 0.12; a guard
		// counting only the selection (1 of 1) would refuse it.
		{"guard counts all managed apps", []string{"/svc/old"}, 0.12, []string{"/svc/old delete"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := opts
			o.Only, o.MaxDeleteRatio = tc.only, tc.ratio
			p, err := NewPlan(desired, live, o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range p.Apps {
				got = append(got, a.ID+" "+string(a.Action))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
			if p.Err() != nil {
				t.Errorf("refused: %v", p.Err())
			}
		})
	}
}
