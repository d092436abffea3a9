package lb

import (
	"context"
	"sync"
	"time"

	"github.com/gambol99/go-marathon"
)

// stepClock is a Clock that moves only when the test advances it. Every
// After call is announced on afters, so a test can wait until the code
// under test is waiting.
type stepClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	afters  chan time.Duration
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newStepClock() *stepClock {
	return &stepClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), afters: make(chan time.Duration, 1024)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	}
	c.mu.Unlock()
	c.afters <- d
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// fakeLister serves a fixed state and counts reads.
type fakeLister struct {
	mu    sync.Mutex
	apps  []marathon.Application
	deps  []marathon.Deployment
	err   error
	reads int
}

func (f *fakeLister) set(apps ...marathon.Application) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps = apps
}

func (f *fakeLister) ListApplications(context.Context) ([]marathon.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	out := make([]marathon.Application, len(f.apps))
	for i, a := range f.apps {
		a.Tasks = append([]*marathon.Task(nil), a.Tasks...)
		for j, t := range a.Tasks {
			c := *t
			a.Tasks[j] = &c
		}
		out[i] = a
	}
	return out, nil
}

func (f *fakeLister) ListDeployments(context.Context) ([]marathon.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deps, nil
}

// fakeStream delivers the events the test sends.
type fakeStream struct{ ch chan Event }

func (f *fakeStream) Stream(ctx context.Context, _ []string, fn func(Event)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-f.ch:
			fn(ev)
		}
	}
}

// fakeSink records applied configs and fails as told.
type fakeSink struct {
	mu          sync.Mutex
	current     []byte
	applied     chan string // "validated:<cfg>" or "fast:<cfg>"
	err         error
	reloadErr   error
	retried     int
	unvalidated int
}

func newFakeSink() *fakeSink { return &fakeSink{applied: make(chan string, 100)} }

func (s *fakeSink) Apply(_ context.Context, cfg []byte) (bool, error) {
	return s.apply(cfg, "validated")
}

func (s *fakeSink) ApplyUnvalidated(_ context.Context, cfg []byte) (bool, error) {
	return s.apply(cfg, "fast")
}

func (s *fakeSink) apply(cfg []byte, how string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		s.applied <- "error"
		return false, s.err
	}
	if string(s.current) == string(cfg) {
		s.applied <- "unchanged"
		return false, nil
	}
	s.current = cfg
	if how == "fast" {
		s.unvalidated++
	}
	s.applied <- how + ":" + string(cfg)
	if s.reloadErr != nil {
		return true, s.reloadErr
	}
	return true, nil
}

func (s *fakeSink) RetryReload(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retried++
	s.applied <- "retry"
	return s.reloadErr
}

// listRenderer renders one line per backend: name and server addresses.
type listRenderer struct{ err error }

func (r listRenderer) Render(backends []Backend) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	var out []byte
	for _, b := range backends {
		out = append(out, b.Name...)
		for _, s := range b.Servers {
			out = append(out, ' ')
			out = append(out, s.Address()...)
		}
		out = append(out, ';')
	}
	return out, nil
}
