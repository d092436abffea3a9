package events

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// contentType is what Marathon's Jetty EventSource servlet sends.
const contentType = "text/event-stream;charset=UTF-8"

// streamPayload is the body of event_stream_attached and _detached.
type streamPayload struct {
	RemoteAddress string `json:"remoteAddress"`
}

// ServeHTTP serves GET /v2/events. The stream starts with
// event_stream_attached (published to every stream, this one first in line)
// and stays open until the client goes away, DropAll or Close; then
// event_stream_detached is published to the remaining streams. Repeated
// event_type parameters restrict the stream to those types, and like
// Marathon's, the filter applies to the attached/detached events too.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"message":"HTTP 405 Method Not Allowed"}` + "\n"))
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, `{"message":"streaming unsupported"}`, http.StatusInternalServerError)
		return
	}

	s := &subscriber{
		remoteAddr: remoteHost(r.RemoteAddr),
		types:      eventTypes(r),
		queue:      make(chan *frame, b.buffer),
		kill:       make(chan struct{}),
	}
	attached, err := b.encode(TypeStreamAttached, streamPayload{RemoteAddress: s.remoteAddr})
	if err != nil { // cannot happen: the payload is a fixed struct
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}

	if r.Method == http.MethodHead {
		setStreamHeaders(w)
		w.WriteHeader(http.StatusOK)
		return
	}

	// Subscribe and publish "attached" atomically, so that nothing published
	// concurrently can reach this stream before its own attached event, and
	// before the headers go out, so that a client holding the response is
	// known to receive every event published from then on.
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"message":"event bus closed"}` + "\n"))
		return
	}
	b.nextID++
	s.id = b.nextID
	b.subs[s] = struct{}{}
	b.handlers.Add(1)
	b.fanOut(attached)
	b.mu.Unlock()
	defer b.handlers.Done()

	setStreamHeaders(w)
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	stopBeats := b.heartbeats(s)
	b.pump(w, flusher, r, s)
	stopBeats()

	b.mu.Lock()
	delete(b.subs, s)
	closed := b.closed
	b.mu.Unlock()
	if !closed {
		b.Publish(TypeStreamDetached, streamPayload{RemoteAddress: s.remoteAddr})
	}
}

// heartbeats queues a heartbeat on s every b.beat, as Jetty's
// EventSourceServlet schedules one per connection whatever the traffic,
// until the returned stop is called. A heartbeat is skipped when the queue
// is full: the stream has data pending anyway.
func (b *Bus) heartbeats(s *subscriber) (stop func()) {
	if b.beat < 0 {
		return func() {}
	}
	var mu sync.Mutex
	stopped := false
	var cancel func() bool
	var beat func()
	beat = func() {
		select {
		case s.queue <- heartbeat:
		default:
		}
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			cancel = b.afterFunc(b.beat, beat)
		}
	}
	mu.Lock()
	cancel = b.afterFunc(b.beat, beat)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		cancel()
	}
}

// pump writes queued frames until the stream ends. It flushes whenever the
// queue is empty, so an idle stream never holds back an event.
func (b *Bus) pump(w http.ResponseWriter, flusher http.Flusher, r *http.Request, s *subscriber) {
	// A client that stops reading blocks Write; kill must still end the
	// stream, so unblock the write with a past deadline.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-s.kill:
			_ = http.NewResponseController(w).SetWriteDeadline(time.Unix(1, 0))
		case <-finished:
		}
	}()

	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kill:
			return
		case f := <-s.queue:
			if _, err := w.Write(f.data); err != nil {
				return
			}
			if !f.beat {
				s.delivered.Add(1)
			}
			if len(s.queue) == 0 {
				flusher.Flush()
			}
		}
	}
}

func setStreamHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
}

// eventTypes reads the repeatable event_type filter; nil means all types.
func eventTypes(r *http.Request) map[string]bool {
	var types map[string]bool
	for _, t := range r.URL.Query()["event_type"] {
		if t == "" {
			continue
		}
		if types == nil {
			types = make(map[string]bool)
		}
		types[t] = true
	}
	return types
}

// remoteHost returns the client address without its port, as Marathon
// reports remoteAddress.
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
