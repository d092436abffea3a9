package marathon

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFaultyAnswers: what the client makes of a Marathon (or something in
// front of it) answering badly, and whether it retries. Issue 20 lists the
// cases; each must end in a clear error within the timeout, never a hang or
// a half-read app list taken for the truth.
func TestFaultyAnswers(t *testing.T) {
	const timeout = 300 * time.Millisecond
	// ~10 MB in 20,001 apps with long commands.
	big := `{"apps":[` + strings.Repeat(`{"id":"/a","instances":1,"cmd":"`+strings.Repeat("x", 480)+`"},`, 20_000) + `{"id":"/z"}]}`
	for _, tc := range []struct {
		name      string
		handler   http.HandlerFunc
		wantErr   string // substring; "" means success
		wantApps  int
		wantCalls int32 // of 2 attempts
	}{
		{name: "malformed JSON", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"apps":[{"id":"/a",}]}`)
		}, wantErr: "decode GET /v2/apps response from", wantCalls: 1},
		{name: "truncated body", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, `{"apps":[{"id":"/a"},`)
		}, wantErr: "unexpected EOF", wantCalls: 2},
		{name: "a body dripping", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for _, b := range []byte(`{"apps":[{"id":"/a"}]}`) {
				_, _ = w.Write([]byte{b})
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}, wantErr: "no complete answer within 300ms from", wantCalls: 2},
		{name: "no headers", handler: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			wantErr: "no answer within 300ms from", wantCalls: 2},
		{name: "an nginx error page", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head></html>")
		}, wantErr: `answered HTML, not the Marathon API (http 502, title "502 Bad Gateway")`, wantCalls: 2},
		{name: "wrong content type", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte{0x1f, 0x8b, 0x08})
		}, wantErr: "answered application/octet-stream, not the Marathon API (http 200)", wantCalls: 1},
		{name: "10 MB app list", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, big)
		}, wantApps: 20_001, wantCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); tc.handler(w, r) }))
			t.Cleanup(srv.Close)
			var waits []time.Duration
			to := timeout
			if tc.wantApps > 0 {
				to = time.Minute // the big body under -race
			}
			c, err := New(Options{URLs: []string{srv.URL}, RequestTimeout: to, Retry: instantRetry(2, &waits)})
			if err != nil {
				t.Fatal(err)
			}
			apps, err := c.ListApps(t.Context())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			case tc.wantErr != "" && apps != nil:
				t.Errorf("an error and %d apps", len(apps))
			}
			if len(apps) != tc.wantApps {
				t.Errorf("%d apps, want %d", len(apps), tc.wantApps)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("calls %d, want %d", got, tc.wantCalls)
			}
			var te *TimeoutError
			if errors.As(err, &te) && te.After != timeout {
				t.Errorf("timeout error says %s", te.After)
			}
		})
	}
}
