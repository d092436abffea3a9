package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
)

// TestFaultPagerDutyDown: PagerDuty answers 500 and 429 (Retry-After)
// while incidents open and close: two apps turn unhealthy, one heals, an
// invalid revision is pushed. Once PagerDuty answers again every event
// arrives, none lost, none doubled, in the order pacer raised them; the
// change events of the creates too.
func TestFaultPagerDutyDown(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	rec := newFaultRecorder(t, simURL)
	pd := newFaultPD(t)
	pd.down.Store(true)
	repo := gittest.New(t)
	want := faultShop()
	for i := range want {
		want[i].health = true
	}
	repo.Push("shop", faultSpecs(want...))
	args := append(faultGitArgs(t, repo, rec.URL), "--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", faultKeyFile(t),
		"--alert-for", "InvalidSpecRevision=0s", "--alert-clear-for", "500ms")
	p := startFaultPacer(t, faultEnv, args...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })
	healthy := func(id string, healthy bool) func() (bool, error) {
		return func() (bool, error) {
			st, err := p.status()
			if err != nil {
				return false, err
			}
			for _, a := range st.Apps {
				if a.ID == id {
					return (a.Health == "Healthy") == healthy, fmt.Errorf("%s is %s", id, a.Health)
				}
			}
			return false, fmt.Errorf("%s not in status", id)
		}
	}
	// passesFor waits until pacer has passed d after now: a condition seen
	// now has then been tracked for longer than its for / clear-for.
	passesFor := func(what string, d time.Duration) {
		t.Helper()
		since := time.Now()
		eventually(t, 10*time.Second, what, func() (bool, error) {
			st, err := p.status()
			return err == nil && st.LastPass.After(since.Add(d)), err
		})
	}

	cart, search := faultAppID("cart"), faultAppID("search")
	for _, id := range []string{cart, search} {
		faultSim(t, simURL, http.MethodPost, "/sim/v1/tasks/"+faultTasks(t, simURL, id)[0]+"/health", `{"alive": false}`)
		eventually(t, 10*time.Second, id+" unhealthy", healthy(id, false))
	}
	passesFor("unhealthy for longer than its for", time.Second)
	for _, tk := range faultTasks(t, simURL, cart) {
		faultSim(t, simURL, http.MethodPost, "/sim/v1/tasks/"+tk+"/health", `{"alive": true}`)
	}
	eventually(t, 10*time.Second, "cart healed", healthy(cart, true))
	passesFor("healed for longer than clear-for", time.Second)
	broken := faultSpecs(want...)
	broken["specs/services/shop.yaml"] = strings.Replace(broken["specs/services/shop.yaml"], "cpus: 0.01", "cpus: -1", 1)
	repo.Push("broken", broken)
	eventually(t, 10*time.Second, "invalid revision seen", func() (bool, error) {
		st, err := p.status()
		return err == nil && st.InvalidRevision != nil, err
	})
	passesFor("invalid revision tracked", 500*time.Millisecond)
	if n := len(pd.recv.Events()); n != 0 {
		t.Fatalf("%d events accepted while PagerDuty was down", n)
	}
	eventually(t, 10*time.Second, "pacer kept retrying", func() (bool, error) {
		return pd.failed.Load() >= 3, fmt.Errorf("%d failed requests", pd.failed.Load())
	})

	pd.down.Store(false)
	cartKey, searchKey := "pacer/ams"+cart+"/Unhealthy", "pacer/ams"+search+"/Unhealthy"
	invalidKey := "pacer/ams/-/InvalidSpecRevision"
	pd.waitIncidents(t, 30*time.Second, "every incident delivered after PagerDuty came back", map[string][]string{
		cartKey: {"trigger", "resolve"}, searchKey: {"trigger"}, invalidKey: {"trigger"},
	})
	var order []string
	changes := 0
	for _, e := range pd.recv.Events() {
		if e.Path == pdtest.ChangePath {
			changes++
			continue
		}
		order = append(order, e.DedupKey+" "+e.Action)
	}
	at := func(s string) int { return slices.Index(order, s) }
	if !(at(cartKey+" trigger") < at(cartKey+" resolve") && at(searchKey+" trigger") < at(cartKey+" resolve") &&
		at(cartKey+" resolve") < at(invalidKey+" trigger")) {
		t.Errorf("events not in the order raised: %q", order)
	}
	if changes != len(want) {
		t.Errorf("%d change events, want %d (one per create)", changes, len(want))
	}

	// The fix and the heal resolve what is still open.
	repo.Push("fixed", faultSpecs(want...))
	for _, tk := range faultTasks(t, simURL, search) {
		faultSim(t, simURL, http.MethodPost, "/sim/v1/tasks/"+tk+"/health", `{"alive": true}`)
	}
	pd.waitIncidents(t, 15*time.Second, "resolved", map[string][]string{
		cartKey: {"trigger", "resolve"}, searchKey: {"trigger", "resolve"}, invalidKey: {"trigger", "resolve"},
	})
	if rej := pd.recv.Rejected(); len(rej) > 0 {
		t.Errorf("PagerDuty rejected events: %q", rej)
	}
	checkNothingLost(t, simURL, rec, "", createsOnly(want))
}
