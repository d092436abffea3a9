package marathon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Event is one event from Marathon's /v2/events stream, or a gap marker.
type Event struct {
	// Type is the event type ("status_update_event", ...); empty for a gap.
	Type string
	// Data is the event's JSON object.
	Data json.RawMessage
	// Gap is set on the marker delivered after every (re)connection: events
	// may have been missed before it, so a consumer re-reads the full state.
	Gap bool
}

// StreamOptions configure StreamEvents.
type StreamOptions struct {
	// Types filters the stream server-side (?event_type=…, Marathon ≥ 1.3.7);
	// empty means every event.
	Types []string
	// MinBackoff is the first reconnect delay (default 250ms); each failed
	// attempt doubles it, with jitter, up to MaxBackoff (default 30s).
	MinBackoff, MaxBackoff time.Duration
	// ResetAfter is how long a connection must stay up for the backoff to
	// start again from MinBackoff (default 1m).
	ResetAfter time.Duration
	// IdleTimeout reconnects after this long without a byte from Marathon
	// (default 5m, as marathon-lb); a quiet cluster then only costs a resync.
	IdleTimeout time.Duration
	// OnError, when set, is told about every broken connection or failed
	// attempt before the client waits to reconnect.
	OnError func(err error, retryIn time.Duration)
}

func (o *StreamOptions) defaults() {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.ResetAfter <= 0 {
		o.ResetAfter = time.Minute
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
}

// ErrStreamEnded is reported through OnError when Marathon closed the event
// stream cleanly.
var ErrStreamEnded = errors.New("event stream ended")

// StreamEvents subscribes to GET /v2/events and calls fn for every event, in
// order, from one goroutine, until ctx is done; it then returns ctx.Err().
//
// Broken connections are retried with exponential backoff and jitter,
// rotating over the configured URLs. After every successful (re)connection,
// the first included, fn receives Event{Gap: true} before any event of that
// connection: the caller must then re-read the full state, because events
// were (or may have been) missed. Subscribing before the first full read is
// what makes the read-then-apply-events sequence lossless.
func (c *Client) StreamEvents(ctx context.Context, opts StreamOptions, fn func(Event)) error {
	opts.defaults()
	backoff := opts.MinBackoff
	idx := int(c.current.Load())
	for {
		start := time.Now()
		err := c.streamOnce(ctx, c.urls[idx%len(c.urls)], opts, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(start) >= opts.ResetAfter {
			backoff = opts.MinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if opts.OnError != nil {
			opts.OnError(err, wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		backoff = min(backoff*2, opts.MaxBackoff)
		idx++
	}
}

// streamOnce runs one connection until it breaks.
func (c *Client) streamOnce(ctx context.Context, base *url.URL, opts StreamOptions, fn func(Event)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	u := *base
	u.Path = base.Path + "/v2/events"
	q := url.Values{}
	for _, t := range opts.Types {
		q.Add("event_type", t)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", c.agent)
	c.creds.apply(req.Header)

	idle := time.AfterFunc(opts.IdleTimeout, func() { cancel(errIdle) })
	defer idle.Stop()
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: connect event stream: %w", displayURL(base), causeOr(ctx, unwrapURLError(err)))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("event stream: %w", &AuthError{URL: displayURL(base), Status: resp.StatusCode, Sent: c.creds.String()})
	case resp.StatusCode != http.StatusOK:
		br := bufio.NewReader(io.LimitReader(resp.Body, 4096))
		if err := checkMarathonAnswer(base, resp, br); err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		data, _ := io.ReadAll(br)
		return fmt.Errorf("%s: event stream: %w", displayURL(base), mapError(resp.StatusCode, data))
	case strings.Contains(resp.Header.Get("Content-Type"), "html"):
		// A proxy's page; Marathon sends text/event-stream (BEHAVIOUR.md).
		return fmt.Errorf("event stream: %w", &NotMarathonError{URL: displayURL(base), Status: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), HTML: true, Title: htmlTitle(bufio.NewReader(io.LimitReader(resp.Body, 4096)))})
	}
	fn(Event{Gap: true})
	err = readSSE(resp.Body, func() { idle.Reset(opts.IdleTimeout) }, fn)
	if err == nil {
		return fmt.Errorf("%s: %w", displayURL(base), ErrStreamEnded)
	}
	return fmt.Errorf("%s: read event stream: %w", displayURL(base), causeOr(ctx, unwrapURLError(err)))
}

var errIdle = errors.New("no data from marathon within the idle timeout")

func causeOr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// readSSE parses a text/event-stream body: "event:" and "data:" lines, an
// empty line ends an event. It returns nil at a clean EOF.
func readSSE(r io.Reader, alive func(), fn func(Event)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var typ string
	var data bytes.Buffer
	for sc.Scan() {
		alive()
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 {
				dispatch(typ, data.Bytes(), fn)
			}
			typ = ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
			// comment / keep-alive
		case strings.HasPrefix(line, "event:"):
			typ = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	return sc.Err()
}

// dispatch delivers the JSON values of one SSE event. Marathon sometimes
// writes more than one JSON object into one event (marathon-lb splits on
// newlines for that reason), so every value is delivered separately; the
// type comes from the "event:" line or else from the object's eventType.
func dispatch(typ string, data []byte, fn func(Event)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return
		}
		t := typ
		var head struct {
			EventType string `json:"eventType"`
		}
		if json.Unmarshal(raw, &head) == nil && head.EventType != "" {
			t = head.EventType
		}
		if t == "" {
			continue
		}
		fn(Event{Type: t, Data: raw})
	}
}
