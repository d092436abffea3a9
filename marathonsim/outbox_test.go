package marathonsim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim/internal/events"
)

// sseEvent is one event read from a /v2/events stream.
type sseEvent struct {
	typ  string
	data map[string]any
}

// openStream opens /v2/events over real HTTP and returns its events as
// they arrive. Once it returns, the stream is subscribed.
func openStream(t *testing.T, srv *httptest.Server, query string) <-chan sseEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v2/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan sseEvent, 1024)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 16<<20)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var m map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m); err != nil {
					t.Errorf("event %s: %v", typ, err)
				}
				out <- sseEvent{typ, m}
			}
		}
	}()
	return out
}

// next returns the next event of the stream, failing the test if none
// comes in time.
func next(t *testing.T, evs <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-evs:
		if !ok {
			t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// serve performs a request from any goroutine; it reports a wrong status
// with t.Errorf.
func serve(t *testing.T, s *Server, method, path, body string, want int) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != want {
		t.Errorf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body, want)
	}
}

// Events are published after the server lock is released. Writers and
// task timers running at once must still reach a stream in the order the
// changes happened, with nothing lost: each api_post_event is followed by
// the group_change_success of the same change, versions only grow, each
// status_update_event by the instance_changed_event of the same task, and
// every task is TASK_STAGING then TASK_RUNNING.
func TestEventOrderUnderConcurrentWrites(t *testing.T) {
	const checked = "?event_type=api_post_event&event_type=group_change_success&event_type=status_update_event&event_type=instance_changed_event&"
	x := newSim(t, Options{})
	var hookMu sync.Mutex
	var hooked []sseEvent
	x.s.onEvent = func(typ string, payload any) { // as newSim's, for the checked types only
		if !strings.Contains(checked, "event_type="+typ+"&") {
			return
		}
		b, _ := json.Marshal(payload)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		hookMu.Lock()
		hooked = append(hooked, sseEvent{typ, m})
		hookMu.Unlock()
	}
	srv := httptest.NewServer(x.s)
	t.Cleanup(srv.Close) // after t.Context is done, which ends the stream
	stream := openStream(t, srv, checked)

	const writers, each = 6, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				serve(t, x.s, http.MethodPost, "/v2/apps", fmt.Sprintf(`{"id":"/w%d/app%d","cmd":"x"}`, w, i), 201)
			}
		})
	}
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() { // task starts publish from timers, concurrently with the writes
		defer close(ticked)
		for {
			select {
			case <-stop:
				return
			default:
				x.advance(50 * time.Millisecond)
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-ticked
	x.advance(time.Second)

	check := func(name string, evs []sseEvent) {
		t.Helper()
		lastVersion, posts, changes := "", 0, 0
		states := map[string][]string{}
		for i, ev := range evs {
			switch ev.typ {
			case "api_post_event":
				posts++
				if i+1 >= len(evs) || evs[i+1].typ != "group_change_success" {
					t.Fatalf("%s: event %d: api_post_event not followed by its group_change_success", name, i)
				}
				def := ev.data["appDefinition"].(map[string]any)
				if v := evs[i+1].data["version"]; v != def["version"] {
					t.Fatalf("%s: event %d: api_post_event of %v version %v, then group_change_success of version %v", name, i, def["id"], def["version"], v)
				}
			case "group_change_success":
				changes++
				v := ev.data["version"].(string)
				if v <= lastVersion {
					t.Fatalf("%s: event %d: group_change_success version %s after %s", name, i, v, lastVersion)
				}
				lastVersion = v
			case "status_update_event":
				id := ev.data["taskId"].(string)
				states[id] = append(states[id], ev.data["taskStatus"].(string))
				if i+1 >= len(evs) || evs[i+1].typ != "instance_changed_event" || evs[i+1].data["instanceId"] != instanceOf(id) {
					t.Fatalf("%s: event %d: status_update_event of %s not followed by its instance_changed_event", name, i, id)
				}
			}
		}
		if posts != writers*each || changes != writers*each || len(states) != writers*each {
			t.Errorf("%s: %d api_post_event, %d group_change_success, %d tasks; want %d of each", name, posts, changes, len(states), writers*each)
		}
		for id, st := range states {
			if strings.Join(st, " ") != "TASK_STAGING TASK_RUNNING" {
				t.Errorf("%s: task %s went %v", name, id, st)
			}
		}
	}

	var streamed []sseEvent
	for range 6 * writers * each { // per app: a post, a change, and two events each for staging and running
		streamed = append(streamed, next(t, stream))
	}
	check("stream", streamed)
	hookMu.Lock()
	defer hookMu.Unlock()
	check("hook", hooked)
	if st := x.s.bus.Stats(); st.Dropped != 0 {
		t.Errorf("%d events dropped", st.Dropped)
	}
}

// stuckWriter is an event stream client that never reads: its first
// write blocks until the stream is ended.
type stuckWriter struct {
	header   http.Header
	entered  chan struct{}
	deadline chan struct{}
	once     sync.Once
}

func newStuckWriter() *stuckWriter {
	return &stuckWriter{header: http.Header{}, entered: make(chan struct{}, 1), deadline: make(chan struct{})}
}

func (w *stuckWriter) Header() http.Header { return w.header }
func (w *stuckWriter) WriteHeader(int)     {}
func (w *stuckWriter) Flush()              {}

func (w *stuckWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.deadline
	return 0, fmt.Errorf("write deadline exceeded")
}

func (w *stuckWriter) SetWriteDeadline(time.Time) error {
	w.once.Do(func() { close(w.deadline) })
	return nil
}

// A stream whose client does not read never holds up the API: the bus
// queues events per stream and drops them for that stream once its queue
// is full (Marathon drops beyond --event_stream_max_outstanding_messages).
func TestStuckStreamDoesNotBlockRequests(t *testing.T) {
	x := newSim(t, Options{})
	w := newStuckWriter()
	served := make(chan struct{})
	go func() {
		defer close(served)
		x.s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v2/events", nil).WithContext(t.Context()))
	}()
	<-w.entered // stuck writing event_stream_attached

	// 2 × 2,100 staging events alone overflow the 4,096-event queue.
	const apps, each = 42, 50
	x.s.stepCheck = nil // a full scan of the 42-app step per task start
	var group strings.Builder
	group.WriteString(`{"id":"/big","apps":[`)
	for i := range apps {
		if i > 0 {
			group.WriteString(",")
		}
		fmt.Fprintf(&group, `{"id":"a%d","cmd":"x","instances":%d}`, i, each)
	}
	group.WriteString("]}")
	if apps*each*2 <= events.DefaultBufferPerSubscriber {
		t.Fatal("too few events to fill the queue")
	}
	x.must(201, "POST", "/v2/groups", group.String())
	x.advance(time.Second)
	if got := x.app("/big/a0")["tasksRunning"]; got != float64(each) {
		t.Errorf("tasksRunning = %v, want %d", got, each)
	}
	x.must(200, "GET", "/v2/apps", nil)
	x.must(200, "PUT", "/v2/apps/big/a0", `{"instances":1}`)
	st := x.s.bus.Stats()
	if len(st.Subscribers) != 1 || st.Subscribers[0].Dropped == 0 || st.Subscribers[0].Delivered != 0 {
		t.Errorf("stats = %+v, want one stream that dropped events and delivered none", st)
	}
	x.s.bus.DropAll()
	<-served
}

// Publishing happens outside the server lock: while a write's events are
// being published (here, held up in the test hook), reads are served. (A
// write would wait for them: its own events are published after them.)
func TestReadsDoNotWaitForPublishing(t *testing.T) {
	x := newSim(t, Options{})
	hold, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	x.s.onEvent = func(string, any) {
		once.Do(func() {
			close(hold)
			<-release
		})
	}
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		serve(t, x.s, http.MethodPost, "/v2/apps", `{"id":"/a","cmd":"x"}`, 201)
	}()
	<-hold // the POST is publishing its first event
	served := make(chan struct{})
	go func() {
		defer close(served)
		serve(t, x.s, http.MethodGet, "/v2/apps/a", "", 200)
		serve(t, x.s, http.MethodGet, "/v2/deployments", "", 200)
		serve(t, x.s, http.MethodGet, "/v2/groups", "", 200)
	}()
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Error("reads waited for another request's events to be published")
	}
	select {
	case <-posted:
		t.Error("the POST returned before its events were published")
	default:
	}
	close(release)
	<-posted
	<-served
}

// Deployment events are built from the rendered plan without marshalling
// it again; the bytes must be what marshalling the map gives.
func TestDeploymentEventPayloads(t *testing.T) {
	plan := json.RawMessage(`{"id":"d1","original":{"id":"/","apps":[{"id":"/a","labels":{"x":"\u003cb\u003e"}}]},"steps":[],"version":"v"}`)
	cur := step{Actions: []action{{actScale, "/a"}}}
	for _, tc := range []struct {
		name string
		got  events.Encoded
		want map[string]any
	}{
		{"step", deploymentStepEvent(cur, plan), map[string]any{"plan": plan, "currentStep": cur}},
		{"result", deploymentResultEvent("d1", plan), map[string]any{"id": "d1", "plan": plan}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if string(tc.got) != string(want) {
				t.Errorf("payload\n got %s\nwant %s", tc.got, want)
			}
		})
	}
}
