package operator

import (
	"context"
	"testing"
	"time"
)

func TestSupersedes(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	old := DeploymentStatus{ID: "d1", Started: now.Add(-time.Hour), AffectedApps: 1}
	app := func(rev string, deps ...DeploymentStatus) AppStatus {
		return AppStatus{ID: "/web", LiveRevision: rev, RunningDeployments: deps}
	}
	for _, tc := range []struct {
		name  string
		after time.Duration
		app   AppStatus
		ids   []string
		want  bool
	}{
		{"own stuck deployment of an older revision", 10 * time.Minute, app("r1", old), []string{"d1"}, true},
		{"disabled", 0, app("r1", old), []string{"d1"}, false},
		{"same revision: the deployment is this revision's", 10 * time.Minute, app("r2", old), []string{"d1"}, false},
		{"not pacer's (no revision label)", 10 * time.Minute, app("", old), []string{"d1"}, false},
		{"too young", 10 * time.Minute, app("r1", DeploymentStatus{ID: "d1", Started: now.Add(-time.Minute), AffectedApps: 1}), []string{"d1"}, false},
		{"start unknown", 10 * time.Minute, app("r1", DeploymentStatus{ID: "d1", AffectedApps: 1}), []string{"d1"}, false},
		{"touches other apps too", 10 * time.Minute, app("r1", DeploymentStatus{ID: "d1", Started: now.Add(-time.Hour), AffectedApps: 2}), []string{"d1"}, false},
		{"a locking deployment the pass did not see", 10 * time.Minute, app("r1", old), []string{"d1", "d2"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &Operator{opts: Options{SupersedeAfter: tc.after}, good: &loaded{rev: Revision{ID: "r2"}}}
			if got := o.supersedes(context.Background(), tc.app, tc.ids, now); got != tc.want {
				t.Errorf("supersedes = %v, want %v", got, tc.want)
			}
		})
	}
}
