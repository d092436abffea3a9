package alerting

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting/pdtest"
)

// TestPaging drives the whole path the operator wires: passes every 30s
// into a Tracker, its incidents into Delivery, Delivery into go-pagerduty,
// go-pagerduty into a local Events API that throttles once. A task that is
// unhealthy, then flaps, then heals pages exactly once and resolves once.
func TestPaging(t *testing.T) {
	h := newHarness(t, DeliveryOptions{})
	h.recv.Answer(pdtest.Response{Status: 429})
	tr := NewTracker(TrackerOptions{})
	policy := &Policy{Urgency: UrgencyHigh, RoutingKey: routeA}
	sick := unhealthy(app, policy)

	pass := 0
	var got []pdtest.Event
	for at := time.Duration(0); at <= 40*time.Minute; at += 30 * time.Second {
		var sigs []Signal
		switch {
		case at < 8*time.Minute:
			sigs = []Signal{sick}
		case at < 25*time.Minute:
			if pass%2 == 0 { // flapping
				sigs = []Signal{sick}
			}
		}
		pass++
		h.clk.AdvanceTo(epoch.Add(at))
		incs := tr.Observe(h.clk.Now(), sigs)
		h.notify(t, incs...)
		got = append(got, h.delivered(t, len(incs))...) // before the next pass
	}
	if err := h.stop(t, false); err != nil {
		t.Fatal(err)
	}
	key := DedupKey("ams", app, Unhealthy)
	if diff := cmp.Diff([]string{"trigger " + key, "resolve " + key}, actions(h.recv.Events())); diff != "" {
		t.Errorf("PagerDuty saw (-want +got):\n%s", diff)
	}
	// Triggered after its 5m (the first try throttled, retried 0.5s later),
	// resolved 2m after the last flap.
	wantAt := []time.Duration{5*time.Minute + 500*time.Millisecond, 26*time.Minute + 30*time.Second}
	gotAt := []time.Duration{got[0].At.Sub(epoch), got[1].At.Sub(epoch)}
	if diff := cmp.Diff(wantAt, gotAt); diff != "" {
		t.Errorf("delivery times (-want +got):\n%s", diff)
	}
	if n := h.recv.Requests(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}
