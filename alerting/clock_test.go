package alerting

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is the injected clock of the tests: time moves only when the
// test says so. Every After call reports its deadline on waits.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	waits   chan time.Time
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

var epoch = time.Date(2025, 3, 4, 3, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock {
	return &fakeClock{now: epoch, waits: make(chan time.Time, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := c.now.Add(d)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: at, ch: ch})
	c.waits <- at
	return ch
}

// AdvanceTo moves the clock to t (never back) and fires the due waiters.
func (c *fakeClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// watchdog fails a test that waits on a channel for too long; it is the
// only real timer in the tests and never fires when they pass.
func watchdog(t *testing.T) <-chan time.Time {
	t.Helper()
	return time.After(20 * time.Second)
}
