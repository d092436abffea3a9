package alerting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting/pdtest"
)

const keyB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

var (
	routeA = KeyRef{FromEnv: "PD_A"}
	routeB = KeyRef{FromEnv: "PD_B"}
)

// harness runs a Delivery on a fake clock against a local Events API.
type harness struct {
	clk    *fakeClock
	recv   *pdtest.Receiver
	d      *Delivery
	ctx    context.Context
	cancel context.CancelFunc
	done   chan error
	logs   *logBuffer
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newHarness(t *testing.T, opts DeliveryOptions) *harness {
	t.Helper()
	h := &harness{clk: newFakeClock(), done: make(chan error, 1), logs: &logBuffer{}}
	h.recv = pdtest.New(t, pdtest.Options{Now: h.clk.Now})
	env := map[string]string{"PD_A": secret, "PD_B": keyB}
	opts.Keys = KeyResolver{Getenv: func(k string) string { return env[k] }}
	opts.Now, opts.After, opts.Jitter = h.clk.Now, h.clk.After, func() float64 { return 0 }
	d, err := NewDelivery(NewPagerDuty(PagerDutyOptions{Endpoint: h.recv.URL}), opts)
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	log := funcr.New(func(prefix, args string) {
		h.logs.mu.Lock()
		defer h.logs.mu.Unlock()
		h.logs.b.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 1})
	h.ctx, h.cancel = context.WithCancel(logr.NewContext(t.Context(), log))
	go func() { h.done <- d.Run(h.ctx) }()
	return h
}

func (h *harness) notify(t *testing.T, incs ...Incident) {
	t.Helper()
	for _, inc := range incs {
		if err := h.d.Notify(h.ctx, inc); err != nil {
			t.Fatal(err)
		}
	}
}

// delivered waits for n accepted events, moving the fake clock to each
// deadline the workers wait for.
func (h *harness) delivered(t *testing.T, n int) []pdtest.Event {
	t.Helper()
	dog := watchdog(t)
	var got []pdtest.Event
	for len(got) < n {
		select {
		case ev := <-h.recv.Accepted:
			got = append(got, ev)
		case at := <-h.clk.waits:
			h.clk.AdvanceTo(at)
		case <-dog:
			t.Fatalf("delivered %d of %d events; queued %v", len(got), n, h.d.Depth())
		}
	}
	return got
}

// stop cancels Run and returns its error, moving the clock for the
// workers' waits while they flush; the flush deadline itself is reached
// only when giveUp is set.
func (h *harness) stop(t *testing.T, giveUp bool) error {
	t.Helper()
	deadline := h.clk.Now().Add(h.d.opts.FlushTimeout)
	h.cancel()
	dog := watchdog(t)
	for {
		select {
		case err := <-h.done:
			return err
		case at := <-h.clk.waits:
			if at.Before(deadline) || giveUp {
				h.clk.AdvanceTo(at)
			}
		case <-h.recv.Accepted:
		case <-dog:
			t.Fatal("Run did not return")
		}
	}
}

func inc(state State, app string, route KeyRef) Incident {
	i := testIncident()
	i.State, i.App, i.Route = state, app, route
	i.DedupKey = DedupKey("ams", app, Unhealthy)
	return i
}

func actions(evs []pdtest.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action+" "+ev.DedupKey)
	}
	return out
}

func TestDeliveryOutage(t *testing.T) {
	h := newHarness(t, DeliveryOptions{})
	h.recv.Answer(pdtest.Response{Status: 500}, pdtest.Response{Status: 502}, pdtest.Response{Status: 503},
		pdtest.Response{Status: 429, RetryAfter: "30"}, pdtest.Response{Status: 500})
	sent := []Incident{inc(Triggered, "/a", routeA), inc(Triggered, "/b", routeA), inc(Resolved, "/a", routeA), inc(Resolved, "/b", routeA)}
	h.notify(t, sent...)
	if err := h.d.NotifyChange(h.ctx, Change{Route: routeA, App: "/a", Cluster: "ams", Revision: "3fb4278", At: epoch}); err != nil {
		t.Fatal(err)
	}
	got := h.delivered(t, 5)
	if err := h.stop(t, false); err != nil {
		t.Fatal(err)
	}
	want := []string{"trigger " + sent[0].DedupKey, "trigger " + sent[1].DedupKey, "resolve " + sent[0].DedupKey,
		"resolve " + sent[1].DedupKey, "change "}
	if diff := cmp.Diff(want, actions(got)); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(actions(got), actions(h.recv.Events())); diff != "" {
		t.Errorf("receiver saw more than delivered (-want +got):\n%s", diff)
	}
	if got := h.recv.Requests(); got != 10 {
		t.Errorf("requests = %d, want 10 (5 failed, 5 delivered)", got)
	}
	// backoff 0.5s, 1s, 2s, then Retry-After 30s over 4s, then 8s.
	if want := epoch.Add(41500 * time.Millisecond); !got[0].At.Equal(want) {
		t.Errorf("first delivery at %s, want %s", got[0].At.Sub(epoch), want.Sub(epoch))
	}
	if logs := h.logs.String(); !strings.Contains(logs, "will retry") || strings.Contains(logs, secret) {
		t.Errorf("logs lack the retries or reveal the key:\n%s", logs)
	}
}

