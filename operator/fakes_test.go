package operator

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"pacer.dev/pacer/reconciler/reconcilertest"
)

const (
	api    = "/services/web/production/api"
	worker = "/services/web/production/worker"
	stgAPI = "/services/web/staging/api"
	stgWrk = "/services/web/staging/worker"
)

// specTree is a valid spec tree: production automated (prune), staging
// manual; api has the given instance count.
func specTree(apiInstances string) fstest.MapFS {
	return fstest.MapFS{"specs.yaml": {Data: []byte(`apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}}
    staging: {clusters: [ams], sync: {policy: manual}}
  apps:
    api: {instances: ` + apiInstances + `, cpus: 0.5, mem: 128, cmd: "sleep 1000"}
    worker: {instances: 1, cpus: 0.5, mem: 64, cmd: "sleep 1000"}
`)}}
}

var invalidTree = fstest.MapFS{"specs.yaml": {Data: []byte("apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: web}\nspec:\n  apps:\n    api: {cpus: -1}\n")}}

// fakeSource hands out whatever revision the test set last.
type fakeSource struct {
	mu  sync.Mutex
	rev Revision
	err error
}

func (s *fakeSource) set(id string, fsys fstest.MapFS) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rev = Revision{ID: id, Subject: "commit " + id, FS: fsys}
}

func (s *fakeSource) Sync(context.Context) (Revision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rev, s.err
}

// fakeClock fires timers only when the test advances it, and reports every
// wait the operator starts on waits, so the test knows the loop is idle.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	waits  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), waits: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	}
	c.waits <- d
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// nextWait returns the duration of the next wait the operator starts.
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("operator never waited")
		return 0
	}
}

// fakeEvents hands the operator's callback to the test.
type fakeEvents struct{ fn chan func(Event) }

func (e *fakeEvents) Stream(ctx context.Context, fn func(Event)) error {
	e.fn <- fn
	<-ctx.Done()
	return ctx.Err()
}

// harness runs an operator on fakes and collects its passes.
type harness struct {
	t       *testing.T
	clock   *fakeClock
	source  *fakeSource
	mar     *reconcilertest.FakeMarathon
	trigger chan struct{}
	passes  chan Status
	op      *Operator
	done    chan error
	cancel  context.CancelFunc
}

func newHarness(t *testing.T, m Marathon, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), source: &fakeSource{}, trigger: make(chan struct{}, 1), passes: make(chan Status, 100), done: make(chan error, 1)}
	h.source.set("rev1", specTree("2"))
	if fm, ok := m.(*reconcilertest.FakeMarathon); ok {
		h.mar = fm
	}
	opts := Options{
		Cluster: "ams", Source: h.source, Marathon: m, Trigger: h.trigger, Clock: h.clock,
		Jitter: func() float64 { return 0.5 }, Metrics: NewMetrics(),
		OnPass: func(s Status) { h.passes <- s },
	}
	if mod != nil {
		mod(&opts)
	}
	op, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.op = op
	return h
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(h.t.Context())
	h.cancel = cancel
	go func() { h.done <- h.op.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		<-h.done
	})
}

func (h *harness) pass() Status {
	h.t.Helper()
	select {
	case s := <-h.passes:
		return s
	case <-time.After(10 * time.Second):
		h.t.Fatal("no pass")
		return Status{}
	}
}

// writes lists the write calls to the fake Marathon.
func (h *harness) writes() []string {
	var out []string
	for _, c := range h.mar.Calls() {
		if !strings.HasPrefix(c, "ListApps") && !strings.HasPrefix(c, "Deployments") && !strings.HasPrefix(c, "Queue") {
			out = append(out, c)
		}
	}
	return out
}

func appsByID(s Status) map[string]AppStatus {
	m := map[string]AppStatus{}
	for _, a := range s.Apps {
		m[a.ID] = a
	}
	return m
}
