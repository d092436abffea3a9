package events

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEncode(t *testing.T) {
	type status struct {
		TaskID string `json:"taskId"`
		Ports  []int  `json:"ports"`
	}
	tests := []struct {
		name    string
		typ     string
		payload any
		want    string // the data line; empty: rejected
	}{
		{"struct keeps field order", "status_update_event", status{TaskID: "t1", Ports: []int{31000}},
			`{"taskId":"t1","ports":[31000],"eventType":"status_update_event","timestamp":"` + fixedStamp + `"}`},
		{"map", "deployment_success", map[string]any{"id": "d1"},
			`{"id":"d1","eventType":"deployment_success","timestamp":"` + fixedStamp + `"}`},
		{"empty struct", "x", struct{}{}, `{"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"nil payload", "x", nil, `{"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"empty map", "x", map[string]int{}, `{"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"pointer to struct", "x", &status{TaskID: "p"},
			`{"taskId":"p","ports":null,"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"marshaler output is compacted", "x", rawJSON(` { "a" : 1 } `),
			`{"a":1,"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"encoded is taken as it is", "x", Encoded(`{"b":[1,2]}`),
			`{"b":[1,2],"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"empty encoded object", "x", Encoded(`{}`), `{"eventType":"x","timestamp":"` + fixedStamp + `"}`},
		{"encoded non-object rejected", "x", Encoded(`[1]`), ""},
		{"slice rejected", "x", []int{1}, ""},
		{"string rejected", "x", "s", ""},
		{"unmarshalable rejected", "x", map[string]any{"c": make(chan int)}, ""},
		{"NaN rejected", "x", map[string]float64{"n": math.NaN()}, ""},
	}
	b := NewBus(Options{Now: fixedNow})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := b.encode(tc.typ, tc.payload)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("encode accepted %#v: %q", tc.payload, f.data)
				}
				return
			}
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			want := "event: " + tc.typ + "\ndata: " + tc.want + "\n\n"
			if string(f.data) != want {
				t.Errorf("frame\n got %q\nwant %q", f.data, want)
			}
			if f.eventType != tc.typ {
				t.Errorf("eventType = %q, want %q", f.eventType, tc.typ)
			}
		})
	}
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestPublishInvalidIsCounted(t *testing.T) {
	b := NewBus(Options{})
	b.Publish("x", []string{"not", "an", "object"})
	b.Publish("x", map[string]any{"ok": true})
	st := b.Stats()
	if st.Invalid != 1 || st.Published != 1 {
		t.Errorf("Invalid, Published = %d, %d; want 1, 1", st.Invalid, st.Published)
	}
}

func TestDefaults(t *testing.T) {
	b := NewBus(Options{})
	if b.buffer != DefaultBufferPerSubscriber || DefaultBufferPerSubscriber != 4096 {
		t.Errorf("buffer = %d, want 4096", b.buffer)
	}
	before := time.Now().Add(-time.Second)
	f, err := b.encode("x", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ts string
	if _, err := fmt.Sscanf(strings.SplitAfter(string(f.data), `"timestamp":"`)[1], "%24s", &ts); err != nil {
		t.Fatal(err)
	}
	got, err := time.Parse(timestampLayout, ts)
	if err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	if got.Before(before) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("default clock gave %v, want about now", got)
	}
}

func TestWireFormat(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	s := open(t, srv, "")
	if got := s.resp.Header.Get("Content-Type"); got != "text/event-stream;charset=UTF-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if s.resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", s.resp.StatusCode)
	}
	ev := s.next(t)
	want := sseEvent{Type: "event_stream_attached",
		Data: `{"remoteAddress":"127.0.0.1","eventType":"event_stream_attached","timestamp":"` + fixedStamp + `"}`}
	if ev != want {
		t.Errorf("first event\n got %+v\nwant %+v", ev, want)
	}
	bus.Publish("deployment_success", map[string]string{"id": "d1"})
	if ev := s.next(t); ev.Type != "deployment_success" || ev.decode(t)["id"] != "d1" {
		t.Errorf("got %+v", ev)
	}
	st := bus.Stats()
	if len(st.Subscribers) != 1 || st.Subscribers[0].Delivered != 2 || st.Subscribers[0].RemoteAddress != "127.0.0.1" {
		t.Errorf("stats = %+v", st)
	}
}

// PublishAt stamps the event with the time given, not the bus clock's.
func TestPublishAtKeepsItsTime(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	s := open(t, srv, "?event_type=x")
	at := time.Date(2020, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("X", -3600))
	bus.PublishAt("x", Encoded(`{"a":1}`), at)
	want := sseEvent{Type: "x", Data: `{"a":1,"eventType":"x","timestamp":"2020-01-02T04:04:05.678Z"}`}
	if ev := s.next(t); ev != want {
		t.Errorf("event\n got %+v\nwant %+v", ev, want)
	}
}

