package lb

import (
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestHealthMemoryFailover: after a leader failover Marathon reports no
// health results for a while; the LB keeps the last known health for the
// grace period instead of emptying (marathon#3419, traefik#653).
func TestHealthMemoryFailover(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)}
	mem := NewHealthMemory(30*time.Second, clock.now)
	state := func(tasks ...*marathon.Task) []marathon.Application {
		return []marathon.Application{app("/web", withPorts(10000), withHealthCheck("HTTP"), withTasks(tasks...))}
	}
	servers := func(apps []marathon.Application) []Server {
		return Backends(t.Context(), apps, SelectOptions{Flavor: FlavorNixy}, mem).Backends[0].Servers
	}

	steps := []struct {
		name    string
		advance time.Duration
		apps    []marathon.Application
		want    []Server
	}{
		{"healthy and unhealthy reported", 0, state(task(1, health(true)), task(2, health(false))), []Server{srv(1)}},
		{"failover: results gone, last health kept", 5 * time.Second, state(task(1), task(2)), []Server{srv(1)}},
		{"new task without results does not serve", 5 * time.Second, state(task(1), task(2), task(3)), []Server{srv(1)}},
		{"grace over: unknown health does not serve", 25 * time.Second, state(task(1), task(2), task(3)), nil},
		{"results back", time.Second, state(task(1, health(true)), task(2, health(true)), task(3, health(true))), []Server{srv(1), srv(2), srv(3)}},
	}
	for _, s := range steps {
		clock.advance(s.advance)
		if diff := cmp.Diff(s.want, servers(s.apps), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: servers (-want +got):\n%s", s.name, diff)
		}
	}

	// Tasks that disappear are forgotten.
	servers(state(task(3, health(true))))
	if got := mem.Len(); got != 1 {
		t.Errorf("memory holds %d tasks after two left, want 1", got)
	}
}

func TestHealthMemoryNil(t *testing.T) {
	apps := []marathon.Application{app("/web", withPorts(10000), withHealthCheck("HTTP"), withTasks(task(1)))}
	got := Backends(t.Context(), apps, SelectOptions{Flavor: FlavorNixy}, nil)
	if n := len(got.Backends[0].Servers); n != 0 {
		t.Errorf("without memory a task with no health results must not serve, got %d servers", n)
	}
}
