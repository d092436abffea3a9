package marathonsim

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// faults are injected into /v2 requests by POST /sim/v1/faults.
type faults struct {
	LatencyMs        int     `json:"latencyMs"`
	ErrorRate        float64 `json:"errorRate"`
	ErrorStatus      int     `json:"errorStatus"`
	DropEventStreams bool    `json:"dropEventStreams"`
	StallDeployments bool    `json:"stallDeployments"`
}

// applyFaults delays or fails a /v2 request as the faults say. It returns a
// non-nil error when it answered the request itself.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(r.URL.Path, "/v2/") {
		return nil
	}
	s.lock()
	f := s.faults
	s.unlock()
	if f.LatencyMs > 0 {
		done := make(chan struct{})
		t := s.clock.AfterFunc(time.Duration(f.LatencyMs)*time.Millisecond, func() { close(done) })
		select {
		case <-done:
		case <-r.Context().Done():
			t.Stop()
			return r.Context().Err()
		}
	}
	if f.DropEventStreams && r.URL.Path == "/v2/events" {
		// The stream stays down until the fault is cleared, so clients
		// see a gap of a chosen length, not one reconnect.
		writeErr(w, errMsg(http.StatusServiceUnavailable, "event stream unavailable (simulated fault)"))
		return errInjected
	}
	if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		status := f.ErrorStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		writeErr(w, errMsg(status, "simulated fault"))
		return errInjected
	}
	return nil
}

type injectedError struct{}

func (injectedError) Error() string { return "injected fault" }

var errInjected error = injectedError{}

// handleControl serves /sim/v1: task health and failure, faults, state.
func (s *Server) handleControl(w http.ResponseWriter, r *http.Request, rest string) {
	switch {
	case rest == "/faults" && r.Method == http.MethodPost:
		var f faults
		if _, err := readBody(r, &f); err != nil {
			writeErr(w, err)
			return
		}
		s.lock()
		s.faults = f
		s.settle()
		s.unlock()
		if f.DropEventStreams {
			s.bus.DropAll()
		}
		writeJSON(w, 200, f)
	case rest == "/faults" && r.Method == http.MethodDelete:
		s.lock()
		s.faults = faults{}
		s.settle()
		s.unlock()
		w.WriteHeader(http.StatusNoContent)
	case rest == "/state" && r.Method == http.MethodGet:
		s.lock()
		defer s.unlock()
		writeJSON(w, 200, s.stateDump())
	case strings.HasPrefix(rest, "/tasks/") && r.Method == http.MethodPost:
		id, verb, _ := strings.Cut(strings.TrimPrefix(rest, "/tasks/"), "/")
		s.controlTask(w, r, id, verb)
	default:
		writeErr(w, uriNotFound(r.URL.EscapedPath()))
	}
}

func (s *Server) controlTask(w http.ResponseWriter, r *http.Request, id, verb string) {
	var body struct {
		Alive *bool `json:"alive"`
	}
	if verb == "health" {
		if _, err := readBody(r, &body); err != nil {
			writeErr(w, err)
			return
		}
		if body.Alive == nil {
			writeErr(w, errMsg(422, "alive is required"))
			return
		}
	}
	s.lock()
	defer s.unlock()
	t, ok := s.tasks[id]
	if !ok {
		writeErr(w, taskNotFound(id))
		return
	}
	switch verb {
	case "health":
		t.forced = body.Alive
		if t.state == stateRunning {
			for i := range t.def.HealthChecks {
				s.recordHealth(t, i, *body.Alive, "simulated failure")
				if s.tasks[id] != t {
					break
				}
			}
		}
	case "fail":
		s.failTask(t, "simulated crash")
	default:
		writeErr(w, uriNotFound(r.URL.EscapedPath()))
		return
	}
	s.settle()
	writeJSON(w, 200, map[string]any{"task": taskJSON(t)})
}

// stateDump is GET /sim/v1/state: everything, for debugging.
func (s *Server) stateDump() map[string]any {
	apps := []map[string]any{}
	for _, id := range s.root.sortedAppIDs() {
		entry := map[string]any{"app": s.appView(s.root.apps[id], viewOpts{versionInfo: true, counts: true, tasks: true, lastTaskFailure: true})}
		if rt := s.rt[id]; rt != nil {
			entry["queue"] = map[string]any{"count": rt.queue.count, "delaySeconds": rt.queue.delay.Seconds(), "delayUntil": optTime(rt.queue.delayUntil)}
		}
		apps = append(apps, entry)
	}
	return map[string]any{
		"now":         formatTime(s.now()),
		"executor":    s.opts.Executor,
		"capacity":    map[string]float64{"cpus": s.opts.CPUs, "mem": s.opts.MemMB, "usedCpus": s.usedCPUs, "usedMem": s.usedMem},
		"faults":      s.faults,
		"apps":        apps,
		"deployments": s.deploymentViews(),
		"groups":      s.groupJSON(s.root, "/", groupEmbed{groups: true}),
	}
}
