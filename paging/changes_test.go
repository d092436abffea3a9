package paging

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// TestPendingChanges: a change event waits while its deployment runs and is
// sent once, oldest first, when Marathon no longer runs it (also for a
// deleted app, which is gone from the status).
func TestPendingChanges(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	change := func(app, action, dep string, after time.Duration) alerting.Change {
		return alerting.Change{App: app, Action: action, DeploymentID: dep, At: at.Add(after)}
	}
	app := func(id string, deps ...string) status.App {
		return status.App{ID: id, Deployments: deps}
	}
	ids := func(cs []alerting.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.App)
		}
		return out
	}
	var p pendingChanges
	p.add(change("/web", "update", "d1", 3*time.Second), change("/db", "create", "d2", 0),
		change("/old", "delete", "d3", time.Second), change("/api", "update", "d4", 2*time.Second))

	running := []status.App{app("/web", "d1"), app("/db", "d2"), app("/old", "d3"), app("/api", "other", "d4")}
	if got := p.done(running); len(got) != 0 {
		t.Fatalf("while deploying: sent %v", ids(got))
	}
	// web, old (deleted: gone from the status) and api finished; db deploys.
	got := p.done([]status.App{app("/web"), app("/db", "d2"), app("/api", "other")})
	if diff := cmp.Diff([]string{"/old", "/api", "/web"}, ids(got)); diff != "" {
		t.Errorf("sent (-want +got, oldest first):\n%s", diff)
	}
	got = p.done([]status.App{app("/db")})
	if !slices.Equal(ids(got), []string{"/db"}) {
		t.Errorf("db after its deployment: sent %v", ids(got))
	}
	if got := p.done(nil); len(got) != 0 {
		t.Errorf("sent twice: %v", ids(got))
	}
}

// TestPendingChangesExpireAndList: changes pending for longer than the
// bound are taken out; the rest are listed oldest first, in one order.
func TestPendingChangesExpireAndList(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	var p pendingChanges
	p.add(alerting.Change{App: "/b", DeploymentID: "d3", At: at.Add(2 * time.Hour)},
		alerting.Change{App: "/a", DeploymentID: "d1", At: at},
		alerting.Change{App: "/c", DeploymentID: "d4", At: at.Add(2 * time.Hour)},
		alerting.Change{App: "/a", DeploymentID: "d2", At: at.Add(time.Hour)})
	deps := func(cs []alerting.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.DeploymentID)
		}
		return out
	}
	if diff := cmp.Diff([]string{"d1", "d2", "d3", "d4"}, deps(p.list())); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d1", "d2"}, deps(p.expire(at.Add(2*time.Hour)))); diff != "" {
		t.Errorf("expired (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d3", "d4"}, deps(p.list())); diff != "" {
		t.Errorf("left (-want +got):\n%s", diff)
	}
}

// memStore is an alerting.Store in memory that keeps the encoded bytes, as
// FileStore and the ZooKeeper store do, and counts saves.
type memStore struct {
	data  []byte
	saves int
}

func (s *memStore) Load(context.Context) (alerting.Persisted, error) {
	if s.data == nil {
		return alerting.Persisted{}, nil
	}
	return alerting.UnmarshalState(s.data)
}

func (s *memStore) Save(_ context.Context, st alerting.Persisted) error {
	b, err := alerting.MarshalState(st)
	s.data, s.saves = b, s.saves+1
	return err
}

// recordingNotifier records what an alerter sends.
type recordingNotifier struct {
	changes []string // app deploymentID
}

func (n *recordingNotifier) Notify(context.Context, alerting.Incident) error { return nil }

func (n *recordingNotifier) NotifyChange(_ context.Context, c alerting.Change) error {
	n.changes = append(n.changes, c.App+" "+c.DeploymentID)
	return nil
}

// changesAlerter is the leader's alerter over store, with a clock the test
// moves.
func changesAlerter(store alerting.Store, now *time.Time) (*Alerter, *recordingNotifier) {
	n := &recordingNotifier{}
	return &Alerter{cluster: "ams", now: func() time.Time { return *now }, notifier: n, store: store,
		crashes: newCrashHistory(10*time.Minute, 3)}, n
}

