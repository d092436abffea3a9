package events

import (
	"bytes"
	"encoding/json"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Event types the bus publishes on its own.
const (
	TypeStreamAttached = "event_stream_attached"
	TypeStreamDetached = "event_stream_detached"
)

// timestampLayout is Marathon's ISO-8601 UTC format with milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// DefaultBufferPerSubscriber is the number of events a stream may fall behind
// before the bus drops events for it.
const DefaultBufferPerSubscriber = 4096

// Options configure a Bus. Zero values take the defaults.
type Options struct {
	// BufferPerSubscriber bounds the events queued for one stream; events
	// beyond it are dropped and counted. Default 4096.
	BufferPerSubscriber int
	// Now gives the event timestamps. Default time.Now.
	Now func() time.Time
	// AfterFunc schedules the heartbeats (the simulator's Clock, so tests
	// step a fake clock); it returns the timer's stop function. Default
	// time.AfterFunc.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Heartbeat is the period of the heartbeat each stream gets; default
	// DefaultHeartbeat, negative for none.
	Heartbeat time.Duration
}

// DefaultHeartbeat is the heartBeatPeriod of Jetty's EventSourceServlet
// (10 seconds unless the servlet's init parameter says otherwise), which
// Marathon 1.4.13's HttpEventStreamServlet extends without setting it
// (core/event/impl/stream/HttpEventStreamServlet.scala:47-52).
const DefaultHeartbeat = 10 * time.Second

// heartbeat is what EventSourceServlet's emitter writes for a heartbeat:
// CRLF, an empty line, which SSE clients read as data and otherwise ignore.
var heartbeat = &frame{data: []byte("\r\n"), beat: true}

// Bus fans events out to /v2/events streams. It is safe for concurrent use.
type Bus struct {
	buffer    int
	now       func() time.Time
	afterFunc func(d time.Duration, f func()) (stop func() bool)
	beat      time.Duration

	published atomic.Uint64
	invalid   atomic.Uint64
	dropped   atomic.Uint64

	mu       sync.Mutex // orders fan-out: every stream sees the same sequence
	subs     map[*subscriber]struct{}
	nextID   uint64
	closed   bool
	handlers sync.WaitGroup // ServeHTTP calls in flight; Add only under mu while !closed
}

// NewBus returns a Bus ready to serve streams.
func NewBus(opts Options) *Bus {
	if opts.BufferPerSubscriber <= 0 {
		opts.BufferPerSubscriber = DefaultBufferPerSubscriber
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	return &Bus{
		buffer:    opts.BufferPerSubscriber,
		now:       opts.Now,
		afterFunc: opts.AfterFunc,
		beat:      opts.Heartbeat,
		subs:      make(map[*subscriber]struct{}),
	}
}

// frame is one encoded event, shared read-only by every stream.
type frame struct {
	eventType string
	data      []byte // "event: <type>\ndata: <json>\n\n"
	beat      bool   // a heartbeat, not an event
}

// subscriber is one open stream.
type subscriber struct {
	id         uint64
	remoteAddr string
	types      map[string]bool // nil: every type
	queue      chan *frame
	kill       chan struct{} // closed by DropAll/Close
	killOnce   sync.Once

	delivered atomic.Uint64
	dropped   atomic.Uint64
}

func (s *subscriber) wants(eventType string) bool {
	return s.types == nil || s.types[eventType]
}

func (s *subscriber) stop() { s.killOnce.Do(func() { close(s.kill) }) }

// Publish sends an event to every stream subscribed to eventType. payload is
// a struct or map that marshals to a JSON object without "eventType" and
// "timestamp"; the bus appends both. Publish never blocks on a stream: when a
// stream's queue is full the event is dropped for that stream and counted.
// A payload that does not marshal to a JSON object is discarded and counted
// in Stats.Invalid.
func (b *Bus) Publish(eventType string, payload any) {
	b.PublishAt(eventType, payload, b.now())
}

// PublishAt is Publish with the event's timestamp given, for a caller that
// records events as they happen and publishes them later, in order.
func (b *Bus) PublishAt(eventType string, payload any, at time.Time) {
	f, err := b.encodeAt(eventType, payload, at)
	if err != nil {
		b.invalid.Add(1)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.fanOut(f)
}

// fanOut queues f on every interested stream. Callers hold b.mu.
func (b *Bus) fanOut(f *frame) {
	b.published.Add(1)
	for s := range b.subs {
		if !s.wants(f.eventType) {
			continue
		}
		select {
		case s.queue <- f:
		default:
			s.dropped.Add(1)
			b.dropped.Add(1)
		}
	}
}

// Encoded is a payload that is already a compact JSON object; the bus
// writes it as it is. (json.Marshal would compact it once more, which for
// a deployment event carrying the whole root group twice is most of the
// cost of the event.)
type Encoded []byte

// MarshalJSON returns e, so that an Encoded payload marshals as the object
// it holds.
func (e Encoded) MarshalJSON() ([]byte, error) { return e, nil }

// encode marshals payload once and adds eventType and a timestamp of now.
func (b *Bus) encode(eventType string, payload any) (*frame, error) {
	return b.encodeAt(eventType, payload, b.now())
}

// encodeAt marshals payload once and adds eventType and timestamp at.
func (b *Bus) encodeAt(eventType string, payload any, at time.Time) (*frame, error) {
	data, err := JSON(eventType, payload, at)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(data) + len(eventType) + 18)
	buf.WriteString("event: ")
	buf.WriteString(eventType)
	buf.WriteString("\ndata: ")
	buf.Write(data)
	buf.WriteString("\n\n")
	return &frame{eventType: eventType, data: buf.Bytes()}, nil
}

// JSON is an event as Marathon writes it (eventToJson): payload's fields,
// then eventType and timestamp. payload is as for Publish.
func JSON(eventType string, payload any, at time.Time) ([]byte, error) {
	body := []byte("{}")
	if enc, ok := payload.(Encoded); ok {
		body = enc
	} else if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return nil, err
		}
		body = bytes.TrimSpace(body)
	}
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, errNotObject
	}
	typ, err := json.Marshal(eventType)
	if err != nil {
		return nil, err
	}
	ts := at.UTC().Format(timestampLayout)
	var buf bytes.Buffer
	buf.Grow(len(body) + len(typ) + 64)
	buf.Write(body[:len(body)-1])
	if len(bytes.TrimSpace(body[1:len(body)-1])) > 0 {
		buf.WriteByte(',')
	}
	buf.WriteString(`"eventType":`)
	buf.Write(typ)
	buf.WriteString(`,"timestamp":"`)
	buf.WriteString(ts)
	buf.WriteString(`"}`)
	return buf.Bytes(), nil
}

