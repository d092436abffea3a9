package operator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

type appView struct {
	Sync    SyncStatus
	Message string
}

func views(s Status) map[string]appView {
	m := map[string]appView{}
	for _, a := range s.Apps {
		m[a.ID] = appView{a.Sync, a.Message}
	}
	return m
}

func TestFirstPassPolicies(t *testing.T) {
	follower := NewLeadership()
	tests := []struct {
		name       string
		mod        func(*Options)
		wantWrites []string
		wantApps   map[string]appView
	}{
		{
			name:       "automated leader applies, manual only reports",
			wantWrites: []string{"PutApp " + api + " force=false", "PutApp " + worker + " force=false"},
			wantApps: map[string]appView{
				api: {Synced, ""}, worker: {Synced, ""},
				stgAPI: {OutOfSync, "manual sync policy: drift reported, not applied"},
				stgWrk: {OutOfSync, "manual sync policy: drift reported, not applied"},
			},
		},
		{
			name: "dry run writes nothing",
			mod:  func(o *Options) { o.DryRun = true },
			wantApps: map[string]appView{
				api: {OutOfSync, "dry run: not applied"}, worker: {OutOfSync, "dry run: not applied"},
				stgAPI: {OutOfSync, "manual sync policy: drift reported, not applied"},
				stgWrk: {OutOfSync, "manual sync policy: drift reported, not applied"},
			},
		},
		{
			name: "follower computes status read-only",
			mod:  func(o *Options) { o.Leader = follower },
			wantApps: map[string]appView{
				api: {OutOfSync, "not the leader: not applied"}, worker: {OutOfSync, "not the leader: not applied"},
				stgAPI: {OutOfSync, "manual sync policy: drift reported, not applied"},
				stgWrk: {OutOfSync, "manual sync policy: drift reported, not applied"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, reconcilertest.NewFakeMarathon(), tc.mod)
			h.start()
			st := h.pass()
			if diff := cmp.Diff(tc.wantWrites, h.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantApps, views(st)); diff != "" {
				t.Errorf("apps (-want +got):\n%s", diff)
			}
			if !st.Ready || st.Revision.ID != "rev1" {
				t.Errorf("ready %t revision %q, want ready at rev1", st.Ready, st.Revision.ID)
			}
		})
	}
}

func TestNewRevisionReconciles(t *testing.T) {
	h := newHarness(t, reconcilertest.NewFakeMarathon(), nil)
	h.start()
	h.pass()
	before := len(h.writes())

	// A push seen by the interval sync.
	h.source.set("rev2", specTree("5"))
	if d := h.clock.nextWait(t); d != time.Minute {
		t.Fatalf("loop waits %s, want the 1m interval", d)
	}
	h.clock.Advance(time.Minute)
	st := h.pass()
	if diff := cmp.Diff([]string{"ScaleApp " + api + " force=false instances=5"}, h.writes()[before:]); diff != "" {
		t.Errorf("writes after rev2 (-want +got):\n%s", diff)
	}
	if st.Revision.ID != "rev2" || appsByID(st)[api].LiveRevision != "rev2" {
		t.Errorf("revision %q, live revision of api %q, want rev2", st.Revision.ID, appsByID(st)[api].LiveRevision)
	}

	// A push announced by the webhook trigger: no waiting for the interval.
	h.source.set("rev3", specTree("3"))
	h.clock.nextWait(t)
	h.trigger <- struct{}{}
	st = h.pass()
	if st.Revision.ID != "rev3" || appsByID(st)[api].Sync != Synced {
		t.Errorf("after trigger: revision %q api %s, want rev3 Synced", st.Revision.ID, appsByID(st)[api].Sync)
	}
}