func TestWants(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	if bus.Wants("x") {
		t.Error("Wants with no stream = true")
	}
	open(t, srv, "?event_type=x")
	waitSubscribers(t, bus, 1)
	if !bus.Wants("x") || bus.Wants("y") {
		t.Errorf("Wants(x), Wants(y) = %v, %v with a stream of x; want true, false", bus.Wants("x"), bus.Wants("y"))
	}
	open(t, srv, "")
	waitSubscribers(t, bus, 2)
	if !bus.Wants("y") {
		t.Error("Wants(y) = false with a stream of every type")
	}
}

func TestEveryEventIsFlushed(t *testing.T) {
	// Each event must reach the client without waiting for more traffic:
	// read each one before publishing the next.
	bus, srv := newBusServer(t, Options{})
	s := open(t, srv, "")
	s.next(t) // attached
	for i := range 20 {
		bus.Publish("tick", map[string]int{"n": i})
		if got := s.next(t).decode(t)["n"]; got != float64(i) {
			t.Fatalf("n = %v, want %d", got, i)
		}
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"no filter gets all", "", []string{"event_stream_attached", "a", "b", "c"}},
		{"empty value means all", "?event_type=", []string{"event_stream_attached", "a", "b", "c"}},
		{"two types", "?event_type=a&event_type=c", []string{"a", "c"}},
		{"attached only when asked", "?event_type=event_stream_attached&event_type=b", []string{"event_stream_attached", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bus, srv := newBusServer(t, Options{})
			s := open(t, srv, tc.query)
			waitSubscribers(t, bus, 1)
			for _, typ := range []string{"a", "b", "c"} {
				bus.Publish(typ, nil)
			}
			bus.Publish("end", nil) // not wanted by filtered streams; close to flush the rest
			var got []string
			if tc.query == "" || tc.query == "?event_type=" {
				for range 5 {
					got = append(got, s.next(t).Type)
				}
				got = got[:4]
			} else {
				for range tc.want {
					got = append(got, s.next(t).Type)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("types = %v, want %v", got, tc.want)
			}
			st := bus.Stats().Subscribers[0]
			if tc.query != "" && tc.query != "?event_type=" && len(st.EventTypes) != 2 {
				t.Errorf("EventTypes = %v", st.EventTypes)
			}
		})
	}
}

func TestFilteredStreamSkipsOthers(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	s := open(t, srv, "?event_type=b")
	waitSubscribers(t, bus, 1)
	bus.Publish("a", nil)
	bus.Publish("b", map[string]int{"n": 1})
	bus.Publish("a", nil)
	bus.Publish("b", map[string]int{"n": 2})
	for _, n := range []float64{1, 2} {
		ev := s.next(t)
		if ev.Type != "b" || ev.decode(t)["n"] != n {
			t.Fatalf("got %+v, want b n=%v", ev, n)
		}
	}
	if d := bus.Stats().Subscribers[0].Delivered; d != 2 {
		t.Errorf("delivered = %d, want 2", d)
	}
}

func TestDetachedIsPublishedToOthers(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	a := open(t, srv, "")
	a.next(t) // own attached
	b := open(t, srv, "")
	b.next(t) // own attached
	if ev := a.next(t); ev.Type != "event_stream_attached" {
		t.Fatalf("a saw %+v, want b's attached", ev)
	}
	b.close()
	ev := a.next(t)
	if ev.Type != "event_stream_detached" || ev.decode(t)["remoteAddress"] != "127.0.0.1" {
		t.Fatalf("a saw %+v, want event_stream_detached", ev)
	}
	waitSubscribers(t, bus, 1)
}

func TestDropAllAndReconnect(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	a := open(t, srv, "")
	b := open(t, srv, "")
	waitSubscribers(t, bus, 2)
	bus.DropAll()
	a.ended(t)
	b.ended(t)
	waitSubscribers(t, bus, 0)

	c := open(t, srv, "")
	if ev := c.next(t); ev.Type != "event_stream_attached" {
		t.Fatalf("after reconnect got %+v", ev)
	}
	bus.Publish("x", nil)
	if ev := c.next(t); ev.Type != "x" {
		t.Fatalf("after reconnect got %+v", ev)
	}
}

func TestCloseEndsStreamsAndRefusesNew(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	a := open(t, srv, "")
	a.next(t)
	bus.Close()
	a.ended(t)
	bus.Publish("after", nil) // no panic, no effect
	bus.Close()               // idempotent

	b := open(t, srv, "")
	if b.resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: status %d, want 503", b.resp.StatusCode)
	}
	b.ended(t)
	if st := bus.Stats(); len(st.Subscribers) != 0 || st.Published != 1 {
		t.Errorf("stats after close = %+v", st)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	bus := NewBus(Options{})
	rec := httptest.NewRecorder()
	bus.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v2/events", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d", rec.Code)
	}
}

