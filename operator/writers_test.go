package operator

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// TestWriterWatch: which label changes between two writing passes are
// another writer's, and which are this instance's own, a person's or a
// previous leader's.
func TestWriterWatch(t *testing.T) {
	termA, termB := context.WithoutCancel(t.Context()), context.WithValue(t.Context(), struct{}{}, "b")
	const own, other, old = "rev-own", "rev-other", "rev-old"
	// step is one pass: the live labels of /g/a (and /g/m, manual).
	type step struct {
		label, manual string
		writing       bool
		term          context.Context
		sent          string // revision this instance sends /g/a after the pass
		after         time.Duration
		inForce       string            // revision in force ("": own)
		want          *ConcurrentWriter // SeenAt not compared
	}
	found := func(rev, prev string) *ConcurrentWriter {
		return &ConcurrentWriter{App: "/g/a", Revision: rev, Previous: prev, InForce: own, Apps: 1}
	}
	for _, tc := range []struct {
		name    string
		confirm time.Duration
		steps   []step
	}{
		{"unchanged labels (a person scaled the app)", 0, []step{
			{label: old, writing: true}, {label: old, writing: true}, {label: old, writing: true}}},
		{"another revision appears", 0, []step{
			{label: old, writing: true}, {label: other, writing: true, want: found(other, old)}}},
		{"stays reported within the window, then clears", 0, []step{
			{label: old, writing: true}, {label: other, writing: true, want: found(other, old)},
			{label: other, writing: true, after: 9 * time.Minute, want: found(other, old)},
			{label: other, writing: true, after: 2 * time.Minute}}},
		{"fighting: own write, then the other's again", 0, []step{
			{label: old, writing: true, sent: own}, {label: own, writing: true},
			{label: other, writing: true, want: found(other, own)}}},
		{"the revision in force written by someone else is no fight", 0, []step{
			{label: old, writing: true}, {label: own, writing: true}}},
		{"a revision this instance sent (its answer lost) is its own", 0, []step{
			{label: old, writing: true, sent: "rev-prev"}, {label: "rev-prev", writing: true}}},
		{"the first pass only records", 0, []step{{label: other, writing: true}, {label: other, writing: true}}},
		{"a follower or dry run never reports, and starts over", 0, []step{
			{label: old}, {label: other}, {label: other, writing: true}, {label: other, writing: true}}},
		{"a new leader term starts over", 0, []step{
			{label: old, writing: true}, {label: other, writing: true, term: termB}}},
		{"a revision ahead of ours that comes in force before confirm is no fight", 3 * time.Second, []step{
			{label: old, writing: true}, {label: "rev-next", writing: true}, {label: "rev-next", writing: true},
			{label: "rev-next", writing: true, inForce: "rev-next"}, {label: "rev-next", writing: true, inForce: "rev-next", after: 5 * time.Second}}},
		{"a foreign revision is reported once it stayed foreign for confirm", 3 * time.Second, []step{
			{label: old, writing: true}, {label: other, writing: true}, {label: own, writing: true, sent: own},
			{label: other, writing: true, after: 2 * time.Second, want: found(other, old)}}},
		{"manual apps are written by others on purpose", 0, []step{
			{label: old, manual: old, writing: true}, {label: old, manual: other, writing: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := &loaded{rev: Revision{ID: own}, byID: map[string]*specs.App{
				"/g/a": {ID: "/g/a", Sync: specs.Sync{Policy: specs.SyncAutomated}},
				"/g/m": {ID: "/g/m", Sync: specs.Sync{Policy: specs.SyncManual}},
			}}
			var w writerWatch
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, s := range tc.steps {
				now = now.Add(time.Second + s.after)
				term := s.term
				if term == nil {
					term = termA
				}
				live := []marathon.App{
					{ID: "/g/a", Labels: map[string]string{reconciler.LabelRevision: s.label}},
					{ID: "/g/m", Labels: map[string]string{reconciler.LabelRevision: s.manual}},
					{ID: "/other/unmanaged", Labels: map[string]string{reconciler.LabelRevision: "x" + s.label}},
				}
				good.rev.ID = own
				if s.inForce != "" {
					good.rev.ID = s.inForce
				}
				got := w.observe(term, s.writing, good, live, now, DefaultWriterWindow, tc.confirm)
				if got != nil {
					got.SeenAt = time.Time{}
				}
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Fatalf("pass %d (-want +got):\n%s", i, diff)
				}
				if s.sent != "" {
					w.sent([]reconciler.AppPlan{{ID: "/g/a"}}, s.sent)
				}
			}
		})
	}
}
