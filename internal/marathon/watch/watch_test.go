package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/internal/marathon"
)

// fakeStream is a Streamer whose events the test sends; it counts the
// streams opened and records their type filters.
type fakeStream struct {
	mu      sync.Mutex
	opened  int
	filters [][]string
	events  chan marathon.Event
}

func newFakeStream() *fakeStream { return &fakeStream{events: make(chan marathon.Event)} }

func (f *fakeStream) StreamEvents(ctx context.Context, opts marathon.StreamOptions, fn func(marathon.Event)) error {
	f.mu.Lock()
	f.opened++
	f.filters = append(f.filters, opts.Types)
	f.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-f.events:
			if !ok {
				return errors.New("stream broken for good")
			}
			fn(ev)
		}
	}
}

// recorder collects what a subscription received.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(ev marathon.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Gap {
		r.got = append(r.got, "gap")
		return
	}
	r.got = append(r.got, ev.Type)
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHubOneStreamForEverySubscription: two consumers (the operator's and
// the load balancer's types) share one stream whose filter is the union of
// their types; each receives, in order, the gaps and only its own types.
func TestHubOneStreamForEverySubscription(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := newFakeStream()
	h := &Hub{Client: f}
	op := h.Subscribe("deployment_success", "api_post_event")
	lbs := h.Subscribe("status_update_event", "api_post_event")
	if got, want := h.Types(), []string{"api_post_event", "deployment_success", "status_update_event"}; !slices.Equal(got, want) {
		t.Errorf("Types = %v, want %v", got, want)
	}
	var opGot, lbGot recorder
	errs := make(chan error, 3)
	go func() { errs <- h.Run(ctx) }()
	go func() { errs <- op.Stream(ctx, opGot.add) }()
	go func() { errs <- lbs.Stream(ctx, lbGot.add) }()
	// Wait until both are attached: each attached subscription is handed
	// the events that follow.
	waitFor(t, "both subscriptions attached", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return op.fn != nil && lbs.fn != nil
	})
	for _, ev := range []marathon.Event{
		{Gap: true}, {Type: "status_update_event"}, {Type: "api_post_event"}, {Type: "deployment_success"},
		{Gap: true}, {Type: "status_update_event"},
	} {
		f.events <- ev
	}
	wantOp := []string{"gap", "api_post_event", "deployment_success", "gap"}
	wantLB := []string{"gap", "status_update_event", "api_post_event", "gap", "status_update_event"}
	waitFor(t, "events delivered", func() bool {
		return len(opGot.snapshot()) == len(wantOp) && len(lbGot.snapshot()) == len(wantLB)
	})
	if got := opGot.snapshot(); !slices.Equal(got, wantOp) {
		t.Errorf("operator got %v, want %v", got, wantOp)
	}
	if got := lbGot.snapshot(); !slices.Equal(got, wantLB) {
		t.Errorf("lb got %v, want %v", got, wantLB)
	}
	cancel()
	for range 3 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("returned %v, want context.Canceled", err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened != 1 || !slices.Equal(f.filters[0], []string{"api_post_event", "deployment_success", "status_update_event"}) {
		t.Errorf("opened %d streams with filters %v, want 1 with the union", f.opened, f.filters)
	}
}

// TestHubLateSubscriberGetsAGap: a subscription attaching after the stream
// connected missed the events before it, so it first receives a gap (its
// consumer re-reads the full state); one attaching before the connection
// waits for the stream's own gap.
func TestHubLateSubscriberGetsAGap(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := newFakeStream()
	h := &Hub{Client: f}
	early, late := h.Subscribe(), h.Subscribe()
	var earlyGot, lateGot recorder
	go func() { _ = h.Run(ctx) }()
	go func() { _ = early.Stream(ctx, earlyGot.add) }()
	waitFor(t, "early subscription attached", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return early.fn != nil
	})
	if got := earlyGot.snapshot(); len(got) != 0 {
		t.Fatalf("before the stream connected the early subscription got %v", got)
	}
	f.events <- marathon.Event{Gap: true}
	f.events <- marathon.Event{Type: "missed_by_late"}
	go func() { _ = late.Stream(ctx, lateGot.add) }()
	waitFor(t, "late subscription's gap", func() bool { return len(lateGot.snapshot()) == 1 })
	f.events <- marathon.Event{Type: "status_update_event"}
	waitFor(t, "event to both", func() bool { return len(lateGot.snapshot()) == 2 && len(earlyGot.snapshot()) == 3 })
	if got, want := lateGot.snapshot(), []string{"gap", "status_update_event"}; !slices.Equal(got, want) {
		t.Errorf("late got %v, want %v", got, want)
	}
	if got, want := earlyGot.snapshot(), []string{"gap", "missed_by_late", "status_update_event"}; !slices.Equal(got, want) {
		t.Errorf("early got %v, want %v", got, want)
	}
}

// TestHubStopEndsSubscriptions: when the stream ends for good, every
// subscription's Stream returns ErrStopped with the stream's error, and a
// later Stream returns at once.
func TestHubStopEndsSubscriptions(t *testing.T) {
	f := newFakeStream()
	h := &Hub{Client: f}
	s := h.Subscribe("status_update_event")
	errs := make(chan error, 1)
	go func() { errs <- s.Stream(t.Context(), func(marathon.Event) {}) }()
	waitFor(t, "attached", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return s.fn != nil
	})
	runErr := make(chan error, 1)
	go func() { runErr <- h.Run(t.Context()) }()
	close(f.events)
	if err := <-runErr; err == nil || err.Error() != "stream broken for good" {
		t.Errorf("Run = %v", err)
	}
	if err := <-errs; !errors.Is(err, ErrStopped) || !strings.Contains(fmt.Sprint(err), "stream broken for good") {
		t.Errorf("Stream = %v, want ErrStopped with the stream's error", err)
	}
	if err := s.Stream(t.Context(), func(marathon.Event) {}); !errors.Is(err, ErrStopped) {
		t.Errorf("Stream after stop = %v, want ErrStopped", err)
	}
	if err := h.Run(t.Context()); err == nil {
		t.Error("second Run did not fail")
	}
}

// BenchmarkHubDeliver is what the hub adds to an event's way from the
// stream to a consumer (the LB's event→runtime latency): one dispatch to
// two subscriptions, one of which takes the event.
func BenchmarkHubDeliver(b *testing.B) {
	h := &Hub{}
	op, lbs := h.Subscribe("deployment_success"), h.Subscribe("status_update_event")
	n := 0
	op.fn = func(marathon.Event) { n-- }
	lbs.fn = func(marathon.Event) { n++ }
	ev := marathon.Event{Type: "status_update_event"}
	for b.Loop() {
		h.deliver(ev)
	}
	if n != b.N {
		b.Fatalf("delivered %d, want %d", n, b.N)
	}
}
