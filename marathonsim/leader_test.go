package marathonsim

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// haServer serves s on a loopback port and returns its host:port.
func haServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	opts.Clock = NewFakeClock(epoch)
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); _ = s.Close() })
	return s, strings.TrimPrefix(srv.URL, "http://")
}

func call(t *testing.T, method, url, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, resp.Header, m
}

func TestStandbyProxiesToLeader(t *testing.T) {
	_, leader := haServer(t, Options{})
	standby, standbyAddr := haServer(t, Options{Leader: leader, Standby: true})

	status, h, _ := call(t, "POST", "http://"+standbyAddr+"/v2/apps", `{"id":"/via-standby","cmd":"x"}`)
	if status != 201 || h.Get("X-Marathon-Leader") != "http://"+leader {
		t.Fatalf("POST through standby: %d, X-Marathon-Leader %q; want 201 from http://%s", status, h.Get("X-Marathon-Leader"), leader)
	}
	if status, _, _ := call(t, "GET", "http://"+leader+"/v2/apps/via-standby", ""); status != 200 {
		t.Errorf("app created through the standby is not on the leader: %d", status)
	}
	for _, path := range []string{"/v2/leader", "/v2/info"} {
		_, _, body := call(t, "GET", "http://"+standbyAddr+path, "")
		if body["leader"] != leader {
			t.Errorf("%s through standby: leader %v, want %s", path, body["leader"], leader)
		}
	}
	if _, _, body := call(t, "GET", "http://"+standbyAddr+"/v2/info", ""); body["elected"] != true {
		t.Errorf("/v2/info is the leader's (elected true): %v", body["elected"])
	}
	// The control API stays local.
	if _, _, body := call(t, "GET", "http://"+standbyAddr+"/sim/v1/state", ""); len(body["apps"].([]any)) != 0 {
		t.Error("/sim/v1 was forwarded to the leader")
	}

	// The event stream is forwarded too, and flushed as it comes.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+standbyAddr+"/v2/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event: event_stream_attached\n" {
		t.Errorf("event stream through standby: %q, %v", line, err)
	}

	// Failover: the standby takes over (with its own, empty state).
	standby.SetLeader("", false)
	status, h, _ = call(t, "GET", "http://"+standbyAddr+"/v2/apps/via-standby", "")
	if status != 404 || h.Get("X-Marathon-Leader") != "http://"+standbyAddr {
		t.Errorf("after SetLeader: %d, X-Marathon-Leader %q; want 404 served by itself", status, h.Get("X-Marathon-Leader"))
	}
}

func TestStandbyWithoutReachableLeader(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()
	_, a := haServer(t, Options{Standby: true})
	_, refused := haServer(t, Options{Standby: true, Leader: deadAddr})
	loopA, loopAddr := haServer(t, Options{Standby: true})
	_, loopB := haServer(t, Options{Standby: true, Leader: loopAddr})
	loopA.SetLeader(loopB, true)

	tests := []struct {
		name, addr string
		status     int
		message    string
	}{
		{"no leader known", a, 503, "Could not determine the current leader"},
		{"leader refuses connections", refused, 503, "Connection to leader refused."},
		{"standbys proxying to each other", loopAddr, 502, "Detected proxying loop."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := call(t, "GET", "http://"+tc.addr+"/v2/apps", "")
			if status != tc.status || body["message"] != tc.message {
				t.Errorf("GET /v2/apps = %d %v, want %d %q", status, body, tc.status, tc.message)
			}
		})
	}
}

func TestLeaderOptionNamesTheLeader(t *testing.T) {
	x := newSim(t, Options{Leader: "marathon-1.example:8080"})
	r := x.must(200, "GET", "/v2/leader", nil)
	if got := r.json(t)["leader"]; got != "marathon-1.example:8080" {
		t.Errorf("/v2/leader = %v", got)
	}
	if h := x.must(200, "GET", "/v2/apps", nil).header.Get("X-Marathon-Leader"); h != "http://marathon-1.example:8080" {
		t.Errorf("X-Marathon-Leader = %q", h)
	}
	if got := x.must(200, "GET", "/v2/info", nil).json(t)["leader"]; got != "marathon-1.example:8080" {
		t.Errorf("/v2/info leader = %v", got)
	}
}
