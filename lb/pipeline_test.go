package lb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
)

type pipelineRig struct {
	t        *testing.T
	clock    *stepClock
	lister   *fakeLister
	stream   *fakeStream
	sink     *fakeSink
	statuses chan Status
	p        *Pipeline
}

const (
	testMin    = 50 * time.Millisecond
	testMax    = time.Second
	testResync = time.Hour
)

func newPipelineRig(t *testing.T, r Renderer, apps ...marathon.Application) *pipelineRig {
	rig := &pipelineRig{t: t, clock: newStepClock(), lister: &fakeLister{apps: apps},
		stream: &fakeStream{ch: make(chan Event)}, sink: newFakeSink(), statuses: make(chan Status, 100)}
	rig.p = &Pipeline{
		Source:   &Source{Lister: rig.lister, Events: rig.stream, State: &LiveState{}, Resync: testResync},
		Renderer: r, Sink: rig.sink, Debounce: Debounce{Min: testMin, Max: testMax}, FastPath: true,
		Clock: rig.clock, OnStatus: func(s Status) { rig.statuses <- s },
	}
	return rig
}

func (r *pipelineRig) start() {
	ctx, cancel := context.WithCancel(r.t.Context())
	done := make(chan error, 1)
	go func() { done <- r.p.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("Run: %v", err)
		}
	})
}

// waitAfter waits until the code under test asks the clock for a timer of d.
func (r *pipelineRig) waitAfter(d time.Duration) {
	r.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-r.clock.afters:
			if got == d {
				return
			}
		case <-timeout:
			r.t.Fatalf("nobody waited for %v", d)
		}
	}
}

func (r *pipelineRig) nextApplied() string {
	r.t.Helper()
	select {
	case s := <-r.sink.applied:
		return s
	case <-time.After(10 * time.Second):
		r.t.Fatal("no apply")
		return ""
	}
}

func (r *pipelineRig) nextStatus() Status {
	r.t.Helper()
	select {
	case s := <-r.statuses:
		return s
	case <-time.After(10 * time.Second):
		r.t.Fatal("no status")
		return Status{}
	}
}

func webApp(tasks ...*marathon.Task) marathon.Application {
	return app("/web", withPorts(10000), withHealthCheck("HTTP"), withTasks(tasks...))
}

// TestPipelineBurstRendersOnce: the first full read renders; a burst of
// events within the quiet time renders once, with the lag of the burst.
func TestPipelineBurstRendersOnce(t *testing.T) {
	rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true)), task(2, health(true)), task(3, health(true))))
	rig.start()
	rig.waitAfter(testMin) // the first read is a change too
	rig.clock.Advance(testMin)
	if got, want := rig.nextApplied(), "validated:web_0 10.0.0.1:31001 10.0.0.2:31002 10.0.0.3:31003;"; got != want {
		t.Fatalf("first apply = %q, want %q", got, want)
	}
	rig.nextStatus()

	for _, e := range []Event{healthEv("/web", "t1", false), healthEv("/web", "t2", false), status("/web", "t3", "TASK_KILLING", 31003)} {
		rig.stream.ch <- e
		rig.waitAfter(testMin)
		rig.clock.Advance(10 * time.Millisecond)
	}
	rig.clock.Advance(testMin)
	if got, want := rig.nextApplied(), "validated:web_0;"; got != want {
		t.Errorf("burst apply = %q, want %q (an empty server list is structure)", got, want)
	}
	st := rig.nextStatus()
	if want := 30*time.Millisecond + testMin; st.Lag != want || !st.Changed || st.Err != nil {
		t.Errorf("status = %+v, want changed, lag %v", st, want)
	}

	// One more change: exactly one more apply, so the burst gave only one.
	rig.stream.ch <- healthEv("/web", "t1", true)
	rig.waitAfter(testMin)
	rig.clock.Advance(testMin)
	if got, want := rig.nextApplied(), "validated:web_0 10.0.0.1:31001;"; got != want {
		t.Errorf("apply = %q, want %q", got, want)
	}
	rig.nextStatus()
	// A server-only change inside the validated structure skips the validator.
	rig.stream.ch <- healthEv("/web", "t2", true)
	rig.waitAfter(testMin)
	rig.clock.Advance(testMin)
	if got, want := rig.nextApplied(), "fast:web_0 10.0.0.1:31001 10.0.0.2:31002;"; got != want {
		t.Errorf("apply = %q, want %q", got, want)
	}
	if st := rig.nextStatus(); st.Validated || !st.Changed {
		t.Errorf("status = %+v, want changed without validation", st)
	}
}

