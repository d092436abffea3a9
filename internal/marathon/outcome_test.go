package marathon

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hangUp reads each request whole, then drops the connection without an
// answer: the request reached Marathon, its answer never came back.
type hangUp struct{ got atomic.Int32 }

func (h *hangUp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.ReadAll(r.Body)
	h.got.Add(1)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// TestWriteWithLostAnswerIsNotSentAgain: a PUT, POST or DELETE that went
// out whole but whose answer was lost may have been applied by Marathon:
// it is sent once, to one URL, and reported as ErrOutcomeUnknown, where a
// GET is retried on every URL and round as before. A second write could
// start a second deployment (issue 20's "no write doubled").
func TestWriteWithLostAnswerIsNotSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name      string
		call      func(c *Client) error
		wantCalls int32
		unknown   bool
	}{
		{"put", func(c *Client) error { _, err := c.PutApp(t.Context(), "/a", []byte(`{}`), false); return err }, 1, true},
		{"scale", func(c *Client) error { _, err := c.ScaleApp(t.Context(), "/a", 3, false); return err }, 1, true},
		{"delete", func(c *Client) error { _, err := c.DeleteApp(t.Context(), "/a", false); return err }, 1, true},
		{"get is retried", func(c *Client) error { _, err := c.ListApps(t.Context()); return err }, 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h1, h2 := &hangUp{}, &hangUp{}
			var waits []time.Duration
			c, err := New(Options{URLs: []string{newServer(t, h1), newServer(t, h2)}, Retry: instantRetry(3, &waits)})
			if err != nil {
				t.Fatal(err)
			}
			err = tc.call(c)
			if err == nil {
				t.Fatal("no error for a lost answer")
			}
			if got := h1.got.Load() + h2.got.Load(); got != tc.wantCalls {
				t.Errorf("requests = %d (%d + %d), want %d", got, h1.got.Load(), h2.got.Load(), tc.wantCalls)
			}
			if errors.Is(err, ErrOutcomeUnknown) != tc.unknown {
				t.Errorf("errors.Is(%v, ErrOutcomeUnknown) = %v, want %v", err, !tc.unknown, tc.unknown)
			}
			if tc.unknown && !strings.Contains(err.Error(), "answer was lost") {
				t.Errorf("error %q does not say the answer was lost", err)
			}
		})
	}
}

// TestWriteRefusedConnectionIsRetried: a write that never went out (the
// connection was refused) is safe to send to the next URL.
func TestWriteRefusedConnectionIsRetried(t *testing.T) {
	rec := &recorder{status: 200, body: `{"version":"v","deploymentId":"d1"}`}
	c, err := New(Options{URLs: []string{deadURL(t), newServer(t, rec)}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.PutApp(t.Context(), "/a", []byte(`{}`), false)
	if err != nil || id != "d1" {
		t.Fatalf("PutApp = %q, %v; want d1 from the second URL", id, err)
	}
	if len(rec.got) != 1 {
		t.Errorf("second URL got %d requests, want 1", len(rec.got))
	}
}
