package checks

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/specs"
)

// RunFunc runs one check once.
type RunFunc func(ctx context.Context, c *specs.Check) Result

// Scheduler runs checks on their intervals and records the results.
type Scheduler struct {
	Run   RunFunc
	Store *Store
	// Task is recorded with each result (the agent's task id).
	Task string
	// Parallel bounds the checks running at once (default 32).
	Parallel int
	Now      func() time.Time
	// OnResult, if set, is called after each result with the check's
	// status after it and the lag: how late the run started against its
	// schedule.
	OnResult func(c *specs.Check, r Result, st Status, lag time.Duration)
}

// Loop runs checks until ctx is done. Each check first runs at an offset
// within its interval derived from its id (so checks with the same interval
// do not all start together, and a restart keeps the phase), then every
// interval; a run that overruns its interval delays the next one instead of
// piling up.
func (s *Scheduler) Loop(ctx context.Context, checks []specs.Check) {
	par := s.Parallel
	if par <= 0 {
		par = 32
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := range checks {
		c := &checks[i]
		wg.Go(func() { s.loopOne(ctx, c, sem) })
	}
	wg.Wait()
}

func (s *Scheduler) loopOne(ctx context.Context, c *specs.Check, sem chan struct{}) {
	log := logr.FromContextOrDiscard(ctx).WithValues("check", c.ID)
	interval := c.Settings.Interval
	if interval <= 0 {
		interval = specs.DefaultCheckInterval
	}
	next := s.Now().Add(phase(c.ID, interval))
	timer := time.NewTimer(next.Sub(s.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		lag := s.Now().Sub(next)
		r := s.Run(ctx, c)
		<-sem
		if ctx.Err() != nil {
			return // a run cut short by shutdown is not a result
		}
		if r.Skipped {
			log.V(1).Info("Check skipped", "reason", r.Summary)
		} else {
			st, changed := s.Store.Record(c, s.Task, r)
			if changed {
				log.Info("Check changed state", "state", st.Hard.String(), "summary", r.Summary)
			}
			if s.OnResult != nil {
				s.OnResult(c, r, st, lag)
			}
		}
		next = next.Add(interval)
		if now := s.Now(); next.Before(now) {
			next = now // overran: run again at once, then keep the new phase
		}
		timer.Reset(next.Sub(s.Now()))
	}
}

// phase is a stable offset in [0, interval) for id.
func phase(id string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(interval))
}
