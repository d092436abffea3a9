package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSeverityOf(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		cond   Condition
		want   Severity
	}{
		{"unhealthy high", Policy{Urgency: UrgencyHigh}, Unhealthy, SeverityCritical},
		{"underprovisioned high", Policy{Urgency: UrgencyHigh}, Underprovisioned, SeverityCritical},
		{"crashlooping high", Policy{Urgency: UrgencyHigh}, CrashLooping, SeverityCritical},
		{"sync failed high", Policy{Urgency: UrgencyHigh}, SyncFailed, SeverityError},
		{"deployment stuck high", Policy{Urgency: UrgencyHigh}, DeploymentStuck, SeverityError},
		{"out of sync high is a warning", Policy{Urgency: UrgencyHigh}, OutOfSync, SeverityWarning},
		{"unhealthy low", Policy{Urgency: UrgencyLow}, Unhealthy, SeverityWarning},
		{"marathon unreachable", Policy{Urgency: UrgencyHigh}, MarathonUnreachable, SeverityCritical},
		{"lb config invalid", Policy{Urgency: UrgencyHigh}, LBConfigInvalid, SeverityError},
		{"test environment capped", Policy{Urgency: UrgencyHigh, Test: true}, Unhealthy, SeverityWarning},
		{"override", Policy{Urgency: UrgencyHigh, Severity: map[Condition]Severity{OutOfSync: SeverityError}}, OutOfSync, SeverityError},
		{"override still capped in test", Policy{Urgency: UrgencyHigh, Test: true, Severity: map[Condition]Severity{OutOfSync: SeverityCritical}}, OutOfSync, SeverityWarning},
		{"override below the cap", Policy{Urgency: UrgencyHigh, Test: true, Severity: map[Condition]Severity{Unhealthy: SeverityInfo}}, Unhealthy, SeverityInfo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.SeverityOf(tc.cond); got != tc.want {
				t.Errorf("SeverityOf(%s) = %s, want %s", tc.cond, got, tc.want)
			}
		})
	}
}

func TestNewPolicy(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		urgency string
		forMap  map[string]time.Duration
		want    Policy
		wantErr string
	}{
		{
			name: "production with spec names", env: "production", urgency: "high",
			forMap: map[string]time.Duration{"Unhealthy": 2 * time.Minute, "OutOfSync": time.Hour, "Underprovisioned": 10 * time.Minute},
			want: Policy{Urgency: UrgencyHigh, RoutingKey: KeyRef{FromEnv: "PD"},
				For: map[Condition]time.Duration{Unhealthy: 2 * time.Minute, OutOfSync: time.Hour, Underprovisioned: 10 * time.Minute}},
		},
		{name: "test environment", env: "test", urgency: "low", want: Policy{Urgency: UrgencyLow, Test: true, RoutingKey: KeyRef{FromEnv: "PD"}}},
		{name: "bad urgency", env: "production", urgency: "urgent", wantErr: `urgency "urgent"`},
		{name: "unknown condition", env: "production", urgency: "high", forMap: map[string]time.Duration{"Flapping": time.Minute}, wantErr: `unknown alert condition "Flapping"`},
		{name: "old alias", env: "production", urgency: "high", forMap: map[string]time.Duration{"Drift": time.Minute}, wantErr: `unknown alert condition "Drift"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewPolicy(tc.env, tc.urgency, tc.forMap, KeyRef{FromEnv: "PD"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestForDuration(t *testing.T) {
	operator := map[Condition]time.Duration{Unhealthy: 10 * time.Minute, OutOfSync: time.Hour}
	p := Policy{For: map[Condition]time.Duration{Unhealthy: 2 * time.Minute}}
	got := map[Condition]time.Duration{}
	for _, c := range []Condition{Unhealthy, OutOfSync, CrashLooping} {
		got[c] = p.forDuration(c, operator)
	}
	want := map[Condition]time.Duration{Unhealthy: 2 * time.Minute, OutOfSync: time.Hour, CrashLooping: 5 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
