package checks

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

func TestRecord(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	c := &specs.Check{ID: "/services/autofill/production:afquery", Name: "afquery", Kind: "exec", ServiceGroup: "/services/autofill",
		Environment: "production", Group: "/services/autofill/production", Cluster: "ams", Tip: "restart mongo", Runbook: "https://wiki/af",
		Urgency: "high", Settings: specs.CheckSettings{For: 2, ClearFor: 1, Page: true},
		Exec: &specs.ExecCheck{App: "/services/autofill/production/checks"}}
	base := status.Check{ID: c.ID, Name: "afquery", Kind: "exec", Cluster: "ams", Group: c.Group, ServiceGroup: "/services/autofill",
		Environment: "production", App: "/services/autofill/production/checks", Tip: "restart mongo", Runbook: "https://wiki/af",
		Page: true, Urgency: "high"}
	crit := Result{State: Critical, Summary: "afquery failed", Long: "details", Started: t0, Duration: 2 * time.Second,
		Perfdata: []Perf{{Label: "time", Value: 1.5, UOM: "s", Warn: "1", Crit: "2"}}}
	tests := []struct {
		name    string
		results []Result
		want    func(status.Check) status.Check
	}{
		{"no result is pending", nil, func(w status.Check) status.Check { w.State = status.CheckPending; return w }},
		{"one critical of for 2 is a soft failure", []Result{crit}, func(w status.Check) status.Check {
			w.State, w.Soft, w.SoftState, w.Streak, w.Runs = status.CheckOK, true, status.CheckCritical, 1, 1
			w.LastRun, w.LastDuration, w.Summary, w.Long = t0, 2*time.Second, "afquery failed", "details"
			w.Perfdata = []status.CheckPerf{{Label: "time", Value: 1.5, UOM: "s", Text: "time=1.5s;1;2"}}
			return w
		}},
		{"two criticals are hard", []Result{crit, crit}, func(w status.Check) status.Check {
			w.State, w.Since, w.Runs = status.CheckCritical, t0, 2
			w.LastRun, w.LastDuration, w.Summary, w.Long = t0, 2*time.Second, "afquery failed", "details"
			w.Perfdata = []status.CheckPerf{{Label: "time", Value: 1.5, UOM: "s", Text: "time=1.5s;1;2"}}
			return w
		}},
		{"unknown", []Result{{State: Unknown, Summary: "timeout", Started: t0}, {State: Unknown, Summary: "timeout", Started: t0}},
			func(w status.Check) status.Check {
				w.State, w.Since, w.Runs, w.LastRun, w.Summary = status.CheckUnknown, t0, 2, t0, "timeout"
				return w
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore()
			if len(tc.results) == 0 {
				s.Set(StateOf(c))
			}
			for _, r := range tc.results {
				s.Record(c, "", r)
			}
			got := Records(s.Snapshot())
			if len(got) != 1 {
				t.Fatalf("got %d records", len(got))
			}
			if d := cmp.Diff(tc.want(base), got[0]); d != "" {
				t.Errorf("Record (-want +got):\n%s", d)
			}
		})
	}
}