func TestInvalidRevisionKeepsLastGood(t *testing.T) {
	h := newHarness(t, reconcilertest.NewFakeMarathon(), nil)
	h.start()
	h.pass()
	before := len(h.writes())

	h.source.set("bad", invalidTree)
	h.clock.nextWait(t)
	h.trigger <- struct{}{}
	st := h.pass()
	if st.Revision.ID != "rev1" {
		t.Errorf("revision in force %q, want rev1", st.Revision.ID)
	}
	if st.InvalidRevision == nil || st.InvalidRevision.ID != "bad" || st.InvalidRevision.Error == "" {
		t.Fatalf("invalid revision %+v, want bad with its error", st.InvalidRevision)
	}
	if got := h.writes()[before:]; len(got) != 0 {
		t.Errorf("writes after an invalid revision: %v", got)
	}
	if a := appsByID(st)[api]; a.Sync != Synced {
		t.Errorf("api %s, want still Synced on rev1", a.Sync)
	}

	// A fixed revision clears the report.
	h.source.set("fixed", specTree("2"))
	h.clock.nextWait(t)
	h.trigger <- struct{}{}
	if st := h.pass(); st.InvalidRevision != nil || st.Revision.ID != "fixed" {
		t.Errorf("after fix: invalid %+v revision %q", st.InvalidRevision, st.Revision.ID)
	}
}

func TestEventBurstRunsOnePass(t *testing.T) {
	ev := &fakeEvents{fn: make(chan func(Event), 1)}
	h := newHarness(t, reconcilertest.NewFakeMarathon(), func(o *Options) { o.Events, o.DebounceMax = ev, time.Hour })
	h.start()
	h.pass()
	fn := <-ev.fn
	if d := h.clock.nextWait(t); d != time.Minute {
		t.Fatalf("idle wait %s, want 1m", d)
	}

	// Events about apps pacer does not manage never wake the loop.
	fn(Event{Type: "status_update_event", Data: []byte(`{"appId":"/other/app"}`)})
	if len(h.op.kick) != 0 {
		t.Fatal("an unmanaged app's event enqueued a pass")
	}

	for range 100 {
		fn(Event{Type: "status_update_event", Data: []byte(`{"appId":"` + api + `"}`)})
	}
	// Drain: quiet-time waits until no event is pending, then one pass and
	// the idle wait.
	for d := h.clock.nextWait(t); d == 250*time.Millisecond; d = h.clock.nextWait(t) {
		h.clock.Advance(d)
	}
	h.pass()
	if len(h.passes) != 0 {
		t.Errorf("%d extra passes after one burst", len(h.passes))
	}
	lists := 0
	for _, c := range h.mar.Calls() {
		if c == "ListApps" {
			lists++
		}
	}
	if lists != 2 {
		t.Errorf("%d ListApps calls, want 2 (start + one per burst)", lists)
	}
}

func TestFailureBacksOffWithoutBlockingOthers(t *testing.T) {
	m := reconcilertest.NewFakeMarathon()
	boom := errors.New("marathon says no")
	m.Errors = map[string][]error{"PutApp " + api: {boom, boom}}
	h := newHarness(t, m, nil)
	h.start()

	var retries []time.Duration
	st := h.pass()
	for appsByID(st)[api].Sync != Synced {
		a := appsByID(st)[api]
		if a.LastError == "" || a.RetryAt.IsZero() {
			t.Fatalf("failing api: %+v", a)
		}
		if w := appsByID(st)[worker]; w.Sync != Synced {
			t.Fatalf("worker %s: one app's failure blocked another", w.Sync)
		}
		d := h.clock.nextWait(t)
		retries = append(retries, d)
		h.clock.Advance(d)
		st = h.pass()
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second, 4 * time.Second}, retries); diff != "" {
		t.Errorf("retry delays (-want +got):\n%s", diff)
	}
	if a := appsByID(st)[api]; a.LastError != "" || a.LastSyncTime.IsZero() {
		t.Errorf("after success: %+v", a)
	}
}

