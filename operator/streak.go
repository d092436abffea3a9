package operator

import (
	"errors"
	"fmt"
	"math"
	"time"

	"pacer.dev/pacer/reconciler"
)

// DefaultMaxWritesPerRevision is how many times in a row an app is written
// for one revision, its diff never shrinking, before the loop breaker holds
// it (Options.MaxWritesPerRevision).
const DefaultMaxWritesPerRevision = 3

// SyncReason is a typed cause of an app's sync state, for the status API
// and alerting.
type SyncReason string

// Sync reasons.
const (
	// ReasonNotConverging: pacer wrote the app MaxWritesPerRevision times
	// in a row for the revision in force, yet Marathon still differs from
	// git and the diff did not shrink. A write loop (a normalization gap,
	// another client writing the app back): the app is no longer written
	// until a new revision or a smaller diff, and SyncFailed pages.
	ReasonNotConverging SyncReason = "NotConverging"
)

// writeStreak is one app's run of writes for one revision: how many since
// its diff last shrank, the smallest diff written so far, and when the
// first write was made.
type writeStreak struct {
	revision string
	writes   int
	smallest int
	since    time.Time
	held     bool // the loop breaker holds the app (logged once)
}

var errNotConverging = errors.New("app does not converge")

// streaks is the loop breaker's memory, per app id. It is owned by the Run
// goroutine.
//
// A diff smaller than every diff written before for the revision is
// progress and starts the count again. The smallest diff only ever
// shrinks, so progress comes a bounded number of times: however Marathon
// answers, an app is written a bounded number of times per revision.
type streaks struct {
	max     int
	entries map[string]*writeStreak
}

func newStreaks(max int) *streaks { return &streaks{max: max, entries: map[string]*writeStreak{}} }

// diffSize is the size of a planned write's diff: the number of changed
// fields, and for a create (the whole app) more than any update's.
func diffSize(ap reconciler.AppPlan) int {
	if ap.Action == reconciler.ActionCreate {
		return math.MaxInt
	}
	return len(ap.Changes)
}

// converged forgets id's streak: its live definition matches git.
func (s *streaks) converged(id string) { delete(s.entries, id) }

// check decides whether ap may be written for revision. It starts the
// count again on a new revision or a diff smaller than any written, and
// returns the streak that holds the app back otherwise (nil: write).
func (s *streaks) check(ap reconciler.AppPlan, revision string) *writeStreak {
	e := s.entries[ap.ID]
	switch {
	case e == nil:
		return nil
	case e.revision != revision:
		delete(s.entries, ap.ID)
		return nil
	case diffSize(ap) < e.smallest:
		e.writes, e.held = 0, false
		return nil
	case e.writes >= s.max:
		return e
	}
	return nil
}

// wrote records a write of ap for revision and returns the streak.
func (s *streaks) wrote(ap reconciler.AppPlan, revision string, now time.Time) *writeStreak {
	e := s.entries[ap.ID]
	if e == nil || e.revision != revision {
		e = &writeStreak{revision: revision, smallest: math.MaxInt, since: now}
		s.entries[ap.ID] = e
	}
	e.writes++
	e.smallest = min(e.smallest, diffSize(ap))
	return e
}

// forget drops the apps keep rejects (gone from the plan).
func (s *streaks) forget(keep func(string) bool) {
	for id := range s.entries {
		if !keep(id) {
			delete(s.entries, id)
		}
	}
}

// heldError is the LastError of an app the loop breaker holds: stable
// from pass to pass, so that SyncFailed pages once.
func (e *writeStreak) heldError() string {
	return fmt.Sprintf("written %d times in a row for revision %s and Marathon still differs from git (the diff did not shrink): not written again until a new revision or a smaller diff; the changes that do not go away are listed in the app's status",
		e.writes, e.revision)
}