func TestHeadHasHeadersOnly(t *testing.T) {
	bus := NewBus(Options{})
	rec := httptest.NewRecorder()
	bus.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/v2/events", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != contentType || rec.Body.Len() != 0 {
		t.Errorf("HEAD = %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if len(bus.Stats().Subscribers) != 0 {
		t.Error("HEAD subscribed")
	}
}

// gatedWriter is a ResponseWriter whose Write blocks until released or until
// a write deadline is set, like a client that stopped reading.
type gatedWriter struct {
	header   http.Header
	entered  chan struct{} // receives once per Write call
	release  chan struct{}
	deadline chan struct{}
	dlOnce   sync.Once

	mu     sync.Mutex
	frames []string
}

func newGatedWriter() *gatedWriter {
	return &gatedWriter{header: http.Header{}, entered: make(chan struct{}, 1<<10),
		release: make(chan struct{}), deadline: make(chan struct{})}
}

func (g *gatedWriter) Header() http.Header { return g.header }
func (g *gatedWriter) WriteHeader(int)     {}
func (g *gatedWriter) Flush()              {}
func (g *gatedWriter) Write(p []byte) (int, error) {
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-g.deadline:
		return 0, fmt.Errorf("write deadline exceeded")
	}
	g.mu.Lock()
	g.frames = append(g.frames, string(p))
	g.mu.Unlock()
	return len(p), nil
}
func (g *gatedWriter) SetWriteDeadline(time.Time) error {
	g.dlOnce.Do(func() { close(g.deadline) })
	return nil
}

func TestSlowConsumerDropsAreCountedAndPublishNeverBlocks(t *testing.T) {
	bus := NewBus(Options{BufferPerSubscriber: 2, Now: fixedNow})
	w := newGatedWriter()
	served := make(chan struct{})
	go func() {
		defer close(served)
		bus.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v2/events", nil).WithContext(t.Context()))
	}()
	<-w.entered // the pump holds "attached" and is stuck writing it

	for i := range 5 { // would block forever if Publish waited for the stream
		bus.Publish("e", map[string]int{"n": i})
	}
	st := bus.Stats()
	sub := st.Subscribers[0]
	if sub.Queued != 2 || sub.Dropped != 3 || st.Dropped != 3 || sub.Delivered != 0 {
		t.Fatalf("stats = %+v, want 2 queued, 3 dropped", st)
	}

	close(w.release)
	for range 2 {
		<-w.entered
	}
	bus.Close() // ends the stream; waits for ServeHTTP
	<-served
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.frames) != 3 || !strings.Contains(w.frames[1], `"n":0`) || !strings.Contains(w.frames[2], `"n":1`) {
		t.Errorf("frames = %q, want attached, n=0, n=1", w.frames)
	}
	if st := bus.Stats(); st.Dropped != 3 {
		t.Errorf("Dropped after close = %d, want 3 (kept for closed streams)", st.Dropped)
	}
}

func TestCloseUnblocksStuckWriter(t *testing.T) {
	bus := NewBus(Options{})
	w := newGatedWriter()
	served := make(chan struct{})
	go func() {
		defer close(served)
		bus.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v2/events", nil).WithContext(t.Context()))
	}()
	<-w.entered // blocked in Write, never released
	bus.Close() // must not hang: sets a write deadline
	<-served
}

func TestConcurrentPublishersSameOrderForAll(t *testing.T) {
	bus, srv := newBusServer(t, Options{})
	const streams, publishers, each = 5, 8, 200
	var ss []*stream
	for range streams {
		s := open(t, srv, "?event_type=e")
		ss = append(ss, s)
	}
	waitSubscribers(t, bus, streams)

	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				bus.Publish("e", map[string]int{"p": p, "i": i})
			}
		})
	}
	wg.Wait()

	var first []string
	for k, s := range ss {
		var got []string
		last := make(map[float64]float64)
		for range publishers * each {
			ev := s.next(t)
			m := ev.decode(t)
			p, i := m["p"].(float64), m["i"].(float64)
			if prev, ok := last[p]; ok && i != prev+1 {
				t.Fatalf("stream %d: publisher %v went %v -> %v", k, p, prev, i)
			}
			last[p] = i
			got = append(got, ev.Data)
		}
		if k == 0 {
			first = got
		} else if strings.Join(got, "\n") != strings.Join(first, "\n") {
			t.Fatalf("stream %d saw a different order than stream 0", k)
		}
	}
	if st := bus.Stats(); st.Dropped != 0 {
		t.Errorf("dropped = %d", st.Dropped)
	}
}

// TestSubscribedBeforeHeaders: once a client has the response headers, it
// receives everything published afterwards, with no need to wait for an
// event first (the filter here even excludes event_stream_attached).
func TestSubscribedBeforeHeaders(t *testing.T) {
	for i := range 50 {
		bus, srv := newBusServer(t, Options{})
		s := open(t, srv, "?event_type=x")
		bus.Publish("x", map[string]int{"i": i})
		if ev := s.next(t); ev.Type != "x" {
			t.Fatalf("got %+v", ev)
		}
	}
}
