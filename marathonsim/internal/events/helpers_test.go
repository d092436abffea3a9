package events

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fixedNow is the clock used by tests: a non-UTC time with sub-millisecond
// digits, to prove the timestamp is converted and truncated.
func fixedNow() time.Time {
	return time.Date(2014, 8, 19, 0, 36, 41, 451_987_000, time.FixedZone("CEST", 2*3600))
}

const fixedStamp = "2014-08-18T22:36:41.451Z"

// sseEvent is one decoded frame of the stream.
type sseEvent struct {
	Type string
	Data string
}

func (e sseEvent) decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
		t.Fatalf("event %s: data is not JSON: %v: %q", e.Type, err, e.Data)
	}
	return m
}

// stream is a test client of /v2/events over real HTTP.
type stream struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
	events chan sseEvent
	done   chan error
}

func newBusServer(t *testing.T, opts Options) (*Bus, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	bus := NewBus(opts)
	mux := http.NewServeMux()
	mux.Handle("/v2/events", bus)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		bus.Close()
		srv.Close()
	})
	return bus, srv
}

// open connects to the stream; query is appended to /v2/events.
func open(t *testing.T, srv *httptest.Server, query string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open stream: %v", err)
	}
	s := &stream{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel,
		events: make(chan sseEvent, 1<<16), done: make(chan error, 1)}
	go s.read()
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// read parses frames until the body ends.
func (s *stream) read() {
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.done <- err
			close(s.events)
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.Type != "" || ev.Data != "" {
				s.events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.Type = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = strings.TrimPrefix(line, "data: ")
		default:
			ev.Data = "unexpected line: " + line
		}
	}
}

// next returns the next event or fails after a generous deadline.
func (s *stream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended, want an event")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return sseEvent{}
}

// ended waits for the server to close the stream.
func (s *stream) ended(t *testing.T) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("stream still open after 10s")
		}
	}
}

// waitSubscribers polls the bus until n streams are registered. The stream
// registers on the server side of a real socket, so this is the one place
// where polling with a deadline is needed.
func waitSubscribers(t *testing.T, b *Bus, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for len(b.Stats().Subscribers) != n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("subscribers = %d, want %d", len(b.Stats().Subscribers), n)
		}
	}
}
