package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestLeaderForwarderTarget: only a push accepted by a follower that knows
// the leader, and not forwarded already, is passed on.
func TestLeaderForwarderTarget(t *testing.T) {
	fwd := http.Header{forwardedHeader: {"1"}}
	for _, tc := range []struct {
		name   string
		self   bool
		leader string
		header http.Header
		status int
		want   string
	}{
		{name: "follower passes an accepted push on", leader: "10.0.0.2:31000", status: 202, want: "10.0.0.2:31000"},
		{name: "leader keeps it", self: true, leader: "10.0.0.1:31000", status: 202},
		{name: "leader unknown", status: 202},
		{name: "refused hook", leader: "10.0.0.2:31000", status: 401},
		{name: "ignored event or branch", leader: "10.0.0.2:31000", status: 200},
		{name: "already forwarded", leader: "10.0.0.2:31000", header: fwd, status: 202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &leaderForwarder{leader: func() (bool, string) { return tc.self, tc.leader }}
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			if got := f.target(h, tc.status); got != tc.want {
				t.Errorf("target = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLeaderForwarderForwards: a push accepted by a follower reaches the
// leader with GitLab's token and event headers, the same body and the
// forwarded mark.
func TestLeaderForwarderForwards(t *testing.T) {
	type forwarded struct {
		header http.Header
		body   string
	}
	got := make(chan forwarded, 1)
	leaderSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- forwarded{r.Header.Clone(), string(b)}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer leaderSrv.Close()
	accept := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	f := &leaderForwarder{next: accept, client: leaderSrv.Client(),
		leader: func() (bool, string) { return false, strings.TrimPrefix(leaderSrv.URL, "http://") }}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/hooks/gitlab", strings.NewReader(`{"ref":"refs/heads/main"}`))
	req.Header.Set("X-Gitlab-Token", "secret")
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d, want 202", rec.Code)
	}
	select {
	case fw := <-got:
		if fw.body != `{"ref":"refs/heads/main"}` || fw.header.Get("X-Gitlab-Token") != "secret" ||
			fw.header.Get("X-Gitlab-Event") != "Push Hook" || fw.header.Get(forwardedHeader) != "1" {
			t.Errorf("forwarded %q with headers %v", fw.body, fw.header)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing forwarded to the leader")
	}
}
