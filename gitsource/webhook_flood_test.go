package gitsource

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// countingLoop is the sync loop of `pacer run` reduced to what the webhook
// sees: it waits on the trigger, "fetches" the branch head and counts the
// passes.
type countingLoop struct {
	passes int
	head   string
}

// run loops until ctx is done, then counts a pass still pending as one
// the loop would have run.
func (l *countingLoop) run(ctx context.Context, tr *Trigger, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			l.passes += len(tr.ch)
			return
		case <-tr.C():
			tr.Fetched(l.head)
			l.passes++
		}
	}
}

func postPush(t *testing.T, client *http.Client, url, after string) (int, string) {
	t.Helper()
	body := `{"object_kind":"push","ref":"refs/heads/main","after":"` + after + `","commits":[]}`
	req, err := http.NewRequestWithContext(t.Context(), "POST", url+WebhookPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Gitlab-Token", hookToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r webhookReply
	_ = json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r.Result
}

// TestReplayedPushesCauseAtMostTwoPasses is issue 20's finding: 300 replayed
// pushes caused 261 passes. A push naming the revision already fetched does
// nothing and pending passes coalesce, so there are at most two.
func TestReplayedPushesCauseAtMostTwoPasses(t *testing.T) {
	tr := NewTrigger()
	h, err := NewWebhook(WebhookOptions{Token: hookToken, Trigger: tr, RateLimit: RateLimit{Rate: -1}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	loop := &countingLoop{head: "abc123"}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go loop.run(ctx, tr, done)

	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if code, _ := postPush(t, srv.Client(), srv.URL, "abc123"); code != 200 && code != 202 {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	<-done
	if n := bad.Load(); n != 0 {
		t.Errorf("%d pushes got an error status", n)
	}
	if loop.passes < 1 || loop.passes > 2 {
		t.Errorf("300 replayed pushes caused %d passes, want 1 or 2", loop.passes)
	}
	t.Logf("300 replayed pushes: %d passes", loop.passes)

	// A push of a new revision still syncs; its replay after the fetch does not.
	if code, result := postPush(t, srv.Client(), srv.URL, "def456"); code != 202 || result != "sync triggered" {
		t.Errorf("new revision: %d %q, want 202 sync triggered", code, result)
	}
	<-tr.C()
	tr.Fetched("def456")
	if code, result := postPush(t, srv.Client(), srv.URL, "def456"); code != 200 || result != "ignored" {
		t.Errorf("replay of the fetched revision: %d %q, want 200 ignored", code, result)
	}
}

func TestFireRevision(t *testing.T) {
	tr := NewTrigger()
	got := []FireResult{tr.FireRevision("a"), tr.FireRevision("a")}
	<-tr.C()
	tr.Fetched("a")
	got = append(got, tr.FireRevision("a"), tr.FireRevision(""), tr.FireRevision("b"))
	if diff := cmp.Diff([]FireResult{Fired, Joined, AlreadyFetched, Fired, Joined}, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestWebhookRateLimitPerClient(t *testing.T) {
	now := time.Unix(1e9, 0)
	tr := NewTrigger()
	h, err := NewWebhook(WebhookOptions{Token: hookToken, Trigger: tr, RateLimit: RateLimit{Rate: 0.5, Burst: 3, Now: func() time.Time { return now }}})
	if err != nil {
		t.Fatal(err)
	}
	push := func(remote string) (int, string) {
		req := httptest.NewRequest("POST", WebhookPath, strings.NewReader(pushBody("refs/heads/main")))
		req.RemoteAddr = remote
		req.Header.Set("X-Gitlab-Token", hookToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("Retry-After")
	}
	type answer struct {
		Code       int
		RetryAfter string
	}
	var got []answer
	for _, step := range []struct {
		remote  string
		advance time.Duration
	}{
		{"10.0.0.1:1000", 0}, {"10.0.0.1:1001", 0}, {"10.0.0.1:1002", 0}, // the burst
		{"10.0.0.1:1003", 0},                // over it: wait 2s for a token at 0.5/s
		{"10.0.0.2:1000", 0},                // another client has its own bucket
		{"10.0.0.1:1004", time.Second},      // half a token
		{"10.0.0.1:1005", time.Second},      // a whole one
		{"10.0.0.1:1006", 0},                // spent
		{"10.0.0.1:1007", 10 * time.Second}, // refilled (to the burst, not beyond)
	} {
		now = now.Add(step.advance)
		code, ra := push(step.remote)
		got = append(got, answer{code, ra})
	}
	want := []answer{{202, ""}, {202, ""}, {202, ""}, {429, "2"}, {202, ""}, {429, "1"}, {202, ""}, {429, "2"}, {202, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}
