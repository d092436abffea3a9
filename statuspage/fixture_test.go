package statuspage

import (
	"encoding/json"
	"fmt"
	"time"

	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/status"
)

var (
	t0  = time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	now = func() time.Time { return t0.Add(90 * time.Second) }
)

func intp(n int) *int { return &n }

// live is a live definition masked as the operator masks it.
func live(raw string) *status.LiveDefinition {
	return status.NewLiveDefinition(json.RawMessage(raw), func(r json.RawMessage) (json.RawMessage, error) {
		return reconciler.MaskDefinition("salt", "ams", "/x", nil, r)
	})
}

const withChecks = `{"healthChecks":[{"protocol":"HTTP","path":"/health"}]}`

// fixture is a cluster at 3 a.m.: drift, a crash loop, an invalid newer
// revision and an open incident, among healthy apps.
func fixture() status.Cluster {
	apps := []status.App{
		{ID: "/services/autofill/production/app", ServiceGroup: "/services/autofill", Environment: "production",
			Sync: status.Synced, Health: status.Healthy, HealthReason: status.ReasonAllTasksHealthy,
			Instances: 12, Running: 12, Healthy: 12, Wanted: intp(12), Exposure: &status.Exposure{HAProxyGroup: "external"},
			Source: "services/autofill.yaml:9:5", SpecRevision: "3fb4278aaaaabbbbbcccc", LiveRevision: "3fb4278aaaaabbbbbcccc",
			Live: live(withChecks)},
		{ID: "/services/autofill/production/mongo", ServiceGroup: "/services/autofill", Environment: "production",
			Sync: status.OutOfSync, Health: status.Healthy, HealthReason: status.ReasonAllTasksHealthy, Action: "update",
			Changes: []string{`mem: 8192 → 16384`, `env.DB_PASSWORD: (masked 1a2b3c4d) → (masked 5e6f7a8b)`},
			Message: "manual sync policy: drift reported, not applied", SyncPolicy: "manual",
			Instances: 3, Running: 3, Healthy: 3, Wanted: intp(3), Exposure: &status.Exposure{NixyRealm: "internal", HAProxyGroup: "internal", Protocol: "tcp"},
			Links:  []status.Link{{Text: "Runbook", Href: "https://wiki.example/mongo"}},
			Live:   live(`{"id":"/services/autofill/production/mongo","env":{"DB_PASSWORD":"hunter2"},"healthChecks":[{"protocol":"TCP"}]}`),
			Source: "services/autofill.yaml:40:5"},
		{ID: "/services/sync/production/api", ServiceGroup: "/services/sync", Environment: "production",
			Sync: status.Synced, Health: status.Degraded, HealthReason: status.ReasonTasksNotRunning,
			Instances: 4, Running: 1, Healthy: 1, Wanted: intp(4), Live: live(withChecks),
			LastTaskFailure: "TASK_FAILED exit code 137", LastTaskFailureAt: t0.Add(-30 * time.Second), LastTaskFailureTask: "sync_api.4f2",
			RunningDeployments: []status.Deployment{{ID: "5ed4c0c5-9ff8", Started: t0.Add(-10 * time.Minute), AffectedApps: 1,
				CurrentStep: 2, TotalSteps: 2, Actions: []string{"RestartApplication"}}},
			LaunchQueue: &status.LaunchQueue{Count: 3, Delayed: true, Since: t0.Add(-9 * time.Minute)}},
		{ID: "/services/speeddials/test/web", ServiceGroup: "/services/speeddials", Environment: "test",
			Sync: status.Synced, Health: status.Suspended, HealthReason: status.ReasonScaledToZero, Wanted: intp(0)},
	}
	return status.Cluster{Cluster: "ams", Ready: true, Leader: true,
		Revision: status.Revision{ID: "3fb4278aaaaabbbbbcccc", Subject: "autofill: 12 instances", LoadedAt: t0.Add(-time.Hour)},
		InvalidRevision: &status.InvalidRevision{ID: "9c0ffee0000111122223333", Subject: "sync: bad mem", Since: t0.Add(-5 * time.Minute),
			Error: "services/sync.yaml:12:12: spec.apps.api.mem: must be > 0\nservices/sync.yaml:14:7: spec.apps.api.cmd: unknown field"},
		LastPass: t0, PassDuration: 42 * time.Millisecond, Apps: apps, Summary: status.Summarize(apps),
		Applied: []status.AppliedChange{{App: "/services/sync/production/api", Action: "update", DeploymentID: "5ed4c0c5-9ff8",
			Revision: "3fb4278aaaaabbbbbcccc", PreviousRevision: "0a1b2c3d4e5f6a7b", Changes: []string{"cmd: \"sync --old\" → \"sync\""}, At: t0.Add(-10 * time.Minute)}}}
}

func fixtureLB() *status.LB {
	return &status.LB{At: t0.Add(-20 * time.Second), Backends: 2, Servers: 15,
		Problems: map[string][]string{"/services/speeddials/test/web": {"skipped: no task serves port index 0"}}}
}

func fixtureIncidents() []status.Incident {
	return []status.Incident{{Condition: "CrashLooping", App: "/services/sync/production/api", Severity: "critical",
		Summary: "sync api: 5 task failures in 10m", Since: t0.Add(-8 * time.Minute)}}
}

