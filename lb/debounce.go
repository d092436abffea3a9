package lb

import (
	"fmt"
	"time"
)

// Debounce is consul-template's quiescence: after a change, wait until Min
// passes without another change, but never longer than Max after the first
// change of the burst. A burst of events (a rolling deploy) then costs one
// render and one reload instead of one per event.
type Debounce struct {
	// Min is the quiet time that ends a burst.
	Min time.Duration
	// Max bounds the wait from the first change of a burst, so a steady
	// stream of changes still renders every Max.
	Max time.Duration
}

// Validate checks 0 ≤ Min ≤ Max.
func (d Debounce) Validate() error {
	if d.Min < 0 || d.Max < 0 {
		return fmt.Errorf("debounce min %v and max %v must not be negative", d.Min, d.Max)
	}
	if d.Min > d.Max {
		return fmt.Errorf("debounce min %v is larger than max %v", d.Min, d.Max)
	}
	return nil
}

// debouncer is the state of one burst. It is not safe for concurrent use;
// the pipeline loop owns it.
type debouncer struct {
	cfg         Debounce
	first, last time.Time
	pending     bool
	// interval is the minimum time between two writes (reloads): a burst
	// that is due earlier waits until written+interval. It bounds reloads
	// during long rolling deploys, where events arrive more often than
	// Min apart, to one per interval.
	interval time.Duration
	written  time.Time // when the config last changed; zero if never
}

// add records a change at now.
func (d *debouncer) add(now time.Time) {
	if !d.pending {
		d.pending = true
		d.first = now
	}
	d.last = now
}

// due reports whether the burst should be rendered at now; when not, wait
// is how long until it should (0 when nothing is pending).
func (d *debouncer) due(now time.Time) (fire bool, wait time.Duration) {
	if !d.pending {
		return false, 0
	}
	at := d.last.Add(d.cfg.Min)
	if deadline := d.first.Add(d.cfg.Max); deadline.Before(at) {
		at = deadline
	}
	if !d.written.IsZero() {
		if next := d.written.Add(d.interval); next.After(at) {
			at = next
		}
	}
	if !now.Before(at) {
		return true, 0
	}
	return false, at.Sub(now)
}

// reset ends the burst (it was rendered); it returns when it began.
func (d *debouncer) reset() time.Time {
	first := d.first
	d.pending = false
	d.first, d.last = time.Time{}, time.Time{}
	return first
}

// wrote records that the config changed (and the LB reloaded) at now; the
// next burst renders no earlier than now+interval.
func (d *debouncer) wrote(now time.Time) { d.written = now }