// TestPipelineDeadline: a steady stream of changes renders at the deadline.
func TestPipelineDeadline(t *testing.T) {
	rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true))))
	rig.p.Debounce = Debounce{Min: testMin, Max: 120 * time.Millisecond}
	rig.start()
	rig.waitAfter(testMin)
	rig.clock.Advance(testMin)
	rig.nextApplied()
	rig.nextStatus()
	// Changes at 0, 40 and 80ms: the quiet time never passes, the
	// deadline at 120ms does.
	for i, wait := range []time.Duration{testMin, testMin, 40 * time.Millisecond} {
		rig.stream.ch <- healthEv("/web", "t1", i%2 == 1)
		rig.waitAfter(wait)
		rig.clock.Advance(40 * time.Millisecond)
	}
	st := rig.nextStatus()
	if st.Lag != 120*time.Millisecond {
		t.Errorf("lag = %v, want the 120ms deadline", st.Lag)
	}
}

// TestPipelineFailures: an invalid render or config keeps the old config
// and is reported; a failed reload is retried until it works.
func TestPipelineFailures(t *testing.T) {
	t.Run("render error", func(t *testing.T) {
		rig := newPipelineRig(t, listRenderer{err: errors.New("template: bad")}, webApp(task(1, health(true))))
		rig.start()
		rig.waitAfter(testMin)
		rig.clock.Advance(testMin)
		st := rig.nextStatus()
		if !st.Invalid() || st.Changed {
			t.Errorf("status = %+v, want invalid and unchanged", st)
		}
	})
	t.Run("validation error", func(t *testing.T) {
		rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true))))
		rig.sink.err = &ValidationError{CommandError: &CommandError{Args: []string{"nginx", "-t"}, Output: "unknown directive"}}
		rig.start()
		rig.waitAfter(testMin)
		rig.clock.Advance(testMin)
		rig.nextApplied()
		if st := rig.nextStatus(); !st.Invalid() || st.ReloadFailed() {
			t.Errorf("status = %+v, want invalid", st)
		}
	})
	t.Run("write error is retried without a change", func(t *testing.T) {
		rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true))))
		rig.p.ReloadRetry = time.Second
		rig.sink.err = errors.New("write nginx.conf: no space left on device")
		rig.start()
		rig.waitAfter(testMin)
		rig.clock.Advance(testMin)
		if got := rig.nextApplied(); got != "error" {
			t.Fatalf("got %q, want a failed write", got)
		}
		if st := rig.nextStatus(); !st.ApplyFailed() || st.Invalid() || st.Changed {
			t.Errorf("status = %+v, want apply failed", st)
		}
		rig.sink.mu.Lock()
		rig.sink.err = nil
		rig.sink.mu.Unlock()
		rig.waitAfter(time.Second)
		rig.clock.Advance(time.Second)
		rig.waitAfter(testMin)
		rig.clock.Advance(testMin)
		if diff := cmp.Diff("validated:web_0 10.0.0.1:31001;", rig.nextApplied()); diff != "" {
			t.Errorf("write after the disk was freed (-want +got):\n%s", diff)
		}
	})
	t.Run("reload error is retried", func(t *testing.T) {
		rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true))))
		rig.p.ReloadRetry = time.Second
		rig.sink.reloadErr = &ReloadError{&CommandError{Args: []string{"nginx", "-s", "reload"}, Output: "nginx.pid not found"}}
		rig.start()
		rig.waitAfter(testMin)
		rig.clock.Advance(testMin)
		rig.nextApplied()
		if st := rig.nextStatus(); !st.ReloadFailed() || !st.Changed || st.Invalid() {
			t.Errorf("status = %+v, want reload failed, config written", st)
		}
		rig.waitAfter(time.Second)
		rig.clock.Advance(time.Second)
		if got := rig.nextApplied(); got != "retry" {
			t.Fatalf("got %q, want a reload retry", got)
		}
		rig.sink.mu.Lock()
		rig.sink.reloadErr = nil
		rig.sink.mu.Unlock()
		rig.waitAfter(2 * time.Second)
		rig.clock.Advance(2 * time.Second)
		if got := rig.nextApplied(); got != "retry" {
			t.Fatalf("got %q, want a second reload retry", got)
		}
	})
	t.Run("reload that worked on retry keeps the minimum interval", func(t *testing.T) {
		rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true)), task(2, health(true))))
		rig.p.ReloadRetry = 5 * time.Second
		rig.p.MinReloadInterval = time.Second
		rig.sink.reloadErr = &ReloadError{&CommandError{Args: []string{"kill", "-USR2"}, Output: "no such process"}}
		rig.start()
		rig.waitAfter(testMin)
		rig.clock.Advance(testMin)
		rig.nextApplied()
		rig.nextStatus()
		rig.sink.mu.Lock()
		rig.sink.reloadErr = nil
		rig.sink.mu.Unlock()
		rig.waitAfter(5 * time.Second)
		rig.clock.Advance(5 * time.Second)
		if got := rig.nextApplied(); got != "retry" {
			t.Fatalf("got %q, want the reload retried", got)
		}
		// A change right after the successful retry waits for the interval.
		rig.stream.ch <- healthEv("/web", "t1", false)
		rig.waitAfter(time.Second)
		rig.clock.Advance(999 * time.Millisecond)
		select {
		case got := <-rig.sink.applied:
			t.Fatalf("applied %q less than the interval after the retried reload", got)
		default:
		}
		rig.clock.Advance(time.Millisecond)
		if got, want := rig.nextApplied(), "fast:web_0 10.0.0.2:31002;"; got != want {
			t.Errorf("apply = %q, want %q", got, want)
		}
	})
}

