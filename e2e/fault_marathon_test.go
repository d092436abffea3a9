package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultMarathon injects Marathon faults during pacer's first apply of
// four apps: 503 answers to most requests, 700 ms of latency on every
// request, and a dropped event stream. Each time pacer retries and
// converges once the fault clears, sends no DELETE, leaves the unmanaged
// app alone, and each app is written exactly once (no duplicate
// deployment from a retried write).
func TestFaultMarathon(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault string
		// during checks the fault bit while it lasts.
		during func(t *testing.T, rec *faultRecorder, p *faultPacer) (bool, error)
	}{
		{
			name:  "503",
			fault: `{"errorRate": 0.7, "errorStatus": 503}`,
			during: func(t *testing.T, rec *faultRecorder, p *faultPacer) (bool, error) {
				st, err := p.status()
				if err != nil {
					return false, err
				}
				n := rec.failed(http.StatusServiceUnavailable)
				return n >= 10, fmt.Errorf("%d answers 503 so far, marathonError %q", n, st.MarathonError)
			},
		},
		{
			name:  "slow",
			fault: `{"latencyMs": 700}`,
			during: func(t *testing.T, rec *faultRecorder, p *faultPacer) (bool, error) {
				// Converging through the latency is allowed; the writes
				// must have started slowly.
				return len(rec.writes()) >= 2, fmt.Errorf("%d writes", len(rec.writes()))
			},
		},
		{
			name:  "event-stream-dropped",
			fault: `{"dropEventStreams": true}`,
			during: func(t *testing.T, rec *faultRecorder, p *faultPacer) (bool, error) {
				return rec.failed(http.StatusServiceUnavailable) >= 1 && len(rec.writes()) >= 4, fmt.Errorf("writes %d", len(rec.writes()))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			simURL := startSim(t, "--task-start", "10ms")
			unmanaged := faultUnmanaged(t, simURL)
			rec := newFaultRecorder(t, simURL)
			repo := gittest.New(t)
			want := faultShop()
			repo.Push("shop", faultSpecs(want...))
			faultSim(t, simURL, http.MethodPost, "/sim/v1/faults", tc.fault)
			p := startFaultPacer(t, nil, faultGitArgs(t, repo, rec.URL)...)
			eventually(t, 20*time.Second, "fault seen during the apply", func() (bool, error) { return tc.during(t, rec, p) })
			if tc.name == "event-stream-dropped" {
				// Drift while no event arrives: the interval pass heals it.
				faultScale(t, simURL, faultAppID("cart"), 5)
				eventually(t, 15*time.Second, "drift healed without events", func() (bool, error) {
					return faultConverged(simURL, p, want)
				})
			}
			faultSim(t, simURL, http.MethodDelete, "/sim/v1/faults", "")
			eventually(t, 20*time.Second, "converged after the fault cleared", func() (bool, error) {
				return faultConverged(simURL, p, want)
			})
			wantWrites := createsOnly(want)
			if tc.name == "event-stream-dropped" {
				wantWrites[faultAppID("cart")]++ // the healed drift
			}
			checkNothingLost(t, simURL, rec, unmanaged, wantWrites)
		})
	}
}
