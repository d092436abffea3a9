package marathonsim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// drainEvents opens a /v2/events stream (all event types, or the given
// ones) and reads it until the benchmark ends.
func drainEvents(b *testing.B, s *Server, types ...string) {
	b.Helper()
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	url := srv.URL + "/v2/events"
	for i, t := range types {
		url += map[bool]string{true: "?", false: "&"}[i == 0] + "event_type=" + t
	}
	req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.bus.Stats().Subscribers) == 0 {
		if time.Now().After(deadline) {
			b.Fatal("event stream did not attach")
		}
		runtime.Gosched()
	}
}

func post(b *testing.B, s *Server, path, body string, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if strings.HasPrefix(body, "{\"apps\"") {
		req.Method = http.MethodPut
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", req.Method, path, rec.Code, rec.Body)
	}
}

// BenchmarkCreateAppAt10000: one POST /v2/apps into a simulator that holds
// 10,000 apps (10,000 tasks), then the clock is advanced until its
// deployment is done, so an op includes every event of the deployment
// (api_post_event, group_change_success, 2 × deployment_info, 2 ×
// deployment_step_success, deployment_success, task status events).
func BenchmarkCreateAppAt10000(b *testing.B) {
	for _, sub := range []struct {
		name   string
		stream []string // nil: no stream; empty: all types
	}{
		{"no-stream", nil},
		{"stream-status-only", []string{"status_update_event"}},
		{"stream-all-events", []string{}},
	} {
		b.Run(sub.name, func(b *testing.B) {
			fc := NewFakeClock(time.Unix(0, 0))
			s, err := New(Options{Clock: fc})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			populate(b, s, 10000, 1)
			if sub.stream != nil {
				drainEvents(b, s, sub.stream...)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				post(b, s, "/v2/apps", fmt.Sprintf(`{"id":"/bench/app%d","cmd":"sleep 1000","instances":1}`, i), 201)
				fc.Advance(200 * time.Millisecond)
				i++
			}
			b.StopTimer()
			s.mu.Lock()
			left := len(s.deployments)
			s.mu.Unlock()
			if left != 0 {
				b.Fatalf("%d deployments still running", left)
			}
		})
	}
}

// BenchmarkGroupPut10000Apps: one PUT /v2/groups with 10,000 apps of one
// instance each into an empty simulator with a stream taking all events,
// run to the end of its deployment; ns/app is the time per app including
// its share of the events.
func BenchmarkGroupPut10000Apps(b *testing.B) { benchGroupPut(b, 10000) }

// BenchmarkGroupPutScaling: the same at several sizes; a deployment that
// is linear in its apps keeps ns/app flat.
func BenchmarkGroupPutScaling(b *testing.B) {
	for _, n := range []int{2500, 5000, 10000, 20000} {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) { benchGroupPut(b, n) })
	}
}

// benchGroupPut PUTs a group of n apps × 1 instance (virtual executor,
// FakeClock, so the op measures CPU, not waiting), advances the clock past
// the task start and checks that /v2/deployments is empty again.
func benchGroupPut(b *testing.B, n int) {
	var body strings.Builder
	body.WriteString(`{"apps":[`)
	for i := range n {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"id":"/team%d/app%d","cmd":"sleep 1000","instances":1}`, i%100, i)
	}
	body.WriteString("]}")
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fc := NewFakeClock(time.Unix(0, 0))
		s, err := New(Options{Clock: fc, TaskStart: 200 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		drainEvents(b, s)
		b.StartTimer()
		post(b, s, "/v2/groups/", body.String(), 200)
		fc.Advance(200 * time.Millisecond)
		b.StopTimer()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/deployments", nil))
		s.mu.Lock()
		tasks := len(s.tasks)
		s.mu.Unlock()
		if got := strings.TrimSpace(rec.Body.String()); got != "[]" || tasks != n {
			b.Fatalf("/v2/deployments = %.200s, %d tasks; want [] and %d tasks", got, tasks, n)
		}
		_ = s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/app")
}

// BenchmarkOneAppOf10000Instances: POST one app of 10,000 instances into an
// empty simulator (no stream), run to the end of its deployment. Each task
// change still counts the app's tasks, so this is quadratic in the
// instances of one app (not in the number of apps).
func BenchmarkOneAppOf10000Instances(b *testing.B) {
	const n = 10000
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fc := NewFakeClock(time.Unix(0, 0))
		s, err := New(Options{Clock: fc, TaskStart: 200 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		post(b, s, "/v2/apps", fmt.Sprintf(`{"id":"/big","cmd":"sleep 1000","instances":%d}`, n), 201)
		fc.Advance(200 * time.Millisecond)
		b.StopTimer()
		s.mu.Lock()
		left, tasks := len(s.deployments), len(s.tasks)
		s.mu.Unlock()
		if left != 0 || tasks != n {
			b.Fatalf("%d deployments left, %d tasks", left, tasks)
		}
		_ = s.Close()
		b.StartTimer()
	}
}