// TestPipelineWaitsForFirstRead: nothing is written before Marathon answered
// a full read, so a restart during an outage keeps the config in place.
func TestPipelineWaitsForFirstRead(t *testing.T) {
	rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true))))
	rig.lister.err = errors.New("connection refused")
	rig.p.Source.RetryMin = time.Second
	rig.start()
	rig.waitAfter(time.Second) // retry of the failed read
	select {
	case got := <-rig.sink.applied:
		t.Fatalf("applied %q before the first read", got)
	default:
	}
	rig.lister.mu.Lock()
	rig.lister.err = nil
	rig.lister.mu.Unlock()
	rig.clock.Advance(time.Second)
	rig.waitAfter(testMin)
	rig.clock.Advance(testMin)
	if diff := cmp.Diff("validated:web_0 10.0.0.1:31001;", rig.nextApplied()); diff != "" {
		t.Errorf("apply after the first read (-want +got):\n%s", diff)
	}
}

// TestPipelineMinReloadInterval: a change long after the last write is
// written after the debounce alone; a change soon after a write waits for
// the interval and takes everything arriving meanwhile with it.
func TestPipelineMinReloadInterval(t *testing.T) {
	rig := newPipelineRig(t, listRenderer{}, webApp(task(1, health(true)), task(2, health(true))))
	rig.p.MinReloadInterval = time.Second
	rig.start()
	rig.waitAfter(testMin)
	rig.clock.Advance(testMin)
	rig.nextApplied()
	rig.nextStatus()

	// Right after the first write: held until the interval passed.
	rig.stream.ch <- healthEv("/web", "t1", false)
	rig.waitAfter(time.Second)
	rig.clock.Advance(500 * time.Millisecond)
	rig.stream.ch <- healthEv("/web", "t2", false)
	rig.waitAfter(500 * time.Millisecond)
	rig.clock.Advance(499 * time.Millisecond)
	select {
	case got := <-rig.sink.applied:
		t.Fatalf("applied %q before the interval passed", got)
	default:
	}
	rig.clock.Advance(time.Millisecond)
	if got, want := rig.nextApplied(), "validated:web_0;"; got != want {
		t.Errorf("apply = %q, want both changes in one write %q", got, want)
	}
	if st := rig.nextStatus(); st.Lag != time.Second {
		t.Errorf("lag = %v, want 1s (held by the interval)", st.Lag)
	}

	// Long after the last write: only the debounce.
	rig.clock.Advance(10 * time.Second)
	rig.stream.ch <- healthEv("/web", "t1", true)
	rig.waitAfter(testMin)
	rig.clock.Advance(testMin)
	if got, want := rig.nextApplied(), "validated:web_0 10.0.0.1:31001;"; got != want {
		t.Errorf("apply = %q, want %q", got, want)
	}
	if st := rig.nextStatus(); st.Lag != testMin {
		t.Errorf("lag = %v, want the debounce %v alone", st.Lag, testMin)
	}
}
