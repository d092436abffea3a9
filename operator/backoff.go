package operator

import "time"

// backoff tracks failing subjects (apps, or the whole pass) and when each
// may be tried again: base·2^(n-1), capped at max, with ±25% jitter.
// It is used by the loop goroutine only.
type backoff struct {
	base, max time.Duration
	jitter    func() float64
	entries   map[string]backoffEntry
}

type backoffEntry struct {
	failures int
	until    time.Time
}

func newBackoff(base, max time.Duration, jitter func() float64) *backoff {
	return &backoff{base: base, max: max, jitter: jitter, entries: map[string]backoffEntry{}}
}

// fail records a failure of key at now and returns when it may be retried.
func (b *backoff) fail(key string, now time.Time) time.Time {
	e := b.entries[key]
	e.failures++
	e.until = now.Add(b.delay(e.failures))
	b.entries[key] = e
	return e.until
}

// delay is the wait after the n-th consecutive failure.
func (b *backoff) delay(n int) time.Duration {
	d := b.base
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	// Spread retries over [0.75d, 1.25d) so that apps failing together do
	// not retry in lockstep.
	return d - d/4 + time.Duration(b.jitter()*float64(d/2))
}

// succeed forgets key's failures.
func (b *backoff) succeed(key string) { delete(b.entries, key) }

// blocked returns when key may be tried again, if that is after now.
func (b *backoff) blocked(key string, now time.Time) (time.Time, bool) {
	e, ok := b.entries[key]
	if !ok || !e.until.After(now) {
		return time.Time{}, false
	}
	return e.until, true
}

// failures returns how many times in a row key failed.
func (b *backoff) failures(key string) int { return b.entries[key].failures }

// forget drops the keys keep rejects (apps gone from the specs).
func (b *backoff) forget(keep func(string) bool) {
	for k := range b.entries {
		if !keep(k) {
			delete(b.entries, k)
		}
	}
}