type notObjectError struct{}

func (notObjectError) Error() string { return "event payload is not a JSON object" }

var errNotObject error = notObjectError{}

// DropAll closes every open stream now, as a lost connection would; clients
// are expected to reconnect. Streams opened afterwards are served normally.
func (b *Bus) DropAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.stop()
	}
}

// Close closes every open stream, refuses new ones and waits for the stream
// handlers to return. Publish after Close does nothing.
func (b *Bus) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		for s := range b.subs {
			s.stop()
		}
	}
	b.mu.Unlock()
	b.handlers.Wait()
}

// Wants reports whether an open stream takes events of eventType, so that
// a publisher can skip building an event nobody reads.
func (b *Bus) Wants(eventType string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.wants(eventType) {
			return true
		}
	}
	return false
}

// Stats is a snapshot of the bus counters.
type Stats struct {
	// Published counts events accepted by Publish (and the bus's own
	// attached/detached events), whether or not any stream wanted them.
	Published uint64
	// Invalid counts payloads discarded because they were not JSON objects.
	Invalid uint64
	// Dropped counts events lost by every stream, open or closed, since the
	// bus was created.
	Dropped uint64
	// Subscribers lists the open streams, oldest first.
	Subscribers []SubscriberStats
}

// SubscriberStats describes one open stream.
type SubscriberStats struct {
	ID            uint64
	RemoteAddress string
	EventTypes    []string // nil: all types
	Queued        int      // events waiting to be written
	Delivered     uint64   // events written to the connection
	Dropped       uint64   // events lost because the queue was full
}

// Stats returns the current counters.
func (b *Bus) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := Stats{Published: b.published.Load(), Invalid: b.invalid.Load(), Dropped: b.dropped.Load()}
	for s := range b.subs {
		ss := SubscriberStats{
			ID:            s.id,
			RemoteAddress: s.remoteAddr,
			Queued:        len(s.queue),
			Delivered:     s.delivered.Load(),
			Dropped:       s.dropped.Load(),
		}
		for t := range s.types {
			ss.EventTypes = append(ss.EventTypes, t)
		}
		sort.Strings(ss.EventTypes)
		st.Subscribers = append(st.Subscribers, ss)
	}
	sort.Slice(st.Subscribers, func(i, j int) bool { return st.Subscribers[i].ID < st.Subscribers[j].ID })
	return st
}
