package paging

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

var signalsNow = time.Date(2025, 3, 4, 3, 0, 0, 0, time.UTC)

func TestSignals(t *testing.T) {
	pages := &specs.Alerting{Urgency: "high", RoutingKey: specs.SecretRef{FromEnv: "PD_WEB"}}
	tests := []struct {
		name string
		st   status.Cluster
		lb   LBStatus
		want []string // condition app: message
	}{
		{
			name: "invalid revision and failing source",
			st:   status.Cluster{InvalidRevision: &status.InvalidRevision{ID: "bad", Error: "x"}, SourceError: "fetch"},
			want: []string{"GitSourceFailing : fetch", "InvalidSpecRevision : x"},
		},
		{
			name: "marathon down",
			st:   status.Cluster{MarathonError: "refused"},
			want: []string{"MarathonUnreachable : refused"},
		},
		{
			name: "load balancer config refused",
			lb:   LBStatus{ConfigInvalid: true, Err: errors.New("validate: nginx: [emerg] unknown directive")},
			want: []string{"LBConfigInvalid : validate: nginx: [emerg] unknown directive"},
		},
		{
			name: "load balancer reload failing",
			lb:   LBStatus{ReloadFailure: "reload: haproxy master CLI /run/haproxy/master.sock reload: 3 attempts: reload not taken within 30s"},
			want: []string{"LBReloadFailed : reload: haproxy master CLI /run/haproxy/master.sock reload: 3 attempts: reload not taken within 30s"},
		},
		{
			name: "per app",
			st: status.Cluster{Apps: []status.App{
				{ID: "/ok", Sync: status.Synced, Health: status.Healthy, Instances: 1, Running: 1},
				{ID: "/drift", Sync: status.OutOfSync, Health: status.Healthy, Alerting: pages, Message: "manual"},
				{ID: "/failed", Sync: status.OutOfSync, LastError: "422", Health: status.Healthy},
				{ID: "/sick", Sync: status.Synced, Health: status.Degraded, Instances: 3, Running: 2, Unhealthy: 1, LastTaskFailure: "TASK_FAILED exit 1"},
			}},
			want: []string{"OutOfSync /drift: manual", "OutOfSync /failed: ", "SyncFailed /failed: 422",
				"Unhealthy /sick: TASK_FAILED exit 1", "Underprovisioned /sick: "},
		},
		{
			name: "no resources: underprovisioned with the launch-queue reason, deployment stuck with its age",
			st: status.Cluster{Apps: []status.App{{
				ID: "/big", Sync: status.Synced, Health: status.Progressing, Instances: 5, Running: 2, Healthy: 2,
				RunningDeployments: []status.Deployment{{ID: "d2", Started: signalsNow.Add(-time.Minute)}, {ID: "d1", Started: signalsNow.Add(-20 * time.Minute)}},
				LaunchQueue:        &status.LaunchQueue{Count: 3},
			}}},
			want: []string{"Underprovisioned /big: 3 task(s) waiting to launch: no resources offered",
				"DeploymentStuck /big: 3 task(s) waiting to launch: no resources offered"},
		},
		{
			name: "offers declined",
			st: status.Cluster{Apps: []status.App{{
				ID: "/big", Sync: status.Synced, Health: status.Degraded, Instances: 5, Running: 4,
				LaunchQueue: &status.LaunchQueue{Count: 1, ProcessedOffers: 7, UnusedOffers: 7},
			}}},
			want: []string{"Underprovisioned /big: 1 task(s) waiting to launch: no offer fits, insufficient resources or constraints (7 of 7 offers declined)"},
		},
		{
			name: "launch backoff is crash-looping",
			st: status.Cluster{Apps: []status.App{{
				ID: "/crash", Sync: status.Synced, Health: status.Degraded, Instances: 1, Running: 0,
				LastTaskFailure: "TASK_FAILED exit 137", LaunchQueue: &status.LaunchQueue{Count: 1, Delayed: true, DelayLeft: 30 * time.Second},
			}}},
			want: []string{"Underprovisioned /crash: 1 task(s) waiting to launch: launch backoff 30s after failures (last: TASK_FAILED exit 137)",
				"CrashLooping /crash: TASK_FAILED exit 137"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			in := Input{Cluster: "ams", Now: signalsNow}
			for _, s := range Signals(in, tc.st, tc.lb) {
				got = append(got, string(s.Condition)+" "+s.App+": "+s.Details.Message)
				if s.App == "/drift" && (s.Policy == nil || s.Policy.Urgency != alerting.UrgencyHigh) {
					t.Errorf("paging policy of /drift: %+v", s.Policy)
				}
				if s.Condition == alerting.DeploymentStuck && (s.Details.DeploymentID != "d1" || s.Details.Age != 20*time.Minute) {
					t.Errorf("stuck deployment: %s, age %s; want the oldest, d1, 20m", s.Details.DeploymentID, s.Details.Age)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCrashLooping: distinct task failures within the window make an app
// crash-looping; the same failure seen again does not count twice, and
// the condition clears once the failures age out of the window.
func TestCrashLooping(t *testing.T) {
	h := newCrashHistory(10*time.Minute, 3)
	failed := func(task string, at time.Duration) status.App {
		return status.App{ID: "/crash", Sync: status.Synced, Health: status.Healthy, Instances: 1, Running: 1,
			LastTaskFailure: "TASK_FAILED exit 1", LastTaskFailureTask: task, LastTaskFailureAt: signalsNow.Add(at)}
	}
	steps := []struct {
		at   time.Duration
		app  status.App
		want bool
	}{
		{0, failed("t1", 0), false},
		{30 * time.Second, failed("t1", 0), false}, // the same failure again
		{time.Minute, failed("t2", time.Minute), false},
		{2 * time.Minute, failed("t3", 2*time.Minute), true},
		{9 * time.Minute, failed("t3", 2*time.Minute), true},
		{11 * time.Minute, failed("t3", 2*time.Minute), false}, // t1 left the window
	}
	for _, s := range steps {
		now := signalsNow.Add(s.at)
		st := status.Cluster{Apps: []status.App{s.app}}
		in := Input{Cluster: "ams", Now: now, RecentFailures: h.observeAll(st, now), CrashFailures: h.threshold}
		got := false
		for _, sig := range Signals(in, st, LBStatus{}) {
			got = got || sig.Condition == alerting.CrashLooping
		}
		if got != s.want {
			t.Errorf("at %s: CrashLooping = %t, want %t", s.at, got, s.want)
		}
	}
}
