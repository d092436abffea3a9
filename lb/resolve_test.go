package lb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
)

// fakeDNS answers lookups from a table of comma-separated addresses (a
// missing host does not resolve) and counts them.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string]string
	calls   map[string]int
	// during, when set, runs inside every lookup (to move a clock).
	during func()
}

func newFakeDNS(answers map[string]string) *fakeDNS {
	return &fakeDNS{answers: answers, calls: map[string]int{}}
}

func (d *fakeDNS) set(host, answer string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.answers[host] = answer
}

func (d *fakeDNS) lookups() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int{}
	for h, n := range d.calls {
		out[h] = n
	}
	return out
}

func (d *fakeDNS) lookup(_ context.Context, host string) ([]net.IP, error) {
	if d.during != nil {
		d.during()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls[host]++
	answer, ok := d.answers[host]
	if !ok || answer == "" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var ips []net.IP
	for _, a := range strings.Split(answer, ",") {
		ips = append(ips, net.ParseIP(a))
	}
	return ips, nil
}

// onHosts is one backend with a server per host, on ports 31001, 31002, ...
func onHosts(hosts ...string) []Backend {
	b := Backend{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP}
	for i, h := range hosts {
		b.Servers = append(b.Servers, Server{TaskID: fmt.Sprintf("t%d", i+1), Host: h, Port: 31001 + i})
	}
	return []Backend{b}
}

func TestHostCacheResolve(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers map[string]string
		in      []Backend
		want    []Backend
		lookups map[string]int
	}{{
		name: "IP literals untouched",
		in:   onHosts("10.0.0.1", "2001:db8::1", "::ffff:10.0.0.2"),
		want: onHosts("10.0.0.1", "2001:db8::1", "::ffff:10.0.0.2"),
	}, {
		name:    "name resolved",
		answers: map[string]string{"agent-1.dc1": "10.1.0.1"},
		in:      onHosts("agent-1.dc1"),
		want:    onHosts("10.1.0.1"),
		lookups: map[string]int{"agent-1.dc1": 1},
	}, {
		name:    "IPv4 preferred",
		answers: map[string]string{"agent-1.dc1": "2001:db8::1,10.1.0.9,2001:db8::0"},
		in:      onHosts("agent-1.dc1"),
		want:    onHosts("10.1.0.9"),
		lookups: map[string]int{"agent-1.dc1": 1},
	}, {
		name:    "IPv6 when no IPv4",
		answers: map[string]string{"agent-1.dc1": "2001:db8::9,2001:db8::10"},
		in:      onHosts("agent-1.dc1"),
		want:    onHosts("2001:db8::9"),
		lookups: map[string]int{"agent-1.dc1": 1},
	}, {
		// Numerically lowest, whatever the order of the answer: 10.1.0.2,
		// not the string-lowest 10.1.0.10.
		name:    "lowest address",
		answers: map[string]string{"a.dc1": "10.1.0.9,10.1.0.10,10.1.0.2", "b.dc1": "10.1.0.2,10.1.0.9,10.1.0.10"},
		in:      onHosts("a.dc1", "b.dc1"),
		want:    onHosts("10.1.0.2", "10.1.0.2"),
		lookups: map[string]int{"a.dc1": 1, "b.dc1": 1},
	}, {
		name:    "unresolvable name left",
		answers: map[string]string{"agent-1.dc1": "10.1.0.1"},
		in:      onHosts("agent-1.dc1", "gone.dc1"),
		want:    onHosts("10.1.0.1", "gone.dc1"),
		lookups: map[string]int{"agent-1.dc1": 1, "gone.dc1": 1},
	}, {
		name:    "one lookup per name",
		answers: map[string]string{"agent-1.dc1": "10.1.0.1"},
		in:      append(onHosts("agent-1.dc1", "agent-1.dc1"), onHosts("agent-1.dc1")...),
		want:    append(onHosts("10.1.0.1", "10.1.0.1"), onHosts("10.1.0.1")...),
		lookups: map[string]int{"agent-1.dc1": 1},
	}, {
		name:    "servers sorted by address again",
		answers: map[string]string{"a.dc1": "10.1.0.2", "b.dc1": "10.1.0.1"},
		in:      onHosts("a.dc1", "b.dc1"),
		want: []Backend{{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Servers: []Server{
			{TaskID: "t2", Host: "10.1.0.1", Port: 31002}, {TaskID: "t1", Host: "10.1.0.2", Port: 31001},
		}}},
		lookups: map[string]int{"a.dc1": 1, "b.dc1": 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dns := newFakeDNS(tc.answers)
			h := &HostCache{Lookup: dns.lookup, Clock: newStepClock()}
			h.Resolve(t.Context(), tc.in)
			if diff := cmp.Diff(tc.want, tc.in); diff != "" {
				t.Errorf("backends (-want +got):\n%s", diff)
			}
			if tc.lookups == nil {
				tc.lookups = map[string]int{}
			}
			if diff := cmp.Diff(tc.lookups, dns.lookups()); diff != "" {
				t.Errorf("lookups (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostCacheTimeline resolves one name pass after pass while the clock
// moves and the DNS answer changes: TTL, stale-if-error, negative cache,
// and the V(0) log line of a failing refresh, once per failure streak.
func TestHostCacheTimeline(t *testing.T) {
	type step struct {
		advance time.Duration
		answer  string // "" does not resolve
		want    string // host after Resolve
		lookups int    // so far
		logs    int    // V(0) lines so far
	}
	const name = "agent-1.dc1"
	for _, tc := range []struct {
		name             string
		ttl, negativeTTL time.Duration
		steps            []step
	}{{
		name: "cached for the TTL, then refreshed",
		steps: []step{
			{answer: "10.1.0.1", want: "10.1.0.1", lookups: 1},
			{advance: 5*time.Minute - time.Second, answer: "10.1.0.2", want: "10.1.0.1", lookups: 1},
			{advance: time.Second, answer: "10.1.0.2", want: "10.1.0.2", lookups: 2},
			{advance: time.Second, answer: "10.1.0.3", want: "10.1.0.2", lookups: 2},
		},
	}, {
		name: "custom TTL",
		ttl:  time.Minute,
		steps: []step{
			{answer: "10.1.0.1", want: "10.1.0.1", lookups: 1},
			{advance: time.Minute, answer: "10.1.0.2", want: "10.1.0.2", lookups: 2},
		},
	}, {
		name: "stale if error, retried after the negative TTL, logged once",
		steps: []step{
			{answer: "10.1.0.1", want: "10.1.0.1", lookups: 1},
			{advance: 5 * time.Minute, answer: "", want: "10.1.0.1", lookups: 2, logs: 1},
			{advance: 29 * time.Second, answer: "10.1.0.2", want: "10.1.0.1", lookups: 2, logs: 1},
			{advance: time.Second, answer: "", want: "10.1.0.1", lookups: 3, logs: 1},
			{advance: 30 * time.Second, answer: "10.1.0.2", want: "10.1.0.2", lookups: 4, logs: 1},
			{advance: 5 * time.Minute, answer: "", want: "10.1.0.2", lookups: 5, logs: 2},
		},
	}, {
		name: "negative cache",
		steps: []step{
			{answer: "", want: name, lookups: 1},
			{advance: 29 * time.Second, answer: "10.1.0.1", want: name, lookups: 1},
			{advance: time.Second, answer: "10.1.0.1", want: "10.1.0.1", lookups: 2},
		},
	}, {
		name:        "custom negative TTL",
		negativeTTL: 5 * time.Second,
		steps: []step{
			{answer: "", want: name, lookups: 1},
			{advance: 4 * time.Second, answer: "", want: name, lookups: 1},
			{advance: time.Second, answer: "10.1.0.1", want: "10.1.0.1", lookups: 2},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var logs atomic.Int64
			log := funcr.New(func(string, string) { logs.Add(1) }, funcr.Options{Verbosity: 0})
			ctx := logr.NewContext(t.Context(), log)
			clock := newStepClock()
			dns := newFakeDNS(map[string]string{})
			h := &HostCache{Lookup: dns.lookup, Clock: clock, TTL: tc.ttl, NegativeTTL: tc.negativeTTL}
			for i, s := range tc.steps {
				clock.Advance(s.advance)
				dns.set(name, s.answer)
				bs := onHosts(name)
				h.Resolve(ctx, bs)
				got := step{advance: s.advance, answer: s.answer, want: bs[0].Servers[0].Host,
					lookups: dns.lookups()[name], logs: int(logs.Load())}
				if diff := cmp.Diff(s, got, cmp.AllowUnexported(step{})); diff != "" {
					t.Errorf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestHostCacheTimeout: a lookup that hangs is given up after Timeout and
// the name left as is (and negatively cached); a pass stops starting
// lookups once Timeout has passed, so it waits on DNS for less than twice
// Timeout however many names hang. Time is synctest's.
func TestHostCacheTimeout(t *testing.T) {
	for _, tc := range []struct {
		name        string
		names       int
		timeout     time.Duration
		concurrency int
		wantTook    time.Duration
		wantLookups int
	}{
		{name: "one name, default timeout", names: 1, wantTook: 2 * time.Second, wantLookups: 1},
		{name: "custom timeout", names: 1, timeout: 100 * time.Millisecond, wantTook: 100 * time.Millisecond, wantLookups: 1},
		{name: "more names than workers", names: 40, wantTook: 2 * time.Second, wantLookups: 16},
		{name: "one worker", names: 5, concurrency: 1, wantTook: 2 * time.Second, wantLookups: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var lookups atomic.Int64
				var errs []error
				var mu sync.Mutex
				h := &HostCache{Timeout: tc.timeout, Concurrency: tc.concurrency,
					Lookup: func(ctx context.Context, _ string) ([]net.IP, error) {
						lookups.Add(1)
						<-ctx.Done()
						mu.Lock()
						defer mu.Unlock()
						errs = append(errs, ctx.Err())
						return nil, ctx.Err()
					}}
				var hosts []string
				for i := range tc.names {
					hosts = append(hosts, fmt.Sprintf("agent-%02d.dc1", i))
				}
				bs := onHosts(hosts...)
				start := time.Now()
				h.Resolve(t.Context(), bs)
				if took := time.Since(start); took != tc.wantTook {
					t.Errorf("Resolve took %v, want %v", took, tc.wantTook)
				}
				if diff := cmp.Diff(onHosts(hosts...), bs); diff != "" {
					t.Errorf("backends (-want +got):\n%s", diff)
				}
				if n := int(lookups.Load()); n != tc.wantLookups {
					t.Errorf("%d lookups, want %d", n, tc.wantLookups)
				}
				for _, err := range errs {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("lookup ended with %v, want its deadline", err)
					}
				}
				// The next pass looks up only the names not tried yet: the
				// others are negatively cached.
				lookups.Store(0)
				h.Resolve(t.Context(), onHosts(hosts...))
				if n, want := int(lookups.Load()), min(tc.names-tc.wantLookups, cmpOrInt(tc.concurrency, 16)); n != want {
					t.Errorf("next pass: %d lookups, want %d", n, want)
				}
			})
		})
	}
}

// TestHostCachePassDeadline: with the injected clock, a pass whose lookups
// are slow stops starting new ones once Timeout has passed; the names left
// are not cached, so the next pass looks them up.
func TestHostCachePassDeadline(t *testing.T) {
	clock := newStepClock()
	dns := newFakeDNS(map[string]string{"a.dc1": "10.1.0.1", "b.dc1": "10.1.0.2", "c.dc1": "10.1.0.3"})
	dns.during = func() { clock.Advance(1500 * time.Millisecond) }
	h := &HostCache{Lookup: dns.lookup, Clock: clock, Concurrency: 1}

	bs := onHosts("a.dc1", "b.dc1", "c.dc1")
	h.Resolve(t.Context(), bs)
	if diff := cmp.Diff(onHosts("10.1.0.1", "10.1.0.2", "c.dc1"), bs); diff != "" {
		t.Errorf("first pass (-want +got):\n%s", diff)
	}
	bs = onHosts("a.dc1", "b.dc1", "c.dc1")
	h.Resolve(t.Context(), bs)
	if diff := cmp.Diff(onHosts("10.1.0.1", "10.1.0.2", "10.1.0.3"), bs); diff != "" {
		t.Errorf("second pass (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"a.dc1": 1, "b.dc1": 1, "c.dc1": 1}, dns.lookups()); diff != "" {
		t.Errorf("lookups (-want +got):\n%s", diff)
	}
}

// TestHostCacheCanceledPass: lookups cut short because the pipeline stops
// are not cached as failures.
func TestHostCacheCanceledPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lookups atomic.Int64
		h := &HostCache{Lookup: func(ctx context.Context, _ string) ([]net.IP, error) {
			if lookups.Add(1) == 1 {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return []net.IP{net.ParseIP("10.1.0.1")}, nil
		}}
		ctx, cancel := context.WithCancel(t.Context())
		bs := onHosts("agent-1.dc1")
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.Resolve(ctx, bs)
		}()
		synctest.Wait()
		cancel()
		<-done
		if diff := cmp.Diff(onHosts("agent-1.dc1"), bs); diff != "" {
			t.Errorf("canceled pass (-want +got):\n%s", diff)
		}
		bs = onHosts("agent-1.dc1")
		h.Resolve(t.Context(), bs)
		if diff := cmp.Diff(onHosts("10.1.0.1"), bs); diff != "" {
			t.Errorf("next pass (-want +got):\n%s", diff)
		}
		if n := lookups.Load(); n != 2 {
			t.Errorf("%d lookups, want 2", n)
		}
	})
}

// TestHostCacheConcurrency: the distinct names of a pass are looked up
// concurrently, never more than Concurrency at once. synctest.Wait
// returns when every lookup that can start has started and blocks.
func TestHostCacheConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name         string
		names        int
		concurrency  int
		wantInFlight int
	}{
		{name: "bounded", names: 10, concurrency: 3, wantInFlight: 3},
		{name: "default bound", names: 40, wantInFlight: 16},
		{name: "fewer names than the bound", names: 5, wantInFlight: 5},
		{name: "sequential", names: 4, concurrency: 1, wantInFlight: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var inFlight, total atomic.Int64
				release := make(chan struct{})
				h := &HostCache{Concurrency: tc.concurrency,
					Lookup: func(ctx context.Context, host string) ([]net.IP, error) {
						inFlight.Add(1)
						defer inFlight.Add(-1)
						total.Add(1)
						select {
						case <-release:
							return []net.IP{net.ParseIP("10.1.0.1")}, nil
						case <-ctx.Done():
							return nil, ctx.Err()
						}
					}}
				var hosts []string
				for i := range tc.names {
					hosts = append(hosts, fmt.Sprintf("agent-%02d.dc1", i))
				}
				bs := onHosts(hosts...)
				done := make(chan struct{})
				go func() {
					defer close(done)
					h.Resolve(t.Context(), bs)
				}()
				synctest.Wait()
				if n := int(inFlight.Load()); n != tc.wantInFlight {
					t.Errorf("%d lookups in flight, want %d", n, tc.wantInFlight)
				}
				close(release)
				<-done
				if n := int(total.Load()); n != tc.names {
					t.Errorf("%d lookups, want %d", n, tc.names)
				}
				for _, s := range bs[0].Servers {
					if s.Host != "10.1.0.1" {
						t.Errorf("server %s on %s, want 10.1.0.1", s.TaskID, s.Host)
					}
				}
			})
		})
	}
}

// TestHostCacheHitAllocs: a pass whose names are all cached allocates
// nothing and looks nothing up.
func TestHostCacheHitAllocs(t *testing.T) {
	dns := newFakeDNS(map[string]string{"a.dc1": "10.1.0.1", "b.dc1": "10.1.0.2"})
	h := &HostCache{Lookup: dns.lookup, Clock: newStepClock()}
	named := onHosts("b.dc1", "a.dc1", "10.0.0.3", "a.dc1")[0].Servers
	bs := onHosts("b.dc1", "a.dc1", "10.0.0.3", "a.dc1")
	ctx := t.Context()
	h.Resolve(ctx, bs)
	allocs := testing.AllocsPerRun(100, func() {
		copy(bs[0].Servers, named)
		h.Resolve(ctx, bs)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per cached pass, want 0", allocs)
	}
	want := []Server{{TaskID: "t3", Host: "10.0.0.3", Port: 31003}, {TaskID: "t2", Host: "10.1.0.1", Port: 31002},
		{TaskID: "t4", Host: "10.1.0.1", Port: 31004}, {TaskID: "t1", Host: "10.1.0.2", Port: 31001}}
	if diff := cmp.Diff(want, bs[0].Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"a.dc1": 1, "b.dc1": 1}, dns.lookups()); diff != "" {
		t.Errorf("lookups (-want +got):\n%s", diff)
	}
}

// TestHostCachePrune: names no pass has needed for a TTL are forgotten;
// those in use are not.
func TestHostCachePrune(t *testing.T) {
	clock := newStepClock()
	dns := newFakeDNS(map[string]string{"old.dc1": "10.1.0.1", "new.dc1": "10.1.0.2", "kept.dc1": "10.1.0.3"})
	h := &HostCache{Lookup: dns.lookup, Clock: clock}
	h.Resolve(t.Context(), onHosts("old.dc1", "kept.dc1"))
	clock.Advance(10 * time.Minute)
	h.Resolve(t.Context(), onHosts("new.dc1", "kept.dc1"))
	h.mu.Lock()
	defer h.mu.Unlock()
	var got []string
	for name := range h.hosts {
		got = append(got, name)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"kept.dc1", "new.dc1"}, got); diff != "" {
		t.Errorf("cached names (-want +got):\n%s", diff)
	}
}

