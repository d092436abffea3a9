package election

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
)

// testSession is short so that expiry tests take a second, not ten.
const testSession = time.Second

// term is one leader term as seen by the instance's own onElected.
type term struct {
	id         string
	start, end time.Time
}

// recorder records leader terms across instances and fails the test the
// moment two overlap.
type recorder struct {
	t      testing.TB
	mu     sync.Mutex
	active map[string]time.Time
	terms  []term
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, active: map[string]time.Time{}}
}

// onElected is the leader's work: it "writes" until its context ends.
func (r *recorder) onElected(id string) func(context.Context) {
	return func(ctx context.Context) {
		r.begin(id)
		<-ctx.Done()
		r.end(id)
	}
}

func (r *recorder) begin(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for other := range r.active {
		r.t.Errorf("%s elected while %s still leads", id, other)
	}
	r.active[id] = time.Now()
}

func (r *recorder) end(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.terms = append(r.terms, term{id: id, start: r.active[id], end: time.Now()})
	delete(r.active, id)
}

// termsOf returns the closed terms of id.
func (r *recorder) termsOf(id string) []term {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []term
	for _, tm := range r.terms {
		if tm.id == id {
			out = append(out, tm)
		}
	}
	return out
}

// checkNoOverlap asserts that terms, open ones included, never overlap.
func (r *recorder) checkNoOverlap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := append([]term(nil), r.terms...)
	for id, start := range r.active {
		all = append(all, term{id: id, start: start, end: time.Now().Add(time.Hour)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	for i := 1; i < len(all); i++ {
		if all[i].start.Before(all[i-1].end) {
			r.t.Errorf("terms overlap: %s [%s] and %s started %s before the other ended",
				all[i-1].id, all[i-1].end.Sub(all[i-1].start), all[i].id, all[i-1].end.Sub(all[i].start))
		}
	}
}

// instance is one running Elector.
type instance struct {
	t    testing.TB
	id   string
	e    *Elector
	stop context.CancelFunc
	done chan struct{}
	err  error
}

func startInstance(t *testing.T, rec *recorder, id string, servers ...string) *instance {
	t.Helper()
	e, err := New(Options{Servers: servers, Path: "/pacer/" + t.Name(), ID: id,
		SessionTimeout: testSession, RetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(logr.NewContext(t.Context(), testr.New(t).WithValues("instance", id)))
	in := &instance{t: t, id: id, e: e, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		in.err = e.Run(ctx, rec.onElected(id))
	}()
	t.Cleanup(in.close)
	return in
}

// close stops the instance and waits for Run to return; it may be called
// more than once.
func (in *instance) close() {
	in.stop()
	<-in.done
	if in.err != nil {
		in.t.Errorf("Run of %s returned %v", in.id, in.err)
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		<-tick.C
	}
}

// leaders returns the IDs of instances that report Leader.
func leaders(ins ...*instance) []string {
	var out []string
	for _, in := range ins {
		if in.e.State() == Leader {
			out = append(out, in.id)
		}
	}
	return out
}

func states(ins ...*instance) string {
	s := ""
	for _, in := range ins {
		s += fmt.Sprintf("%s=%s ", in.id, in.e.State())
	}
	return s
}