// TestAlerterPendingChanges: the leader saves its pending change events
// with the open incidents when, and only when, they change (a write, a
// finished deployment, an expired change; not a pass that changes
// nothing); the next leader restores them, sends each once when its
// deployment is gone, at its first pass for one gone already, and never
// for a pass that did not read Marathon.
func TestAlerterPendingChanges(t *testing.T) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	pages := &specs.Alerting{Urgency: "high", RoutingKey: specs.SecretRef{FromEnv: "PD_WEB"}}
	app := func(id string, deps ...string) status.App {
		return status.App{ID: id, Group: "/web", Environment: "production", Sync: status.Synced,
			Health: status.Healthy, Deployments: deps, Alerting: pages}
	}
	leading := func(apps []status.App, applied ...status.AppliedChange) status.Cluster {
		return status.Cluster{Leader: true, Ready: true, Apps: apps, Applied: applied}
	}
	write := func(id, dep string) status.AppliedChange {
		return status.AppliedChange{App: id, Action: "update", DeploymentID: dep, Revision: "r2", At: now}
	}
	pending := func(s *memStore) []string {
		st, err := s.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range st.Changes {
			out = append(out, c.App+" "+c.DeploymentID)
		}
		return out
	}
	store := &memStore{}
	a, sentA := changesAlerter(store, &now)
	type step struct {
		name      string
		al        *Alerter
		st        status.Cluster
		ctxDone   bool
		wantSaves int
		wantStore []string
	}
	steps := []step{
		{name: "first pass: nothing to keep", al: a, st: leading([]status.App{app("/web"), app("/api")})},
		{name: "writes are kept", al: a, st: leading([]status.App{app("/web", "d1"), app("/api", "d2")}, write("/web", "d1"), write("/api", "d2")),
			wantSaves: 1, wantStore: []string{"/api d2", "/web d1"}},
		{name: "deployments running: no save", al: a, st: leading([]status.App{app("/web", "d1"), app("/api", "d2")}),
			wantSaves: 1, wantStore: []string{"/api d2", "/web d1"}},
		{name: "Marathon unreachable: nothing sent", al: a,
			st:        status.Cluster{Leader: true, Ready: true, MarathonError: "refused", Apps: []status.App{{ID: "/web", Health: status.HealthUnknown}}},
			wantSaves: 1, wantStore: []string{"/api d2", "/web d1"}},
		{name: "a pass cut short by shutdown: nothing sent", al: a, st: leading(nil), ctxDone: true,
			wantSaves: 1, wantStore: []string{"/api d2", "/web d1"}},
	}
	b, sentB := changesAlerter(store, &now)
	steps = append(steps,
		step{name: "A follows", al: a, st: status.Cluster{Ready: true, Apps: []status.App{app("/web")}},
			wantSaves: 1, wantStore: []string{"/api d2", "/web d1"}},
		step{name: "B leads: restored, api gone already, sent at once", al: b, st: leading([]status.App{app("/web", "d1"), app("/api")}),
			wantSaves: 2, wantStore: []string{"/web d1"}},
		step{name: "web still deploying: no save", al: b, st: leading([]status.App{app("/web", "d1"), app("/api")}),
			wantSaves: 2, wantStore: []string{"/web d1"}},
		step{name: "web deployed: sent", al: b, st: leading([]status.App{app("/web"), app("/api")}),
			wantSaves: 3},
		step{name: "nothing pending: no save", al: b, st: leading([]status.App{app("/web"), app("/api")}),
			wantSaves: 3},
	)
	for _, s := range steps {
		s.al.observe(t.Context(), pass{st: s.st, cutShort: s.ctxDone, followed: !s.st.Leader})
		if store.saves != s.wantSaves {
			t.Errorf("%s: %d saves, want %d", s.name, store.saves, s.wantSaves)
		}
		if diff := cmp.Diff(s.wantStore, pending(store)); diff != "" {
			t.Errorf("%s: stored pending (-want +got):\n%s", s.name, diff)
		}
	}
	if len(sentA.changes) != 0 {
		t.Errorf("A sent %v, want nothing", sentA.changes)
	}
	if diff := cmp.Diff([]string{"/api d2", "/web d1"}, sentB.changes); diff != "" {
		t.Errorf("B sent (-want +got):\n%s", diff)
	}

	// A change pending for longer than a day is dropped, and saved so.
	b.observe(t.Context(), pass{st: leading([]status.App{app("/web", "d3")}, write("/web", "d3"))})
	now = now.Add(maxPendingAge - time.Second)
	b.observe(t.Context(), pass{st: leading([]status.App{app("/web", "d3")})})
	if got := pending(store); !slices.Equal(got, []string{"/web d3"}) || store.saves != 4 {
		t.Errorf("within a day: pending %v, %d saves", got, store.saves)
	}
	now = now.Add(2 * time.Second)
	b.observe(t.Context(), pass{st: leading([]status.App{app("/web", "d3")})})
	if got := pending(store); len(got) != 0 || store.saves != 5 {
		t.Errorf("after a day: pending %v, %d saves", got, store.saves)
	}
	b.observe(t.Context(), pass{st: leading([]status.App{app("/web")})})
	if diff := cmp.Diff([]string{"/api d2", "/web d1"}, sentB.changes); diff != "" {
		t.Errorf("B sent the dropped change (-want +got):\n%s", diff)
	}
}
