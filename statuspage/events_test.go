package statuspage

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEventsAfterEachPass(t *testing.T) {
	p := newPage(t, fixture(), nil)
	srv := httptest.NewServer(p.Handler(nil))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		var ev []string
		for lines.Scan() {
			if lines.Text() == "" {
				return strings.Join(ev, "|")
			}
			ev = append(ev, lines.Text())
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return ""
	}
	if got := next(); got != "retry: 5000" {
		t.Fatalf("first event %q", got)
	}
	quiet := fixture()
	quiet.Applied = nil // passes without writes fold in the history
	p.Observe(quiet)
	if got := next(); got != "event: pass|data: 1" {
		t.Errorf("after a pass: %q", got)
	}
	p.Observe(quiet)
	if got := next(); got != "event: pass|data: 2" {
		t.Errorf("after a second pass: %q", got)
	}
	if h := p.opts.History.List(); len(h) != 1 || h[0].Repeats != 1 {
		t.Errorf("history %+v, want the two same passes folded", h)
	}
	p.Close() // shutdown ends the stream
	for lines.Scan() {
	}
	if ctx.Err() != nil {
		t.Error("stream outlived Close")
	}
}

// TestChangedWakesStreams: a change between passes (a check's state)
// sends an event and records no pass.
func TestChangedWakesStreams(t *testing.T) {
	p := newPage(t, fixture(), nil)
	ch, ok := p.subscribe()
	if !ok {
		t.Fatal("no stream")
	}
	defer p.unsubscribe(ch)
	p.Changed()
	select {
	case seq := <-ch:
		if seq != 1 {
			t.Errorf("seq %d, want 1", seq)
		}
	default:
		t.Fatal("Changed sent no event")
	}
	p.Changed()
	p.Changed() // the stream has one pending: Changed does not block
	if got := <-ch; got != 2 {
		t.Errorf("seq %d, want 2", got)
	}
	if h := p.opts.History.List(); len(h) != 0 {
		t.Errorf("history %+v, want no pass recorded", h)
	}
}
