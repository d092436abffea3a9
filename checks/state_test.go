package checks

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStatusSoftHard(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	type step struct {
		in      State
		hard    State
		soft    bool
		changed bool
	}
	tests := []struct {
		name          string
		forN, clearFr int
		steps         []step
	}{
		{"for 1 is hard at once", 1, 1, []step{
			{Critical, Critical, false, true}, {OK, OK, false, true}}},
		{"for 3: two soft failures, then hard", 3, 1, []step{
			{Critical, OK, true, false}, {Warning, OK, true, false}, {Critical, Critical, false, true}}},
		{"an OK between soft failures resets the count", 2, 1, []step{
			{Critical, OK, true, false}, {OK, OK, false, false}, {Critical, OK, true, false}, {Critical, Critical, false, true}}},
		{"clearFor 2: one OK is a soft recovery", 1, 2, []step{
			{Critical, Critical, false, true}, {OK, Critical, true, false}, {Critical, Critical, false, false},
			{OK, Critical, true, false}, {OK, OK, false, true}}},
		{"a hard failure changes severity at once", 2, 1, []step{
			{Warning, OK, true, false}, {Warning, Warning, false, true}, {Critical, Critical, false, true}, {Unknown, Unknown, false, true}}},
		{"for below 1 counts as 1", 0, 0, []step{{Unknown, Unknown, false, true}, {OK, OK, false, true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Status
			for i, st := range tc.steps {
				at := t0.Add(time.Duration(i) * time.Minute)
				prevSince := s.Since
				changed := s.Observe(Result{State: st.in, Started: at}, tc.forN, tc.clearFr)
				got := step{st.in, s.Hard, s.Soft, changed}
				if diff := cmp.Diff(st, got, cmp.AllowUnexported(step{})); diff != "" {
					t.Fatalf("result %d (%s) (-want +got):\n%s", i, st.in, diff)
				}
				if wantSince := map[bool]time.Time{true: at, false: prevSince}[changed]; !s.Since.Equal(wantSince) {
					t.Errorf("result %d: since %v, want %v", i, s.Since, wantSince)
				}
			}
			if s.Runs != len(tc.steps) {
				t.Errorf("runs = %d, want %d", s.Runs, len(tc.steps))
			}
		})
	}
}
