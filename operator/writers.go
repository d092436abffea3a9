package operator

import (
	"context"
	"pacer.dev/pacer/status"
	"sort"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// DefaultWriterWindow is how long a write of another writer stays in the
// status (Status.ConcurrentWriter) after it was last seen.
const DefaultWriterWindow = 10 * time.Minute

// ConcurrentWriter is the status model's evidence of another writer.
type ConcurrentWriter = status.ConcurrentWriter

// writerWatch detects another writer from the pacer.dev/revision labels
// of the automated apps this instance writes: between two of its passes as
// the writing leader, an app's label changed to a revision this instance
// neither has in force nor wrote to that app. A person scaling or editing
// an app in Marathon's UI leaves the label as it was; another pacer writing
// another revision does not. The first pass of a leader term only records
// the labels (a previous leader's writes are not another writer's).
//
// A foreign revision is only reported once it has stayed foreign for
// confirm (two sync intervals): a `pacer reconcile` of the branch's newest
// commit, run by CI just before this instance fetched that commit, writes
// the revision this instance is about to apply, not another one.
//
// Two writers of the same revision leave no trace in the labels; they
// write the same definitions, so they do not fight.
type writerWatch struct {
	term    context.Context
	seen    map[string]string // app → label at the last pass
	wrote   map[string]string // app → revision this instance last sent
	pending map[string]ConcurrentWriter
	last    *ConcurrentWriter
	hits    map[string]time.Time // app → when another writer was confirmed on it
}

// observe compares the labels of live with the last pass's. writing is
// false for a follower or a dry run: nothing to fight over, and the
// baseline starts again at the next writing pass.
func (w *writerWatch) observe(term context.Context, writing bool, good *loaded, live []marathon.App, now time.Time, window, confirm time.Duration) *ConcurrentWriter {
	if !writing || term != w.term || w.seen == nil {
		w.term, w.seen = term, nil
		if !writing {
			w.wrote = nil
		}
	}
	if w.wrote == nil {
		w.wrote = map[string]string{}
	}
	if w.hits == nil {
		w.hits, w.pending = map[string]time.Time{}, map[string]ConcurrentWriter{}
	}
	seen := make(map[string]string, len(live))
	for _, a := range live {
		if good.byID[a.ID] == nil || good.policyOf(a.ID) != specs.SyncAutomated {
			continue
		}
		label := a.Labels[reconciler.LabelRevision]
		seen[a.ID] = label
		prev, ok := w.seen[a.ID]
		if !writing || !ok || label == prev || label == good.rev.ID || label == w.wrote[a.ID] {
			continue
		}
		if _, ok := w.pending[a.ID]; !ok {
			w.pending[a.ID] = ConcurrentWriter{App: a.ID, Revision: label, Previous: prev, InForce: good.rev.ID, SeenAt: now}
		}
	}
	if writing {
		w.seen = seen
	}
	for id, p := range w.pending {
		switch {
		case p.Revision == good.rev.ID || !writing:
			delete(w.pending, id) // caught up: it was ahead on our branch
		case now.Sub(p.SeenAt) >= confirm:
			delete(w.pending, id)
			p.InForce, p.SeenAt = good.rev.ID, now
			w.hits[id], w.last = now, &p
		}
	}
	for id, at := range w.hits {
		if now.Sub(at) > window {
			delete(w.hits, id)
		}
	}
	if len(w.hits) == 0 {
		w.last = nil
		return nil
	}
	cw := *w.last
	cw.Apps = len(w.hits)
	return &cw
}

// sent records the revision this instance sends to each app, before the
// write: a write whose answer was lost may have landed.
func (w *writerWatch) sent(writes []reconciler.AppPlan, rev string) {
	if w.wrote == nil {
		w.wrote = map[string]string{}
	}
	for _, ap := range writes {
		w.wrote[ap.ID] = rev
	}
}

// apps lists the apps seen written by another writer in the window.
func (w *writerWatch) apps() []string {
	out := make([]string, 0, len(w.hits))
	for id := range w.hits {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// watchWriters runs the writer watch on a pass's live apps and logs each
// app newly seen written by another writer.
func (o *Operator) watchWriters(ctx context.Context, term context.Context, leader bool, live []marathon.App) *ConcurrentWriter {
	before := len(o.writers.hits)
	last := o.writers.last
	cw := o.writers.observe(term, leader && !o.opts.DryRun, o.good, live, o.opts.Clock.Now(), o.opts.WriterWindow, 2*o.opts.SyncInterval)
	if cw != nil && (len(o.writers.hits) != before || o.writers.last != last) {
		logr.FromContextOrDiscard(ctx).Info("Warning: another writer changed an app this instance writes; a second pacer without --zk, or a reconcile of another revision?",
			"app", cw.App, "revision", cw.Revision, "previousRevision", cw.Previous, "inForce", cw.InForce, "apps", o.writers.apps())
	}
	return cw
}
