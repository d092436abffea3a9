package marathonsim

import (
	"slices"
	"testing"
	"time"
)

func TestFakeClockRunsDueTimersInOrder(t *testing.T) {
	c := NewFakeClock(epoch)
	var ran []string
	at := func(name string, d time.Duration) Timer {
		return c.AfterFunc(d, func() {
			ran = append(ran, name)
			if name == "b" { // scheduled while advancing, due within the advance
				c.AfterFunc(500*time.Millisecond, func() { ran = append(ran, "b+0.5s") })
			}
		})
	}
	at("c", 3*time.Second)
	at("a", time.Second)
	at("b", 2*time.Second)
	at("a2", time.Second) // same time as a, scheduled later
	stopped := at("stopped", time.Second)
	at("late", 10*time.Second)
	if !stopped.Stop() {
		t.Error("Stop of a pending timer = false")
	}
	if stopped.Stop() {
		t.Error("second Stop = true")
	}
	if got := c.Pending(); got != 5 {
		t.Errorf("Pending = %d, want 5", got)
	}

	c.Advance(3 * time.Second)
	if want := []string{"a", "a2", "b", "b+0.5s", "c"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	if got, want := c.Now(), epoch.Add(3*time.Second); !got.Equal(want) {
		t.Errorf("Now = %v, want %v", got, want)
	}
	if got := c.Pending(); got != 1 {
		t.Errorf("Pending = %d, want 1 (late)", got)
	}
	c.Advance(7 * time.Second)
	if ran[len(ran)-1] != "late" {
		t.Errorf("ran %v, want late last", ran)
	}
}

func TestFakeClockStopAfterRun(t *testing.T) {
	c := NewFakeClock(epoch)
	n := 0
	tm := c.AfterFunc(time.Second, func() { n++ })
	c.Advance(time.Second)
	if n != 1 || tm.Stop() {
		t.Errorf("ran %d times, Stop after run = true; want 1 and false", n)
	}
}

// Timers stopped in the middle of the heap leave the others in order.
func TestFakeClockStopKeepsOrder(t *testing.T) {
	c := NewFakeClock(epoch)
	var ran []int
	var timers []Timer
	for i := range 50 {
		d := time.Duration((i*37)%50) * time.Millisecond
		timers = append(timers, c.AfterFunc(d, func() { ran = append(ran, int(d/time.Millisecond)) }))
	}
	for i := 0; i < 50; i += 3 {
		timers[i].Stop()
	}
	c.Advance(time.Second)
	if !slices.IsSorted(ran) || len(ran) != 50-17 {
		t.Errorf("ran %v: want 33 timers in time order", ran)
	}
}
