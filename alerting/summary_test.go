package alerting

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./alerting -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestSummaries(t *testing.T) {
	const appID = "/services/autofill/production/app"
	tests := []struct {
		cond Condition
		held time.Duration
		d    Details
	}{
		{Unhealthy, 5 * time.Minute, Details{Instances: 12, Healthy: 9, Unhealthy: 3}},
		{Unhealthy, 7*time.Minute + 30*time.Second, Details{Instances: 12, Unhealthy: 12, Message: "Task killed:\n health check  failed"}},
		{Unhealthy, 5 * time.Minute, Details{}},
		{Underprovisioned, 5 * time.Minute, Details{Instances: 12, Running: 10, Healthy: 8, Message: "insufficient cpus (8 wanted, 2.5 offered)"}},
		{Underprovisioned, 90 * time.Minute, Details{Instances: 3}},
		{Underprovisioned, time.Minute, Details{Instances: 3, Running: 2, Message: "1 task(s) waiting to launch: no resources offered"}}, // no health checks
		{CrashLooping, 5 * time.Minute, Details{Message: "Exited with status 137 (OOMKilled): " + strings.Repeat("x", 400)}},
		{OutOfSync, 15 * time.Minute, Details{Revision: "3fb4278a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f", Diff: "instances: 12 → 14"}},
		{OutOfSync, 26 * time.Hour, Details{}},
		{SyncFailed, 5 * time.Minute, Details{Revision: "3fb4278", Message: "Object is not valid: /container/docker/image: must not be empty"}},
		{DeploymentStuck, 0, Details{DeploymentID: "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43", Age: 47 * time.Minute}},
		{CrashLooping, 45 * time.Second, Details{}},
	}
	var b strings.Builder
	for _, tc := range tests {
		b.WriteString(Summary(tc.cond, "ams", appID, tc.held, tc.d) + "\n")
	}
	for _, tc := range []struct {
		cond Condition
		held time.Duration
		d    Details
	}{
		{MarathonUnreachable, 2 * time.Minute, Details{Message: `Get "http://marathon-1.ams:8080/v2/apps": dial tcp 10.0.0.1:8080: connect: connection refused`}},
		{GitSourceFailing, 15 * time.Minute, Details{Message: "fetch origin: authentication required"}},
		{InvalidSpecRevision, 5 * time.Minute, Details{Revision: "9d1c2e3", Message: `services/autofill.yaml:10:74: spec.environments.production.alerting.for.Unhealthy: must be a positive duration such as 5m or 1h30m, got "soon"`}},
		{LBConfigInvalid, 2 * time.Minute, Details{Message: "haproxy -c: [ALERT] parsing [/etc/haproxy/haproxy.cfg:42]: unknown keyword 'bindd'"}},
	} {
		b.WriteString(Summary(tc.cond, "ams", "", tc.held, tc.d) + "\n")
	}
	b.WriteString(Change{App: appID, Cluster: "ams", Revision: "3fb4278a9c0d1e2f3a",
		What: []string{"container.docker.image: registry.example/autofill:3fb4278", "instances: 12 → 14", "cpus: 8 → 6", "mem: 1024 → 2048"}}.Summary() + "\n")
	golden(t, "summaries.golden", []byte(b.String()))
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                                     "0s",
		45 * time.Second:                      "45s",
		5 * time.Minute:                       "5m",
		5*time.Minute + 30*time.Second:        "5m30s",
		time.Hour + 30*time.Minute:            "1h30m",
		2 * time.Hour:                         "2h",
		26*time.Hour + 10*time.Minute:         "1d2h",
		59*time.Minute + 59*time.Second:       "59m59s",
		59*time.Second + 600*time.Millisecond: "1m",
	}
	for d, want := range tests {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
