package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/specs"
)

func TestStatusSignals(t *testing.T) {
	pages := &specs.Alerting{Urgency: "high", RoutingKey: specs.SecretRef{FromEnv: "PD_WEB"}}
	tests := []struct {
		name string
		st   operator.Status
		want []string // condition app
	}{
		{
			name: "invalid revision and failing source",
			st:   operator.Status{InvalidRevision: &operator.InvalidRevision{ID: "bad", Error: "x"}, SourceError: "fetch"},
			want: []string{"GitSourceFailing ", "InvalidSpecRevision "},
		},
		{
			name: "marathon down",
			st:   operator.Status{MarathonError: "refused"},
			want: []string{"MarathonUnreachable "},
		},
		{
			name: "per app",
			st: operator.Status{Apps: []operator.AppStatus{
				{ID: "/ok", Sync: operator.Synced, Health: operator.Healthy, Instances: 1, Running: 1},
				{ID: "/drift", Sync: operator.OutOfSync, Health: operator.Healthy, Alerting: pages},
				{ID: "/failed", Sync: operator.OutOfSync, LastError: "422", Health: operator.Healthy},
				{ID: "/sick", Sync: operator.Synced, Health: operator.Degraded, Instances: 3, Running: 2, Unhealthy: 1},
			}},
			want: []string{"OutOfSync /drift", "OutOfSync /failed", "SyncFailed /failed", "Unhealthy /sick", "Underprovisioned /sick"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range statusSignals("ams", tc.st) {
				got = append(got, string(s.Condition)+" "+s.App)
				if s.App == "/drift" && (s.Policy == nil || s.Policy.Urgency != alerting.UrgencyHigh) {
					t.Errorf("paging policy of /drift: %+v", s.Policy)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
		})
	}
}
