package marathon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadSSE(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // "type data"
	}{
		{
			name: "marathon wire format",
			body: "event: event_stream_attached\ndata: {\"remoteAddress\":\"1.2.3.4\",\"eventType\":\"event_stream_attached\"}\n\n" +
				"event: status_update_event\ndata: {\"taskId\":\"t1\",\"eventType\":\"status_update_event\"}\n\n",
			want: []string{
				`event_stream_attached {"remoteAddress":"1.2.3.4","eventType":"event_stream_attached"}`,
				`status_update_event {"taskId":"t1","eventType":"status_update_event"}`,
			},
		},
		{
			name: "two objects in one event, comments, CRLF-free multi data lines",
			body: ": keep-alive\nevent: health_status_changed_event\ndata: {\"alive\":true,\"eventType\":\"health_status_changed_event\"}\n" +
				"data: {\"appId\":\"/a\",\"eventType\":\"app_terminated_event\"}\n\n",
			want: []string{
				`health_status_changed_event {"alive":true,"eventType":"health_status_changed_event"}`,
				`app_terminated_event {"appId":"/a","eventType":"app_terminated_event"}`,
			},
		},
		{
			name: "type from the payload when the event line is missing",
			body: "data: {\"appId\":\"/a\",\"eventType\":\"app_terminated_event\"}\n\n",
			want: []string{`app_terminated_event {"appId":"/a","eventType":"app_terminated_event"}`},
		},
		{
			name: "garbage data is skipped",
			body: "event: x\ndata: not json\n\nevent: y\ndata: {}\n\n",
			want: []string{`y {}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := readSSE(strings.NewReader(tc.body), func() {}, func(e Event) {
				got = append(got, e.Type+" "+string(e.Data))
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// sseServer serves one scripted body per connection, then 503s.
type sseServer struct {
	mu     sync.Mutex
	bodies []string
	got    []string // request URIs
	hold   chan struct{}
}

func (s *sseServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.got = append(s.got, r.URL.RequestURI()+" accept="+r.Header.Get("Accept"))
	if len(s.bodies) == 0 {
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	body := s.bodies[0]
	s.bodies = s.bodies[1:]
	last := len(s.bodies) == 0
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = io.WriteString(w, body)
	w.(http.Flusher).Flush()
	if last && s.hold != nil {
		select {
		case <-s.hold:
		case <-r.Context().Done():
		}
	}
}

func TestStreamEventsReconnectsWithGap(t *testing.T) {
	srv := &sseServer{
		bodies: []string{
			"event: status_update_event\ndata: {\"n\":1}\n\n",
			"event: status_update_event\ndata: {\"n\":2}\n\n",
		},
		hold: make(chan struct{}),
	}
	defer close(srv.hold)
	c, err := New(Options{URLs: []string{newServer(t, srv)}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(t.Context())
	defer stop()
	var got []string
	var errs []string
	done := make(chan error, 1)
	go func() {
		done <- c.StreamEvents(runCtx, StreamOptions{
			Types:      []string{"status_update_event", "health_status_changed_event"},
			MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
			OnError: func(err error, _ time.Duration) { errs = append(errs, err.Error()) },
		}, func(e Event) {
			if e.Gap {
				got = append(got, "gap")
			} else {
				got = append(got, e.Type+" "+string(e.Data))
			}
			if len(got) == 4 {
				stop()
			}
		})
	}()
	<-done
	want := []string{"gap", `status_update_event {"n":1}`, "gap", `status_update_event {"n":2}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], ErrStreamEnded.Error()) {
		t.Errorf("errors = %q, want one stream-ended error", errs)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	wantURI := "/v2/events?event_type=status_update_event&event_type=health_status_changed_event accept=text/event-stream"
	if srv.got[0] != wantURI {
		t.Errorf("request = %q, want %q", srv.got[0], wantURI)
	}
}

func TestStreamEventsBacksOffOnErrors(t *testing.T) {
	srv := &sseServer{} // always 503
	c, err := New(Options{URLs: []string{newServer(t, srv)}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(t.Context())
	defer stop()
	var waits []time.Duration
	_ = c.StreamEvents(runCtx, StreamOptions{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		OnError: func(err error, d time.Duration) {
			waits = append(waits, d)
			if len(waits) == 5 {
				stop()
			}
		}}, func(Event) { t.Error("no event expected") })
	// Jittered in [b/2, b], b doubling from 1ms to the 4ms cap.
	caps := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	for i, w := range waits {
		if w < caps[i]/2 || w > caps[i] {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w, caps[i]/2, caps[i])
		}
	}
}

func TestListApplications(t *testing.T) {
	body := `{"apps":[
	  {"id":"/web","env":{"DB":{"secret":"db"}},"labels":{"NIXY_REALM":"internal"},"version":"v1",
	   "tasks":[{"id":"web.1","host":"h1","ports":[31001],"state":"TASK_RUNNING","version":"v1",
	             "healthCheckResults":[{"alive":true,"instanceId":"web.1"}]}]},
	  {"id":"/bad","instances":"many"}
	]}`
	rec := &recorder{status: 200, body: body}
	c, err := New(Options{URLs: []string{newServer(t, rec)}})
	if err != nil {
		t.Fatal(err)
	}
	apps, err := c.ListApplications(t.Context())
	var de *DecodeError
	if !errors.As(err, &de) || len(de.Apps) != 1 || de.Apps["/bad"] == nil {
		t.Fatalf("err = %v, want a DecodeError for /bad", err)
	}
	got := []string{}
	for _, a := range apps {
		for _, tk := range a.Tasks {
			got = append(got, fmt.Sprintf("%s %s %s:%v %s alive=%v realm=%s", a.ID, tk.ID, tk.Host, tk.Ports, tk.State,
				tk.HealthCheckResults[0].Alive, (*a.Labels)["NIXY_REALM"]))
		}
	}
	want := []string{"/web web.1 h1:[31001] TASK_RUNNING alive=true realm=internal"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apps (-want +got):\n%s", diff)
	}
	if rec.got[0] != "GET /v2/apps?embed=apps.tasks&embed=apps.deployments " {
		t.Errorf("request = %q", rec.got[0])
	}
}
