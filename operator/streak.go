package operator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/status"
)

// DefaultMaxWritesPerRevision is how many times in a row an app is written
// for one revision, its diff never shrinking, before the loop breaker holds
// it (Options.MaxWritesPerRevision).
const DefaultMaxWritesPerRevision = 3

// SyncReason and its codes are the status model's (package status).
type SyncReason = status.SyncReason

// ReasonNotConverging: the loop breaker holds the app (status.ReasonNotConverging).
const ReasonNotConverging = status.ReasonNotConverging

// writeStreak is one app's run of writes for one desired definition (key:
// its digest): how many since its diff last shrank, the smallest diff
// written so far, the revision and time of the first write.
type writeStreak struct {
	key      string
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
// A streak belongs to the app's desired definition, not to the revision
// id: a push that leaves the app as it is does not start it again (a busy
// repository would otherwise allow N writes per push). A diff smaller than
// every diff written before for the definition is progress and starts the
// count again. The smallest diff only ever shrinks, so progress comes a
// bounded number of times: however Marathon answers, an app is written a
// bounded number of times per desired definition.
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

// check decides whether ap, whose desired definition has the digest key,
// may be written. It starts the count again for a new definition or a diff
// smaller than any written, and returns the streak that holds the app back
// otherwise (nil: write).
func (s *streaks) check(ap reconciler.AppPlan, key string) *writeStreak {
	e := s.entries[ap.ID]
	switch {
	case e == nil:
		return nil
	case e.key != key:
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

// wrote records a write of ap (definition digest key) made for revision
// and returns the streak.
func (s *streaks) wrote(ap reconciler.AppPlan, key, revision string, now time.Time) *writeStreak {
	e := s.entries[ap.ID]
	if e == nil || e.key != key {
		e = &writeStreak{key: key, revision: revision, smallest: math.MaxInt, since: now}
		s.entries[ap.ID] = e
	}
	e.writes++
	e.smallest = min(e.smallest, diffSize(ap))
	return e
}

// definitionKey is the digest of the desired definition of app id in the
// revision in force ("" for an app git does not have: a delete).
func (o *Operator) definitionKey(id string) string {
	a := o.good.byID[id]
	if a == nil {
		return ""
	}
	sum := sha256.Sum256(a.Definition)
	return hex.EncodeToString(sum[:])
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
	return fmt.Sprintf("written %d times in a row since revision %s and Marathon still differs from git (the diff did not shrink): not written again until its definition in git changes or the diff shrinks; the changes that do not go away are listed in the app's status",
		e.writes, e.revision)
}