// bigCluster has n apps over 10 environments and 50 service groups; one
// in 20 is out of sync and one in 50 degraded.
func bigCluster(n int) status.Cluster {
	apps := make([]status.App, n)
	for i := range apps {
		sg := fmt.Sprintf("/services/svc%02d", i%50)
		env := fmt.Sprintf("env%d", i%10)
		a := status.App{ID: fmt.Sprintf("%s/%s/app%05d", sg, env, i), ServiceGroup: sg, Environment: env,
			Sync: status.Synced, Health: status.Healthy, HealthReason: status.ReasonAllTasksHealthy,
			Instances: 2, Running: 2, Healthy: 2, Wanted: intp(2)}
		if i%20 == 0 {
			a.Sync, a.Action, a.Changes = status.OutOfSync, "update", []string{"cpus: 1 → 2"}
		}
		if i%50 == 0 {
			a.Health, a.HealthReason, a.Running = status.Degraded, status.ReasonTasksNotRunning, 1
		}
		apps[i] = a
	}
	return status.Cluster{Cluster: "big", Ready: true, Leader: true, Revision: status.Revision{ID: "abc"}, LastPass: t0, Apps: apps, Summary: status.Summarize(apps)}
}

// fixtureChecks are the cluster's custom checks at 3 a.m.: the mongo TCP
// check CRITICAL, a prometheus latency check WARNING, a soft failure not
// yet confirmed, an OK probe and one with no result yet.
func fixtureChecks() []status.Check {
	return []status.Check{
		{ID: "/services/autofill/production:app-http", Name: "app-http", Kind: "http", Cluster: "ams", Group: "/services/autofill/production",
			ServiceGroup: "/services/autofill", Environment: "production", App: "/services/autofill/production/app",
			State: status.CheckOK, Since: t0.Add(-time.Hour), LastRun: t0.Add(-20 * time.Second), LastDuration: 12 * time.Millisecond, Runs: 120,
			Summary: "12 of 12 tasks OK", Perfdata: []status.CheckPerf{{Label: "failing", Value: 0, Text: "failing=0;;6"}}, Page: true, Urgency: "high"},
		{ID: "/services/autofill/production:latency", Name: "latency", Kind: "prometheus", Cluster: "ams", Group: "/services/autofill/production",
			ServiceGroup: "/services/autofill", Environment: "production",
			State: status.CheckWarning, Since: t0.Add(-15 * time.Minute), LastRun: t0.Add(-10 * time.Second), LastDuration: 30 * time.Millisecond, Runs: 40,
			Summary: "p99 latency 0.85 > 0.5", Page: true, Urgency: "high"},
		{ID: "/services/autofill/production:mongo-tcp", Name: "mongo-tcp", Kind: "tcp", Cluster: "ams", Group: "/services/autofill/production",
			ServiceGroup: "/services/autofill", Environment: "production", App: "/services/autofill/production/mongo",
			State: status.CheckCritical, Since: t0.Add(-4 * time.Minute), LastRun: t0.Add(-5 * time.Second), LastDuration: time.Second, Runs: 30,
			Summary: "1 of 3 tasks failing: connection refused", Long: "mongo.2 10.0.0.7:31002: connection refused",
			Perfdata: []status.CheckPerf{{Label: "failing", Value: 1, Text: "failing=1;;1"}},
			Tip:      "a mongo member is down: check its host", Runbook: "https://wiki.example/mongo#down", Page: true, Urgency: "high"},
		{ID: "/services/autofill/production:mongo-oplog", Name: "mongo-oplog", Kind: "exec", Cluster: "ams", Group: "/services/autofill/production",
			ServiceGroup: "/services/autofill", Environment: "production", App: "/services/autofill/production/mongo", Task: "checks.1a2b",
			State: status.CheckOK, Soft: true, SoftState: status.CheckCritical, Streak: 1, Since: t0.Add(-2 * time.Hour), LastRun: t0.Add(-30 * time.Second),
			LastDuration: 200 * time.Millisecond, Runs: 200, Summary: "oplog window 0.4h < 1h", Page: true, Urgency: "high"},
		{ID: "/services/speeddials/test:web-http", Name: "web-http", Kind: "http", Cluster: "ams", Group: "/services/speeddials/test",
			ServiceGroup: "/services/speeddials", Environment: "test", App: "/services/speeddials/test/web", State: status.CheckPending},
	}
}

// bigChecks are n checks over the apps of c, one per app from the first;
// one in 20 is CRITICAL.
func bigChecks(c status.Cluster, n int) []status.Check {
	out := make([]status.Check, n)
	for i := range out {
		a := c.Apps[i*len(c.Apps)/n]
		out[i] = status.Check{ID: a.ID + ":http", Name: "http", Kind: "http", App: a.ID, Environment: a.Environment, ServiceGroup: a.ServiceGroup,
			State: status.CheckOK, Runs: 10, Since: t0.Add(-time.Hour), LastRun: t0, Summary: "2 of 2 tasks OK"}
		if i%20 == 0 {
			out[i].State, out[i].Summary = status.CheckCritical, "2 of 2 tasks failing: connection refused"
		}
	}
	return out
}
