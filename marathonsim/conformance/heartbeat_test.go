package conformance

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// TestIdleStreamHeartbeat: Marathon 1.4.13 serves /v2/events from
// HttpEventStreamServlet, a Jetty EventSourceServlet
// (core/event/impl/stream/HttpEventStreamServlet.scala:47-52 at v1.4.13),
// whose emitter writes CRLF every heartBeatPeriod (10 s by default; Marathon
// sets no init parameter). A client that gives up after 15 s without data,
// as nixy does ("No data for 15s"), therefore stays on one stream through a
// quiet minute. The minute passes on a FakeClock; the client measures its
// silence in the same fake time, and allows each step a few real seconds
// for the bytes to arrive.
func TestIdleStreamHeartbeat(t *testing.T) {
	clock := marathonsim.NewFakeClock(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSim(t, marathonsim.Options{Clock: clock})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v2/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	chunks := make(chan string, 64)
	go func() {
		defer close(chunks)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				chunks <- string(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	// receive waits up to a few real seconds for the next bytes.
	receive := func(what string) string {
		select {
		case c, ok := <-chunks:
			if !ok {
				t.Fatalf("%s: the stream ended", what)
			}
			return c
		case <-time.After(5 * time.Second):
			return ""
		}
	}
	if first := receive("attached"); !strings.Contains(first, "event: event_stream_attached") {
		t.Fatalf("first bytes %q, want event_stream_attached", first)
	}

	const noDataTimeout = 15 * time.Second
	lastData := clock.Now()
	beats := 0
	for elapsed := time.Second; elapsed <= time.Minute; elapsed += time.Second {
		clock.Advance(time.Second)
		for drained := false; !drained; {
			select {
			case c, ok := <-chunks:
				if !ok {
					t.Fatalf("at %s of quiet: the stream ended", elapsed)
				}
				if c != strings.Repeat("\r\n", len(c)/2) {
					t.Fatalf("at %s of quiet: got %q, want only heartbeats (CRLF)", elapsed, c)
				}
				beats += len(c) / 2
				lastData = clock.Now()
			default:
				drained = true
			}
		}
		if clock.Now().Sub(lastData) >= noDataTimeout {
			// The beat may still be on its way: give it real time.
			c := receive("heartbeat")
			if c == "" {
				t.Fatalf("no data for %s of fake time after %s of quiet: a client with a %s timeout reconnects", clock.Now().Sub(lastData), elapsed, noDataTimeout)
			}
			beats += len(c) / 2
			lastData = clock.Now()
		}
	}
	if beats < 5 || beats > 6 {
		t.Errorf("%d heartbeats in a quiet minute, want 6 (one every 10 s)", beats)
	}
}
