package lb

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
)

// TestHAProxyRuntimeResolvedHosts: tasks on an agent known by name. With
// a HostCache, a task passing its health check again reaches the running
// HAProxy through the stats socket: no reload, the same worker. Without
// one, the same change needs a reload (the runtime API takes addresses
// only).
//
// The resolver case names its agent agent-1.test, which only the injected
// Lookup knows; HAProxy itself never sees the name. The case without
// resolver needs a name HAProxy resolves when it loads the config:
// localhost, from /etc/hosts.
func TestHAProxyRuntimeResolvedHosts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		host     string
		resolver bool
	}{
		{name: "HostCache", host: "agent-1.test", resolver: true},
		{name: "no resolver", host: "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			web1, web2 := namedHTTP(t, "web-1"), namedHTTP(t, "web-2")
			web := func(host string, alive2 bool) marathon.Application {
				return app("/shop/web", withPorts(0), withLabel("HAPROXY_0_VHOST", "web.test"), withHealthCheck("HTTP"),
					withTasks(task(1, onHost(host), ports(web1), withTaskID("web.1"), health(true)),
						task(2, onHost(host), ports(web2), withTaskID("web.2"), health(alive2))))
			}
			var lookups atomic.Int64
			var r *haproxyRig
			if tc.resolver {
				// HAProxy cannot resolve agent-1.test: it starts on the
				// address, then the pipeline gets the name and a resolver.
				r = newHAProxyRig(t, web("127.0.0.1", false))
				r.p.Resolver = &HostCache{Clock: newStepClock(), Lookup: func(_ context.Context, host string) ([]net.IP, error) {
					lookups.Add(1)
					if host != "agent-1.test" {
						return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
					}
					return []net.IP{net.ParseIP("127.0.0.1")}, nil
				}}
				if st := r.pass(web(tc.host, false)); st.Changed || st.Err != nil {
					t.Fatalf("same tasks by name: %+v, want the config unchanged", st)
				}
			} else {
				r = newHAProxyRig(t, web(tc.host, false))
			}
			checkServing(t, r.c, "web.test", "web-1")
			worker, err := r.workerPid()
			if err != nil {
				t.Fatal(err)
			}

			st := r.pass(web(tc.host, true))
			if st.Err != nil || !st.Changed {
				t.Fatalf("health change: %+v", st)
			}
			if st.Runtime != tc.resolver || st.Reloaded == tc.resolver {
				t.Errorf("health change: runtime %t, reloaded %t; want runtime %t, reloaded %t",
					st.Runtime, st.Reloaded, tc.resolver, !tc.resolver)
			}
			checkServing(t, r.c, "web.test", "web-1", "web-2")
			if tc.resolver {
				if w, err := r.workerPid(); err != nil || w != worker {
					t.Errorf("worker pid %q (%v) after the health change, want %s: HAProxy was reloaded", w, err, worker)
				}
				// Down and up again, still through the socket; the name was
				// looked up once, then served from the cache.
				for _, alive := range []bool{false, true} {
					if st := r.pass(web(tc.host, alive)); !st.Runtime || st.Reloaded || st.Err != nil {
						t.Fatalf("health change to %t: %+v, want a runtime update", alive, st)
					}
				}
				checkServing(t, r.c, "web.test", "web-1", "web-2")
				if w, err := r.workerPid(); err != nil || w != worker {
					t.Errorf("worker pid %q (%v) after the health changes, want %s", w, err, worker)
				}
				if n := lookups.Load(); n != 1 {
					t.Errorf("%d lookups of agent-1.test, want 1", n)
				}
				return
			}
			eventually(t, 10*time.Second, func() error {
				if w, err := r.workerPid(); err != nil || w == worker {
					return fmt.Errorf("worker %q (%v), want a new one after the reload", w, err)
				}
				return nil
			})
		})
	}
}