func TestDeliveryRateLimit(t *testing.T) {
	h := newHarness(t, DeliveryOptions{})
	var sent []Incident
	for i := range 130 {
		sent = append(sent, inc(Triggered, fmt.Sprintf("/a/%03d", i), routeA))
	}
	h.notify(t, sent...)
	h.notify(t, inc(Triggered, "/other-key", routeB))
	got := h.delivered(t, 131)
	if err := h.stop(t, false); err != nil {
		t.Fatal(err)
	}

	var gotA []string
	perMinute := map[time.Duration]int{}
	for _, ev := range got {
		if ev.RoutingKey == keyB {
			if !ev.At.Equal(epoch) {
				t.Errorf("the other key waited for the first key's limit: at %s", ev.At.Sub(epoch))
			}
			continue
		}
		gotA = append(gotA, ev.DedupKey)
		perMinute[ev.At.Sub(epoch)]++
	}
	var wantA []string
	for _, s := range sent {
		wantA = append(wantA, s.DedupKey)
	}
	if diff := cmp.Diff(wantA, gotA); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[time.Duration]int{0: 120, time.Minute: 10}, perMinute); diff != "" {
		t.Errorf("sends by time (-want +got):\n%s", diff)
	}
}

func TestDeliveryInvalidEventDropped(t *testing.T) {
	h := newHarness(t, DeliveryOptions{})
	bad := inc(Triggered, "/bad", routeA)
	bad.Severity = "urgent"
	good := inc(Triggered, "/good", routeA)
	h.notify(t, bad, good)
	got := h.delivered(t, 1)
	if err := h.stop(t, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"trigger " + good.DedupKey}, actions(got)); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	logs := h.logs.String()
	for _, want := range []string{"REJECTED", bad.DedupKey, "'payload.severity' is invalid", `"status"=400`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

type recordingFallback struct {
	mu  sync.Mutex
	got []string
}

func (r *recordingFallback) Notify(_ context.Context, inc Incident) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(inc.State)+" "+inc.DedupKey)
	return nil
}

func (r *recordingFallback) NotifyChange(_ context.Context, c Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, "change "+c.App)
	return nil
}

func TestDeliveryWithoutRoutingKey(t *testing.T) {
	fb := &recordingFallback{}
	h := newHarness(t, DeliveryOptions{Fallback: fb})
	i := inc(Triggered, "/a", KeyRef{FromEnv: "PD_UNSET"})
	h.notify(t, i)
	if err := h.d.NotifyChange(h.ctx, Change{App: "/a"}); err != nil {
		t.Fatal(err)
	}
	if err := h.stop(t, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"trigger " + i.DedupKey, "change /a"}, fb.got); diff != "" {
		t.Errorf("fallback (-want +got):\n%s", diff)
	}
	if n := h.recv.Requests(); n != 0 {
		t.Errorf("PagerDuty got %d requests", n)
	}
}

func TestDeliveryFlush(t *testing.T) {
	t.Run("queued events are sent on shutdown", func(t *testing.T) {
		h := newHarness(t, DeliveryOptions{})
		h.notify(t, inc(Triggered, "/a", routeA), inc(Resolved, "/a", routeA))
		if err := h.stop(t, false); err != nil {
			t.Fatal(err)
		}
		if n := len(h.recv.Events()); n != 2 {
			t.Errorf("delivered %d, want 2", n)
		}
		if err := h.d.Notify(t.Context(), inc(Triggered, "/late", routeA)); !errors.Is(err, ErrStopped) {
			t.Errorf("Notify after Run = %v, want ErrStopped", err)
		}
	})
	t.Run("flush gives up at its deadline", func(t *testing.T) {
		h := newHarness(t, DeliveryOptions{FlushTimeout: 10 * time.Second})
		var down []pdtest.Response
		for range 100 {
			down = append(down, pdtest.Response{Status: 500})
		}
		h.recv.Answer(down...)
		h.notify(t, inc(Triggered, "/a", routeA), inc(Triggered, "/b", routeA), inc(Triggered, "/c", routeB))
		err := h.stop(t, true)
		if err == nil || !strings.Contains(err.Error(), "3 events not delivered") {
			t.Errorf("Run = %v, want 3 events not delivered", err)
		}
		if got := h.d.Len(); got != 3 {
			t.Errorf("Len = %d, want 3", got)
		}
	})
}

func TestQueueFullWaits(t *testing.T) {
	clk := newFakeClock()
	d, err := NewDelivery(NewPagerDuty(PagerDutyOptions{}), DeliveryOptions{
		QueueSize: 1, Now: clk.Now, After: clk.After,
		Keys: KeyResolver{Getenv: func(string) string { return secret }},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Notify(t.Context(), inc(Triggered, "/a", routeA)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := d.Notify(ctx, inc(Resolved, "/a", routeA)); !errors.Is(err, context.Canceled) {
		t.Errorf("Notify on a full queue = %v, want context.Canceled", err)
	}
	want := map[string]int{RoutingKey{v: secret}.Fingerprint(): 1}
	if diff := cmp.Diff(want, d.Depth()); diff != "" {
		t.Errorf("Depth (-want +got):\n%s", diff)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.5, 750 * time.Millisecond},
		{2, 0, time.Second},
		{4, 0, 4 * time.Second},
		{10, 0, 150 * time.Second},
		{100, 0.999, 299850 * time.Millisecond},
	}
	for _, tc := range tests {
		got := backoff(tc.attempt, time.Second, 5*time.Minute, func() float64 { return tc.jitter })
		if got != tc.want {
			t.Errorf("backoff(%d, jitter %g) = %s, want %s", tc.attempt, tc.jitter, got, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	w := window{limit: 3, per: time.Minute}
	var got []time.Duration
	for _, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 60 * time.Second, 70 * time.Second} {
		now := epoch.Add(at)
		wait := w.wait(now)
		got = append(got, wait)
		if wait == 0 {
			w.record(now)
		}
	}
	want := []time.Duration{0, 0, 0, 30 * time.Second, 0, 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}
