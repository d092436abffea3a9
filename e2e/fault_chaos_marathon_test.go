package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultChaosMarathonAPI: Marathon's read API answers badly after pacer
// converged (malformed JSON, a truncated body, a 50 MB body, a 1 byte/s
// drip, nginx's HTML error page, a wrong content type) while an app drifts
// out of band. pacer keeps serving /healthz and /api/v1/status, reports the
// bad answer as marathonError, writes nothing while it cannot read Marathon
// (a 50 MB answer that is valid JSON is read, and the drift healed through
// it), sends no DELETE, and heals the drift with one write once Marathon
// answers well again.
func TestFaultChaosMarathonAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode apiMode
		// readable: the answer is good JSON pacer must read through.
		readable bool
		wantErr  string // in marathonError while the fault lasts
	}{
		{mode: apiMalformed, wantErr: "decode"},
		{mode: apiTruncated, wantErr: "EOF"},
		{mode: apiHuge, readable: true},
		{mode: apiDrip, wantErr: "no complete answer within"},
		{mode: apiHTML, wantErr: "answered HTML, not the Marathon API"},
		{mode: apiContentType, wantErr: "answered application/octet-stream, not the Marathon API"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			c := startChaos(t)
			c.front.setAPI(tc.mode)
			bad := c.front.apiBad.Load()
			faultScale(t, c.simURL, faultAppID("cart"), 5)
			if tc.readable {
				eventually(t, 30*time.Second, "drift healed through the huge answers", func() (bool, error) {
					if err := chaosServing(c.p); err != nil {
						return false, err
					}
					if c.front.apiBad.Load() == bad {
						return false, fmt.Errorf("no huge answer served yet")
					}
					return faultConverged(c.simURL, c.p, c.want)
				})
				t.Logf("pacer peak RSS after %d answers of 50 MB: %s", c.front.apiBad.Load(), peakRSS(c.p))
			} else {
				writes := len(c.rec.writes())
				eventually(t, 30*time.Second, "bad answers reported while status is served", func() (bool, error) {
					if err := chaosServing(c.p); err != nil {
						return false, err
					}
					st, err := c.p.status()
					if err != nil {
						return false, err
					}
					n := c.front.apiBad.Load() - bad
					// Several passes met the fault: enough for a write to show.
					return n >= 4 && strings.Contains(st.MarathonError, tc.wantErr),
						fmt.Errorf("%d bad answers, marathonError %q", n, st.MarathonError)
				})
				if got := c.rec.writes(); len(got) != writes {
					t.Fatalf("pacer wrote while it could not read Marathon: %+v", got[writes:])
				}
			}
			c.front.setAPI(apiHealthy)
			eventually(t, 20*time.Second, "drift healed once Marathon answers well", func() (bool, error) {
				return faultConverged(c.simURL, c.p, c.want)
			})
			eventually(t, 10*time.Second, "marathonError cleared", func() (bool, error) {
				st, err := c.p.status()
				return err == nil && st.MarathonError == "", fmt.Errorf("marathonError %q (%v)", st.MarathonError, err)
			})
			wantWrites := createsOnly(c.want)
			wantWrites[faultAppID("cart")]++ // the healed drift
			checkNothingLost(t, c.simURL, c.rec, c.unmanaged, wantWrites)
		})
	}
}

// TestFaultChaosEventStream: Marathon's event stream sends garbage lines,
// one 8 MB event, nothing at all, or closes every second. pacer keeps
// serving status, reconnects (a silent stream after
// --marathon-event-idle-timeout), heals drift through its interval passes
// meanwhile, and once the stream is healthy again heals through events;
// every change is written once, nothing deleted.
func TestFaultChaosEventStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode eventsMode
		// reconnects the fault must cause (a broken stream reconnects).
		reconnects int64
	}{
		{mode: eventsGarbage, reconnects: 0},
		{mode: eventsHuge, reconnects: 0},
		{mode: eventsSilent, reconnects: 2},
		{mode: eventsFlap, reconnects: 3},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			c := startChaos(t)
			c.front.setEvents(tc.mode)
			before := c.front.streams.Load()
			c.front.cut() // the open stream reconnects into the fault
			eventually(t, 20*time.Second, "stream reconnected into the fault", func() (bool, error) {
				if err := chaosServing(c.p); err != nil {
					return false, err
				}
				n := c.front.streams.Load() - before
				return n >= 1+tc.reconnects, fmt.Errorf("%d connections since the fault", n)
			})
			faultScale(t, c.simURL, faultAppID("cart"), 5)
			eventually(t, 20*time.Second, "drift healed during the fault", func() (bool, error) {
				if err := chaosServing(c.p); err != nil {
					return false, err
				}
				return faultConverged(c.simURL, c.p, c.want)
			})
			c.front.setEvents(eventsHealthy)
			c.front.cut()
			faultScale(t, c.simURL, faultAppID("search"), 3)
			eventually(t, 20*time.Second, "drift healed after the fault", func() (bool, error) {
				return faultConverged(c.simURL, c.p, c.want)
			})
			if got := logLines(c.p.log, "panic"); len(got) > 0 {
				t.Errorf("pacer panicked: %q", got)
			}
			wantWrites := createsOnly(c.want)
			wantWrites[faultAppID("cart")]++
			wantWrites[faultAppID("search")]++
			checkNothingLost(t, c.simURL, c.rec, c.unmanaged, wantWrites)
		})
	}
}

// chaos is one converged pacer behind a chaos front.
type chaos struct {
	simURL, unmanaged string
	rec               *faultRecorder
	front             *chaosFront
	p                 *faultPacer
	want              []faultApp
}

// startChaos runs marathon-sim, the recorder, the chaos front and a pacer
// reading through it (2 s request timeout, 1 s event idle timeout), and
// waits until the four shop apps are created.
func startChaos(t *testing.T) *chaos {
	t.Helper()
	c := &chaos{simURL: startSim(t, "--task-start", "10ms"), want: faultShop()}
	c.unmanaged = faultUnmanaged(t, c.simURL)
	c.rec = newFaultRecorder(t, c.simURL)
	c.front = newChaosFront(t, c.rec.URL)
	repo := gittest.New(t)
	repo.Push("shop", faultSpecs(c.want...))
	args := append(faultGitArgs(t, repo, c.front.URL), "--marathon-timeout", "2s", "--marathon-event-idle-timeout", "1s")
	c.p = startFaultPacer(t, nil, args...)
	eventually(t, 20*time.Second, "converged before the fault", func() (bool, error) {
		return faultConverged(c.simURL, c.p, c.want)
	})
	return c
}

// chaosServing checks that pacer answers /healthz and /api/v1/status
// within 2 s each.
func chaosServing(p *faultPacer) error {
	cl := &http.Client{Timeout: 2 * time.Second}
	for _, path := range []string{"/healthz", "/api/v1/status"} {
		resp, err := cl.Get(p.base + path)
		if err != nil {
			return fmt.Errorf("pacer stopped serving %s: %w", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("pacer %s: %s", path, resp.Status)
		}
	}
	return nil
}

// peakRSS is the process's peak resident set (VmHWM) as Linux reports it.
func peakRSS(p *faultPacer) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
