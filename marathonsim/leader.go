package marathonsim

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// leadership is the HA role of a Server (BEHAVIOUR.md §5 "Leader
// proxying"). The zero value is a leader that names itself by the Host of
// each request, the single-instance behaviour.
type leadership struct {
	mu      sync.Mutex
	leader  string // host:port of the leader; "" = this instance, by Host
	standby bool
	proxy   *httputil.ReverseProxy // to http://leader, for a standby
}

// SetLeader changes the HA role at run time, e.g. to fail over a pair of
// simulators: leader is the leader's host:port ("" with standby=false: this
// instance, named by the request's Host); standby=true makes this instance
// forward every request to it (Options.Standby).
func (s *Server) SetLeader(leader string, standby bool) {
	l := &s.leader
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leader, l.standby, l.proxy = leader, standby, nil
	if standby && leader != "" {
		l.proxy = newLeaderProxy(&url.URL{Scheme: "http", Host: leader})
	}
}

func (l *leadership) get() (leader string, standby bool, proxy *httputil.ReverseProxy) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader, l.standby, l.proxy
}

// leaderHost is the leader's host:port as this (leading) instance reports it.
func (s *Server) leaderHost(r *http.Request) string {
	if leader, _, _ := s.leader.get(); leader != "" {
		return leader
	}
	return r.Host
}

// serveLeadership plays Marathon's LeaderProxyFilter, which is mounted on
// every path: the leader answers itself and names itself in
// X-Marathon-Leader; a standby forwards the request to the leader (adding
// X-Marathon-Via and X-Forwarded-For) and passes the leader's answer back.
// It reports whether it answered the request. The /sim/v1 control API is
// never forwarded: it always talks to this instance.
func (s *Server) serveLeadership(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/sim/") {
		return false
	}
	leader, standby, proxy := s.leader.get()
	if !standby {
		w.Header().Set("X-Marathon-Leader", "http://"+s.leaderHost(r))
		return false
	}
	via := viaValue(r.Host)
	switch {
	case slices.Contains(r.Header.Values("X-Marathon-Via"), via):
		writeErr(w, errMsg(http.StatusBadGateway, "Detected proxying loop."))
	case leader == "" || proxy == nil:
		writeErr(w, errMsg(http.StatusServiceUnavailable, "Could not determine the current leader"))
	default:
		proxy.ServeHTTP(w, r)
	}
	return true
}

func viaValue(host string) string { return "1.1 " + host }

// newLeaderProxy forwards to target. The event stream is flushed as it
// comes; refused connections and timeouts get Marathon's statuses.
func newLeaderProxy(target *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Add("X-Marathon-Via", viaValue(pr.In.Host))
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var ne net.Error
			switch {
			case errors.Is(err, syscall.ECONNREFUSED):
				writeErr(w, errMsg(http.StatusServiceUnavailable, "Connection to leader refused."))
			case errors.As(err, &ne) && ne.Timeout():
				writeErr(w, errMsg(http.StatusGatewayTimeout, "Timeout while proxying to leader."))
			default:
				writeErr(w, errMsg(http.StatusBadGateway, "Error while proxying to leader: %s", err.Error()))
			}
		},
	}
}
