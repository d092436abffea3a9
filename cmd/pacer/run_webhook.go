package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-logr/logr"
)

// forwardedHeader marks a webhook one instance passed on to the leader, so
// it is never passed on again.
const forwardedHeader = "X-Pacer-Forwarded"

// leaderForwarder passes an accepted GitLab push webhook on to the leader
// when it reached a follower: GitLab calls one address, the load balancer in
// front of pacer picks any instance, and only the leader applies. Without
// this the push waits for the leader's next --sync-interval.
type leaderForwarder struct {
	next http.Handler
	// leader says whether this instance leads and, if not, the leader's
	// host:port as the election knows it ("" when unknown).
	leader func() (self bool, addr string)
	client *http.Client
}

func (f *leaderForwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 5<<20+1))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusRecorder{ResponseWriter: w}
	f.next.ServeHTTP(rec, r)
	addr := f.target(r.Header, rec.status)
	if addr == "" {
		return
	}
	// The webhook has been answered; the forward must not hold GitLab up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	go func() {
		defer cancel()
		log := logr.FromContextOrDiscard(ctx)
		if err := f.forward(ctx, addr, r.Header, body); err != nil {
			log.Error(err, "Forward webhook to the leader", "leader", addr)
			return
		}
		log.V(1).Info("Forwarded webhook to the leader", "leader", addr)
	}()
}

// target is the leader to pass a webhook on to, or "" to keep it: only a
// push this instance accepted, not already forwarded, reaching a follower
// that knows the leader.
func (f *leaderForwarder) target(h http.Header, status int) string {
	if status != http.StatusAccepted || h.Get(forwardedHeader) != "" {
		return ""
	}
	if self, addr := f.leader(); !self {
		return addr
	}
	return ""
}

func (f *leaderForwarder) forward(ctx context.Context, addr string, h http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/hooks/gitlab", bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, k := range []string{"X-Gitlab-Token", "X-Gitlab-Event", "Content-Type"} {
		if v := h.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set(forwardedHeader, "1")
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("leader answered %s", resp.Status)
	}
	return nil
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
