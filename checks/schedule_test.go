package checks

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pacer.dev/pacer/specs"
)

func schedCheck(id string, interval time.Duration, forN int) specs.Check {
	return specs.Check{ID: id, Name: id, Kind: specs.CheckExec, Settings: specs.CheckSettings{Enabled: true, Interval: interval, For: forN, ClearFor: 1}}
}

// TestSchedulerOnTime: in a synctest bubble (fake time), each check runs at
// its phase and then exactly every interval, with no lag; the soft/hard
// state follows for.
func TestSchedulerOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		runs := map[string][]time.Duration{}
		maxLag := time.Duration(0)
		s := &Scheduler{
			Store: NewStore(),
			Now:   time.Now,
			Run: func(ctx context.Context, c *specs.Check) Result {
				mu.Lock()
				runs[c.ID] = append(runs[c.ID], time.Since(start))
				mu.Unlock()
				time.Sleep(time.Second) // the check takes a second
				return Result{State: Critical, Started: time.Now()}
			},
			OnResult: func(_ *specs.Check, _ Result, _ Status, lag time.Duration) {
				mu.Lock()
				maxLag = max(maxLag, lag)
				mu.Unlock()
			},
		}
		checks := []specs.Check{schedCheck("a", 10*time.Second, 3), schedCheck("b", 30*time.Second, 1)}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Loop(ctx, checks); close(done) }()
		time.Sleep(95 * time.Second)
		synctest.Wait()
		cancel()
		<-done
		for _, c := range checks {
			got := runs[c.ID]
			p := phase(c.ID, c.Settings.Interval)
			want := int((95*time.Second-p)/c.Settings.Interval) + 1
			if len(got) != want {
				t.Errorf("%s ran %d times in 95s, want %d (%v)", c.ID, len(got), want, got)
			}
			for i, at := range got {
				if w := p + time.Duration(i)*c.Settings.Interval; at != w {
					t.Errorf("%s run %d at %s, want %s", c.ID, i, at, w)
				}
			}
		}
		if maxLag != 0 {
			t.Errorf("max lag %s, want 0", maxLag)
		}
		byID := map[string]CheckState{}
		for _, st := range s.Store.Snapshot() {
			byID[st.ID] = st
		}
		if a := byID["a"].Status; a.Hard != Critical || a.Runs < 3 {
			t.Errorf("a after %d failing runs with for 3: %+v", a.Runs, a)
		}
	})
}

// TestSchedulerOverrun: a check slower than its interval runs again at
// once instead of piling up runs.
func TestSchedulerOverrun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var runs []time.Duration
		s := &Scheduler{Store: NewStore(), Now: time.Now, Parallel: 1,
			Run: func(ctx context.Context, c *specs.Check) Result {
				runs = append(runs, time.Since(start))
				time.Sleep(25 * time.Second)
				return Result{State: OK}
			}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Loop(ctx, []specs.Check{schedCheck("slow", 10*time.Second, 1)}); close(done) }()
		time.Sleep(80 * time.Second)
		synctest.Wait()
		cancel()
		<-done
		p := phase("slow", 10*time.Second)
		for i, at := range runs {
			if w := p + time.Duration(i)*25*time.Second; at != w {
				t.Errorf("run %d at %s, want %s (back to back, no pile-up): %v", i, at, w, runs)
			}
		}
	})
}

// TestSchedulerSkipped: a run that could not judge its target is not
// recorded: the check keeps its state.
func TestSchedulerSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		s := &Scheduler{Store: NewStore(), Now: time.Now,
			Run: func(ctx context.Context, c *specs.Check) Result {
				n++
				if n > 1 {
					return Result{State: Unknown, Summary: "app not in Marathon", Skipped: true}
				}
				return Result{State: OK, Summary: "fine"}
			}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Loop(ctx, []specs.Check{schedCheck("c", time.Second, 1)}); close(done) }()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		cancel()
		<-done
		st := s.Store.Snapshot()
		if n < 5 || len(st) != 1 || st[0].Status.Runs != 1 || st[0].Status.Hard != OK || st[0].Status.Last.Summary != "fine" {
			t.Errorf("after %d runs, %d skipped: %+v", n, n-1, st)
		}
	})
}