// TestHostCacheConcurrentUse: Resolve may be called from several
// goroutines at once (run with -race).
func TestHostCacheConcurrentUse(t *testing.T) {
	dns := newFakeDNS(map[string]string{"a.dc1": "10.1.0.1", "b.dc1": "10.1.0.2"})
	h := &HostCache{Lookup: dns.lookup, Clock: newStepClock()}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			bs := onHosts("a.dc1", "b.dc1")
			h.Resolve(t.Context(), bs)
			if diff := cmp.Diff(onHosts("10.1.0.1", "10.1.0.2"), bs); diff != "" {
				t.Errorf("backends (-want +got):\n%s", diff)
			}
		})
	}
	wg.Wait()
}

// BenchmarkHostCacheHit is the cost of a pass whose names are all cached:
// 1,000 backends of 10 servers on 100 named agents. Each iteration first
// copies the named servers back in (10,000 Server copies, no allocation),
// as Backends would hand them over.
func BenchmarkHostCacheHit(b *testing.B) {
	dns := newFakeDNS(map[string]string{})
	for i := range 100 {
		dns.answers[fmt.Sprintf("mesos-agent-%d.dc1", i)] = fmt.Sprintf("10.2.%d.%d", i/256, i%256)
	}
	named := make([][]Server, 1000)
	backends := make([]Backend, len(named))
	for i := range named {
		for j := range 10 {
			named[i] = append(named[i], Server{TaskID: fmt.Sprintf("t%d.%d", i, j),
				Host: fmt.Sprintf("mesos-agent-%d.dc1", (i*10+j)%100), Port: 31000 + j})
		}
		sortServers(named[i])
		backends[i] = Backend{Name: fmt.Sprintf("app%d_0", i), Protocol: ProtocolHTTP, Servers: slices.Clone(named[i])}
	}
	h := &HostCache{Lookup: dns.lookup, Clock: newStepClock()}
	ctx := b.Context()
	h.Resolve(ctx, backends)
	if n := len(dns.lookups()); n != 100 {
		b.Fatalf("%d names looked up, want 100", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range backends {
			copy(backends[i].Servers, named[i])
		}
		h.Resolve(ctx, backends)
	}
	if s := backends[999].Servers[0]; !isIPLiteral(s.Host) {
		b.Fatalf("server %s on %s, want an address", s.TaskID, s.Host)
	}
}
