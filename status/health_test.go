package status

import (
	"testing"

	"pacer.dev/pacer/internal/marathon"
)

func TestHealthOf(t *testing.T) {
	hc := []byte(`{"healthChecks":[{"protocol":"HTTP"}]}`)
	tests := []struct {
		name       string
		live       *marathon.App
		want       Health
		wantReason Reason
	}{
		{"missing", nil, Missing, ReasonNotInMarathon},
		{"deploying", &marathon.App{Instances: 2, DeploymentIDs: []string{"d"}}, Progressing, ReasonDeploymentRunning},
		// A running deployment wins over the instance count: an app being
		// scaled to 0 still has tasks being killed.
		{"scaling to 0", &marathon.App{Instances: 0, TasksRunning: 2, DeploymentIDs: []string{"d"}}, Progressing, ReasonDeploymentRunning},
		{"suspended", &marathon.App{}, Suspended, ReasonScaledToZero},
		{"short of tasks", &marathon.App{Instances: 2, TasksRunning: 1}, Degraded, ReasonTasksNotRunning},
		{"unhealthy task", &marathon.App{Instances: 2, TasksRunning: 2, TasksUnhealthy: 1}, Degraded, ReasonTasksUnhealthy},
		{"not yet healthy", &marathon.App{Instances: 2, TasksRunning: 2, TasksHealthy: 1, Raw: hc}, Degraded, ReasonHealthChecksUnmet},
		{"healthy with checks", &marathon.App{Instances: 2, TasksRunning: 2, TasksHealthy: 2, Raw: hc}, Healthy, ReasonAllTasksHealthy},
		{"healthy without checks", &marathon.App{Instances: 2, TasksRunning: 2, Raw: []byte(`{}`)}, Healthy, ReasonAllTasksHealthy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := HealthOf(tc.live)
			if got != tc.want || reason != tc.wantReason {
				t.Errorf("HealthOf = %s (%s), want %s (%s)", got, reason, tc.want, tc.wantReason)
			}
			if reason.Message() == string(reason) {
				t.Errorf("reason %s has no message", reason)
			}
		})
	}
}

func TestSummarizeCountsEveryValue(t *testing.T) {
	s := Summarize([]App{{Sync: Synced, Health: Healthy}, {Sync: OutOfSync, Health: Healthy}})
	if len(s.Sync) != len(Syncs()) || len(s.Health) != len(Healths()) {
		t.Errorf("summary lacks values: %+v", s)
	}
	if s.Sync[Synced] != 1 || s.Sync[OutOfSync] != 1 || s.Health[Healthy] != 2 || s.Health[Missing] != 0 {
		t.Errorf("summary %+v", s)
	}
}
