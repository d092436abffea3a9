package operator

import (
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestDeploymentAgeOnOurClock: a deployment's age is Marathon's (its Date
// header minus the version), whatever the two clocks say: this instance's
// clock jumped (or skewed) an hour ahead must not supersede or page a
// two-minute-old deployment, and one an hour behind must still see a
// twenty-minute-old one as twenty minutes old. The operator's clock is
// injected (a Go process measures its own durations on the monotonic
// clock; only times from Marathon compare wall clocks).
func TestDeploymentAgeOnOurClock(t *testing.T) {
	fm := reconcilertest.NewFakeMarathon()
	m := &runtimeMarathon{FakeMarathon: fm}
	h := newHarness(t, m, nil)
	now := h.clock.Now()
	for _, tc := range []struct {
		name             string
		version, answer  time.Time // on Marathon's clock
		wantAge          time.Duration
		supersedeAfter10 bool
	}{
		{"our clock an hour ahead", now.Add(-time.Hour - 2*time.Minute), now.Add(-time.Hour), 2 * time.Minute, false},
		{"our clock an hour behind", now.Add(time.Hour - 20*time.Minute), now.Add(time.Hour), 20 * time.Minute, true},
		{"no Date header: Marathon's version as written", now.Add(-30 * time.Minute), time.Time{}, 30 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.deployments = []marathon.Deployment{{ID: "d-1", Version: tc.version.Format(time.RFC3339Nano), AnsweredAt: tc.answer, AffectedApps: []string{api}}}
			rt := h.op.readRuntime(t.Context())
			ds := rt.deployments[api]
			if len(ds) != 1 {
				t.Fatalf("deployments of %s: %+v", api, rt.deployments)
			}
			if age := now.Sub(ds[0].Started); age != tc.wantAge {
				t.Errorf("age %v, want %v", age, tc.wantAge)
			}
			h.op.opts.SupersedeAfter = 10 * time.Minute
			h.op.good = &loaded{rev: Revision{ID: "r2"}}
			a := AppStatus{ID: api, LiveRevision: "r1", RunningDeployments: []DeploymentStatus{{ID: "d-1", Started: ds[0].Started, AffectedApps: 1}}}
			if got := h.op.supersedes(t.Context(), a, []string{"d-1"}, now); got != tc.supersedeAfter10 {
				t.Errorf("supersedes after 10m = %v, want %v", got, tc.supersedeAfter10)
			}
		})
	}
}
