package marathonsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// populate stores n apps with k running tasks each, bypassing deployments.
func populate(b *testing.B, s *Server, n, k int) {
	b.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	version, _ := s.newVersion()
	next := s.root.clone()
	for i := 0; i < n; i++ {
		a := &App{ID: fmt.Sprintf("/team%d/app%d", i%100, i), Cmd: ptr("sleep 1000"), Instances: ptr(k), Labels: map[string]string{"HAPROXY_GROUP": "external"},
			HealthChecks: []HealthCheck{{Protocol: "HTTP"}}}
		applyDefaults(a)
		a.PortDefinitions[0].Port = servicePortMin + i
		a.Version = version
		a.VersionInfo = &VersionInfo{LastScalingAt: version, LastConfigChangeAt: version}
		next.putApp(a, version)
		r := s.runtime(a.ID)
		for j := 0; j < k; j++ {
			t := &task{id: fmt.Sprintf("%s.%d", safeID(a.ID), j), appID: a.ID, def: a, state: stateRunning, stagedAt: s.now(), startedAt: s.now(), stagedStr: formatTime(s.now()), startedStr: ptr(formatTime(s.now())),
				ports: []int{31000 + j}, servicePorts: servicePortsOf(a), health: []healthResult{{has: true, alive: true, firstSuccess: s.now(), lastSuccess: s.now()}}}
			r.tasks[t.id] = t
			s.tasks[t.id] = t
		}
	}
	s.root = next
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkListAppsWithTasks: 10,000 apps / 50,000 tasks,
// GET /v2/apps?embed=apps.tasks (target < 1 s/op).
func BenchmarkListAppsWithTasks(b *testing.B) {
	s, err := New(Options{Clock: NewFakeClock(time.Unix(0, 0))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	populate(b, s, 10000, 5)
	req := httptest.NewRequest("GET", "/v2/apps?embed=apps.tasks", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discard{h: http.Header{}}
		s.ServeHTTP(w, req)
	}
}
