package lb

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// HostCache is a Resolver that turns the agent host names of servers into
// IP addresses, so that task changes on agents known by name can go through
// a runtime API that takes addresses only (HAProxy's stats socket, nginx's
// Lua balancer).
//
// A name resolves to its lowest IPv4 address, or to its lowest IPv6 address
// when it has none, so renders are stable. Addresses are kept for TTL, then
// looked up again; when that lookup fails the last good address is kept
// (logged once) and the lookup retried after NegativeTTL. A name that does
// not resolve is left as it is, for the load balancer to resolve at reload
// (and the validator to name), and not looked up again for NegativeTTL.
//
// Resolve never waits long on DNS: the names missing from the cache are
// looked up Concurrency at a time, each for at most Timeout, and no lookup
// starts once Timeout has passed since the pass began (the names left are
// looked up on the next pass). A pass whose names are all cached looks each
// up in a map, without allocating. The zero value is ready to use; it is
// safe for concurrent use.
type HostCache struct {
	// Lookup resolves a host name and returns when ctx is done; nil means
	// net.DefaultResolver.LookupIP(ctx, "ip", host).
	Lookup func(ctx context.Context, host string) ([]net.IP, error)
	// Clock times the cache entries; nil means RealClock.
	Clock Clock
	// TTL is how long an address is used before it is looked up again;
	// zero means 5m.
	TTL time.Duration
	// NegativeTTL is how long a failed lookup is not retried; zero means 30s.
	NegativeTTL time.Duration
	// Timeout bounds one lookup, and the time a pass keeps starting new
	// ones; zero means 2s.
	Timeout time.Duration
	// Concurrency is the most lookups in flight at once; zero means 16.
	Concurrency int

	mu    sync.Mutex
	hosts map[string]*hostEntry
}

var _ Resolver = (*HostCache)(nil)

// hostEntry is what the cache knows of one host name.
type hostEntry struct {
	// addr is the last address the name resolved to; "" if it never did.
	addr string
	// next is when the name is due to be looked up again.
	next time.Time
	// failing is true while lookups of the name fail (logged once).
	failing bool
}

// hostLookup is the outcome of looking up one name of a pass.
type hostLookup struct {
	done bool // false when not looked up (the pass ran out of time or was canceled)
	addr string
	err  error
}

// Resolve implements Resolver. Servers whose hosts it rewrites are sorted
// again, so a backend's servers stay sorted by address.
func (h *HostCache) Resolve(ctx context.Context, backends []Backend) {
	start := h.clock().Now()
	h.mu.Lock()
	due := h.rewrite(backends, start, true)
	h.mu.Unlock()
	if len(due) == 0 {
		return
	}
	names := make([]string, 0, len(due))
	for name := range due {
		names = append(names, name)
	}
	slices.Sort(names)
	found := h.lookupAll(ctx, names, start)

	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock().Now()
	log := logr.FromContextOrDiscard(ctx)
	for i, name := range names {
		if found[i].done {
			h.store(log, name, found[i], now)
		}
	}
	h.prune(now, due)
	h.rewrite(backends, now, false)
}

// rewrite replaces the host names of servers by their cached addresses. In
// the first walk (collect) it uses fresh entries only and returns the names
// due for a lookup (nil when none: a pass of cache hits allocates nothing);
// after the lookups it uses any address known, stale or not.
func (h *HostCache) rewrite(backends []Backend, now time.Time, collect bool) map[string]struct{} {
	var due map[string]struct{}
	for bi := range backends {
		servers := backends[bi].Servers
		changed := false
		for si := range servers {
			host := servers[si].Host
			if host == "" || isIPLiteral(host) {
				continue
			}
			e := h.hosts[host]
			if collect && (e == nil || !now.Before(e.next)) {
				if due == nil {
					due = make(map[string]struct{})
				}
				due[host] = struct{}{}
				continue
			}
			if e != nil && e.addr != "" {
				servers[si].Host = e.addr
				changed = true
			}
		}
		if changed {
			sortServers(servers)
		}
	}
	return due
}