// TestLostAnswerThenInSync: a write Marathon applied but whose answer was
// lost fails the pass for that app; the next pass finds the app in sync
// and clears the error and the backoff without writing it again (a stale
// LastError would keep SyncFailed open for good).
func TestLostAnswerThenInSync(t *testing.T) {
	m := reconcilertest.NewFakeMarathon()
	m.Lost = map[string][]error{"PutApp " + api: {fmt.Errorf("PUT /v2/apps%s: %w", api, marathon.ErrOutcomeUnknown)}}
	h := newHarness(t, m, nil)
	h.start()

	st := h.pass()
	if a := appsByID(st)[api]; a.LastError == "" {
		t.Fatalf("lost answer not reported: %+v", a)
	}
	h.clock.Advance(h.clock.nextWait(t))
	st = h.pass()
	if a := appsByID(st)[api]; a.Sync != Synced || a.LastError != "" || !a.RetryAt.IsZero() {
		t.Errorf("after the write landed: sync %s, lastError %q, retryAt %v; want Synced, none, none", a.Sync, a.LastError, a.RetryAt)
	}
	puts := 0
	for _, c := range m.Calls() {
		if strings.HasPrefix(c, "PutApp "+api+" ") {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d PutApp calls for %s, want 1 (the landed write is not sent again): %v", puts, api, m.Calls())
	}
}

func TestBackoffDelay(t *testing.T) {
	b := newBackoff(2*time.Second, 30*time.Second, func() float64 { return 0 })
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, b.delay(n))
	}
	// jitter 0 is the low end: 0.75 of the nominal delay.
	want := []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second, 22500 * time.Millisecond, 22500 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

// blockingMarathon blocks writes to one app until released or the write's
// context ends, and records writes made under a context already done.
type blockingMarathon struct {
	*reconcilertest.FakeMarathon
	app     string
	started chan struct{}
	release chan struct{}
}

func (b *blockingMarathon) PutApp(ctx context.Context, id string, def []byte, force bool) (string, error) {
	if id == b.app {
		b.started <- struct{}{}
		select {
		case <-b.release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return b.FakeMarathon.PutApp(ctx, id, def, force)
}

func newBlocking() *blockingMarathon {
	return &blockingMarathon{FakeMarathon: reconcilertest.NewFakeMarathon(), app: api, started: make(chan struct{}, 1), release: make(chan struct{})}
}

func TestLeaderLossStopsWritesAtOnce(t *testing.T) {
	m := newBlocking()
	lead := NewLeadership()
	leaderCtx, lose := context.WithCancel(t.Context())
	go lead.Lead(leaderCtx)
	for !lead.IsLeader() {
		<-lead.Changed()
	}
	h := newHarness(t, m, func(o *Options) { o.Leader = lead })
	h.mar = m.FakeMarathon
	h.start()
	<-m.started
	lose()
	st := h.pass()
	if a := appsByID(st)[api]; a.Sync != OutOfSync || a.Message != "leadership lost during the write" {
		t.Errorf("api after leadership loss: %s %q", a.Sync, a.Message)
	}
	if st.Leader {
		t.Error("status still says leader")
	}
	for _, w := range h.writes() {
		if w == "PutApp "+api+" force=false" {
			t.Errorf("api written after leadership was lost")
		}
	}
	// The next pass, as a follower, writes nothing.
	before := len(h.writes())
	h.clock.nextWait(t)
	h.trigger <- struct{}{}
	h.pass()
	if got := h.writes()[before:]; len(got) != 0 {
		t.Errorf("follower wrote %v", got)
	}
}

func TestShutdownLetsInFlightApplyFinishWithinGrace(t *testing.T) {
	tests := []struct {
		name     string
		finish   func(h *harness, m *blockingMarathon)
		wantMsg  string
		wantSync SyncStatus
	}{
		{
			name:     "write completes within the grace period",
			finish:   func(_ *harness, m *blockingMarathon) { close(m.release) },
			wantSync: Synced,
		},
		{
			name: "write interrupted when the grace period ends",
			finish: func(h *harness, _ *blockingMarathon) {
				if d := h.clock.nextWait(h.t); d != 10*time.Second {
					h.t.Errorf("grace %s, want 10s", d)
				}
				h.clock.Advance(10 * time.Second)
			},
			wantSync: OutOfSync, wantMsg: "shutdown: write interrupted after the grace period",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newBlocking()
			h := newHarness(t, m, nil)
			h.mar = m.FakeMarathon
			h.start()
			<-m.started
			h.cancel()
			tc.finish(h, m)
			st := h.pass()
			if err := <-h.done; err != nil {
				t.Errorf("Run: %v", err)
			}
			h.done <- nil // for the cleanup
			if a := appsByID(st)[api]; a.Sync != tc.wantSync || a.Message != tc.wantMsg {
				t.Errorf("api: %s %q, want %s %q", a.Sync, a.Message, tc.wantSync, tc.wantMsg)
			}
		})
	}
}
