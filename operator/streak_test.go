package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// gapMarathon is a Marathon with a normalization gap nobody has found: it
// stores what pacer writes, but every read of the apps in drift shows the
// fields of drift changed, as if Marathon rewrote them. A write can never
// make such an app match git.
type gapMarathon struct {
	*reconcilertest.FakeMarathon

	mu     sync.Mutex
	drift  map[string]map[string]any // app id → fields shown changed
	hidden map[string]bool           // app id → never shown at all
}

func (g *gapMarathon) setDrift(id string, fields map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if fields == nil {
		delete(g.drift, id)
		return
	}
	g.drift[id] = fields
}

func (g *gapMarathon) ListApps(ctx context.Context) ([]marathon.App, error) {
	apps, err := g.FakeMarathon.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	apps = slices.DeleteFunc(apps, func(a marathon.App) bool { return g.hidden[a.ID] })
	for i, a := range apps {
		fields := g.drift[a.ID]
		if fields == nil {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(a.Raw, &m); err != nil {
			return nil, err
		}
		for k, v := range fields {
			m[k] = v
		}
		if apps[i].Raw, err = json.Marshal(m); err != nil {
			return nil, err
		}
	}
	return apps, nil
}

// putsOf counts the writes of app id so far.
func putsOf(h *harness, id string) int {
	n := 0
	for _, w := range h.writes() {
		if strings.Fields(w)[1] == id {
			n++
		}
	}
	return n
}

// nextPass lets the interval go by and returns the status of the pass.
func (h *harness) nextPass() Status {
	h.t.Helper()
	h.clock.nextWait(h.t)
	h.clock.Advance(time.Minute)
	return h.pass()
}

// TestLoopBreaker: an app Marathon never shows as written is written
// MaxWritesPerRevision times, then held with NotConverging, a LastError
// that stays the same from pass to pass (SyncFailed pages once) and the
// diff that does not go away; a new revision leaving the app as it is
// keeps it held, one changing it writes it again, as many times at most;
// the app converging clears it all.
func TestLoopBreaker(t *testing.T) {
	for _, max := range []int{0, 1, 5} {
		want := max
		if want == 0 {
			want = DefaultMaxWritesPerRevision
		}
		t.Run(fmt.Sprintf("max=%d", max), func(t *testing.T) {
			g := &gapMarathon{FakeMarathon: reconcilertest.NewFakeMarathon(), drift: map[string]map[string]any{}}
			h := newHarness(t, g, func(o *Options) { o.MaxWritesPerRevision = max })
			h.mar = g.FakeMarathon
			h.start()
			h.pass() // creates the apps
			g.setDrift(api, map[string]any{"mem": 999})
			before := putsOf(h, api)
			var st Status
			var lastErrs []string
			for range want + 5 {
				st = h.nextPass()
				lastErrs = append(lastErrs, appsByID(st)[api].LastError)
			}
			if n := putsOf(h, api) - before; n != want {
				t.Errorf("api written %d times, want %d: %v", n, want, h.writes())
			}
			if n := putsOf(h, worker); n != 1 {
				t.Errorf("worker (no gap) written %d times, want 1", n)
			}
			a := appsByID(st)[api]
			if a.Reason != ReasonNotConverging || a.Sync != OutOfSync || !slices.Contains(a.Changes, "mem: 999 → 128") {
				t.Errorf("held app: reason %q sync %s changes %q, want NotConverging, OutOfSync and the mem change", a.Reason, a.Sync, a.Changes)
			}
			if !strings.Contains(a.LastError, "written "+strconv.Itoa(want)+" times in a row since revision rev1") {
				t.Errorf("LastError %q does not say why", a.LastError)
			}
			held := lastErrs[len(lastErrs)-3:]
			if held[0] == "" || held[0] != held[1] || held[1] != held[2] {
				t.Errorf("LastError changes from pass to pass (SyncFailed would page again): %q", held)
			}
			if w := appsByID(st)[worker]; w.Reason != "" || w.LastError != "" {
				t.Errorf("worker: reason %q error %q, want none", w.Reason, w.LastError)
			}

			// A new revision that leaves api as it is: still held.
			before = putsOf(h, api)
			h.source.set("rev2", specTree("2"))
			for range 3 {
				st = h.nextPass()
			}
			if n := putsOf(h, api) - before; n != 0 {
				t.Errorf("after a revision that does not change api, api written %d more times, want 0", n)
			}
			// A revision that changes api: written again. Its first write
			// carries the instance change too, so the diff then shrinks to
			// the mem change alone: one write, then max more.
			h.source.set("rev3", specTree("3"))
			for range want + 4 {
				st = h.nextPass()
			}
			if n := putsOf(h, api) - before; n != want+1 {
				t.Errorf("after a revision changing api, api written %d more times, want %d", n, want+1)
			}
			if a := appsByID(st)[api]; a.Reason != ReasonNotConverging || !strings.Contains(a.LastError, "revision rev3") {
				t.Errorf("after rev3: reason %q error %q, want held since rev3", a.Reason, a.LastError)
			}

			// The gap goes away (Marathon fixed by hand): cleared.
			g.setDrift(api, nil)
			st = h.nextPass()
			if a := appsByID(st)[api]; a.Reason != "" || a.LastError != "" || a.Sync != Synced {
				t.Errorf("converged app: reason %q error %q sync %s, want cleared and Synced", a.Reason, a.LastError, a.Sync)
			}
		})
	}
}

// TestLoopBreakerShrinkingDiff: a diff that shrinks after each write is
// progress, not a loop: the app is written on.
func TestLoopBreakerShrinkingDiff(t *testing.T) {
	g := &gapMarathon{FakeMarathon: reconcilertest.NewFakeMarathon(), drift: map[string]map[string]any{}}
	h := newHarness(t, g, func(o *Options) { o.MaxWritesPerRevision = 1 })
	h.mar = g.FakeMarathon
	h.start()
	h.pass()
	// Each step Marathon shows one field fewer changed.
	steps := []map[string]any{
		{"mem": 999, "cpus": 3, "disk": 5, "cmd": "other"},
		{"mem": 999, "cpus": 3, "disk": 5},
		{"mem": 999, "cpus": 3},
		{"mem": 999},
	}
	var held []string
	for _, d := range steps {
		g.setDrift(api, d)
		st := h.nextPass()
		if a := appsByID(st)[api]; a.Reason != "" {
			held = append(held, a.Message)
		}
	}
	if diff := cmp.Diff(len(steps)+1, putsOf(h, api)); diff != "" || held != nil {
		t.Errorf("writes of api (-want +got):\n%s\nheld: %q", diff, held)
	}
	// The same diff again: held.
	st := h.nextPass()
	if a := appsByID(st)[api]; a.Reason != ReasonNotConverging {
		t.Errorf("same diff after a write: reason %q, want NotConverging", a.Reason)
	}
}

// TestLoopBreakerCreates: an app that never shows up after its create is
// created MaxWritesPerRevision times, no more.
func TestLoopBreakerCreates(t *testing.T) {
	g := &gapMarathon{FakeMarathon: reconcilertest.NewFakeMarathon(), hidden: map[string]bool{api: true}}
	h := newHarness(t, g, nil)
	h.mar = g.FakeMarathon
	h.start()
	st := h.pass()
	for range 6 {
		st = h.nextPass()
	}
	if n := putsOf(h, api); n != DefaultMaxWritesPerRevision {
		t.Errorf("api created %d times, want %d", n, DefaultMaxWritesPerRevision)
	}
	if a := appsByID(st)[api]; a.Reason != ReasonNotConverging || a.Action != "create" {
		t.Errorf("reason %q action %q, want NotConverging on a create", a.Reason, a.Action)
	}
}

func TestMaxWritesPerRevisionInvalid(t *testing.T) {
	_, err := New(Options{Cluster: "ams", Source: &fakeSource{}, Marathon: reconcilertest.NewFakeMarathon(), MaxWritesPerRevision: -1})
	if err == nil || !strings.Contains(err.Error(), "max writes per revision -1") {
		t.Errorf("New with -1: %v, want an invalid options error", err)
	}
}

// TestStreaksBoundWrites: whatever diffs Marathon answers with, one
// revision is written a bounded number of times: at most max writes per
// distinct smaller diff, the smallest diff only ever shrinking.
func TestStreaksBoundWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		max := 1 + r.IntN(4)
		s := newStreaks(max)
		creates := r.IntN(2) == 0
		writes := 0
		for range 500 {
			ap := reconciler.AppPlan{ID: "/a", Action: reconciler.ActionUpdate}
			if creates && r.IntN(3) == 0 {
				ap.Action = reconciler.ActionCreate
			}
			for range r.IntN(8) {
				ap.Changes = append(ap.Changes, reconciler.Change{})
			}
			if s.check(ap, "def") != nil {
				continue
			}
			s.wrote(ap, "def", "rev", time.Time{})
			writes++
		}
		// Diff sizes are 0..7 plus the create's: 9 levels at most.
		if bound := max * 9; writes > bound {
			t.Fatalf("trial %d: %d writes for one revision with max %d, more than %d", trial, writes, max, bound)
		}
	}
}