// lookupAll looks names up, at most Concurrency at a time; found[i] is the
// outcome for names[i], not done when it was not looked up before the pass
// ran out of time or ctx was canceled.
func (h *HostCache) lookupAll(ctx context.Context, names []string, start time.Time) []hostLookup {
	found := make([]hostLookup, len(names))
	stopStarting := start.Add(h.timeout())
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(names), cmpOrInt(h.Concurrency, 16)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(names) || ctx.Err() != nil || !h.clock().Now().Before(stopStarting) {
					return
				}
				r := h.lookup(ctx, names[i])
				if ctx.Err() == nil { // a canceled pass teaches nothing
					found[i] = r
				}
			}
		})
	}
	wg.Wait()
	return found
}

func (h *HostCache) lookup(ctx context.Context, host string) hostLookup {
	ctx, cancel := context.WithTimeout(ctx, h.timeout())
	defer cancel()
	lookup := h.Lookup
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]net.IP, error) {
			return net.DefaultResolver.LookupIP(ctx, "ip", host)
		}
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return hostLookup{done: true, err: err}
	}
	addr, ok := pickAddr(ips)
	if !ok {
		return hostLookup{done: true, err: &net.DNSError{Err: "no usable address", Name: host, IsNotFound: true}}
	}
	return hostLookup{done: true, addr: addr}
}

// store records the outcome of a lookup. A failure keeps the last good
// address and is logged once, when the name starts failing.
func (h *HostCache) store(log logr.Logger, host string, r hostLookup, now time.Time) {
	if h.hosts == nil {
		h.hosts = make(map[string]*hostEntry)
	}
	e := h.hosts[host]
	if e == nil {
		e = &hostEntry{}
		h.hosts[host] = e
	}
	if r.err == nil {
		if e.addr != "" && e.addr != r.addr {
			log.V(1).Info("Host name moved to a new address", "host", host, "from", e.addr, "to", r.addr)
		}
		e.addr, e.failing = r.addr, false
		e.next = now.Add(cmpOrDur(h.TTL, 5*time.Minute))
		return
	}
	e.next = now.Add(cmpOrDur(h.NegativeTTL, 30*time.Second))
	if !e.failing {
		if e.addr != "" {
			log.Info("Cannot look up host name, keeping its last address", "host", host, "address", e.addr, "error", r.err.Error())
		} else {
			log.V(1).Info("Cannot resolve host name, leaving it to the load balancer", "host", host, "error", r.err.Error())
		}
	}
	e.failing = true
}

// prune forgets the names no pass has needed for a TTL: an entry in use is
// looked up again once it expires, so one expired that long ago is unused.
// The names of this pass are kept, even those it had no time to look up.
func (h *HostCache) prune(now time.Time, pass map[string]struct{}) {
	before := now.Add(-cmpOrDur(h.TTL, 5*time.Minute))
	for name, e := range h.hosts {
		if _, ok := pass[name]; !ok && !e.next.After(before) {
			delete(h.hosts, name)
		}
	}
}

func (h *HostCache) clock() Clock {
	if h.Clock == nil {
		return RealClock{}
	}
	return h.Clock
}

func (h *HostCache) timeout() time.Duration { return cmpOrDur(h.Timeout, 2*time.Second) }

// pickAddr is the lowest IPv4 address of ips, or their lowest IPv6 address
// when there is no IPv4 one; unspecified addresses are ignored.
func pickAddr(ips []net.IP) (string, bool) {
	var v4, v6 netip.Addr
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip)
		if !ok || a.IsUnspecified() {
			continue
		}
		a = a.Unmap()
		if a.Is4() {
			if !v4.IsValid() || a.Less(v4) {
				v4 = a
			}
		} else if !v6.IsValid() || a.Less(v6) {
			v6 = a
		}
	}
	switch {
	case v4.IsValid():
		return v4.String(), true
	case v6.IsValid():
		return v6.String(), true
	}
	return "", false
}

// isIPLiteral reports whether host is an IP address. It allocates nothing
// for host names: only strings of digits and dots, or with a colon (IPv6),
// are parsed.
func isIPLiteral(host string) bool {
	if strings.IndexByte(host, ':') < 0 {
		for i := 0; i < len(host); i++ {
			if c := host[i]; c != '.' && (c < '0' || c > '9') {
				return false
			}
		}
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

func cmpOrInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
