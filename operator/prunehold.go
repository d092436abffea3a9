package operator

import (
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
)

// deleteHold keeps back the prune of an app that carries a
// pacer.dev/revision this instance has never had in force until the
// source was synced once more. Such an app was most likely written by a
// newer commit than the one in force: CI's `pacer reconcile` of a commit
// pushed a moment ago creates an app that this instance, still on the
// previous commit, would otherwise delete as undesired (and create again
// at its next fetch). One sync later the commit is in force and wants the
// app, or the revision is not this branch's newest and the prune goes on.
type deleteHold struct {
	known map[string]bool // revisions this instance had in force
	syncs int             // successful source syncs
	held  map[string]int  // app → syncs when its delete was first held
}

// holdDeletes filters writes as deleteHold says, marks held apps in apps
// and returns the writes to make and whether to sync the source at once.
func (o *Operator) holdDeletes(writes []reconciler.AppPlan, apps []AppStatus, live []marathon.App, synced bool) ([]reconciler.AppPlan, bool) {
	h := &o.holds
	if h.known == nil {
		h.known, h.held = map[string]bool{}, map[string]int{}
	}
	h.known[o.good.rev.ID] = true
	if synced {
		h.syncs++
	}
	labels := make(map[string]string, len(live))
	for _, a := range live {
		labels[a.ID] = a.Labels[reconciler.LabelRevision]
	}
	index := make(map[string]int, len(apps))
	for i, a := range apps {
		index[a.ID] = i
	}
	out := make([]reconciler.AppPlan, 0, len(writes))
	fetch := false
	holding := map[string]bool{}
	for _, w := range writes {
		rev := labels[w.ID]
		if w.Action != reconciler.ActionDelete || rev == "" || h.known[rev] {
			out = append(out, w)
			continue
		}
		first, ok := h.held[w.ID]
		if !ok {
			first = h.syncs
			h.held[w.ID] = first
		}
		if h.syncs > first {
			out = append(out, w) // synced since: not a newer commit of the branch
			continue
		}
		holding[w.ID], fetch = true, true
		if i, ok := index[w.ID]; ok {
			apps[i].Message = "delete held: the app carries revision " + rev + ", not loaded by this instance; syncing the source first"
		}
	}
	for id := range h.held {
		if !holding[id] {
			delete(h.held, id)
		}
	}
	return out, fetch
}

// fetchNow is when a held delete wants the source synced.
func fetchNow(now time.Time, fetch bool) time.Time {
	if !fetch {
		return time.Time{}
	}
	return now
}
