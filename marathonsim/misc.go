package marathonsim

import (
	"net/http"
	"strings"
)

// handlePods serves the part of /v2/pods (api/v2/PodsResource.scala at
// v1.4.13) a client probes: HEAD /v2/pods is 200 when pods are supported
// (capability, lines 91-95), GET /v2/pods lists them (none; lines 151-155)
// and GET /v2/pods/{id} answers PodsResource.find's 404 (lines 157-170).
// The simulator runs no pods; other pod calls are unknown routes
// (DEVIATIONS.md).
func (s *Server) handlePods(w http.ResponseWriter, r *http.Request, rest string) {
	rest = strings.Trim(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusOK)
	case rest == "" && r.Method == http.MethodGet:
		writeJSON(w, 200, []any{})
	case rest != "" && r.Method == http.MethodGet:
		writeJSON(w, 404, map[string]any{"message": "pod with " + canonicalID(rest, "/") + " does not exist"})
	default:
		writeErr(w, uriNotFound(r.URL.EscapedPath()))
	}
}

// handlePlugins serves GET /v2/plugins (api/v2/PluginsResource.scala:28-34
// at v1.4.13): PluginDefinitions written as {"plugins": [...]}
// (Formats.scala:1494); the simulator loads no plugins.
func (s *Server) handlePlugins(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
		return
	}
	writeJSON(w, 200, map[string]any{"plugins": []any{}})
}

// handleMetrics serves /metrics, Codahale's MetricsServlet
// (api/BaseRestModule.scala:21-30 at v1.4.13): the registry as
// {"version":"3.0.0","gauges":{...},"counters":{},"histograms":{},
// "meters":{},"timers":{}}, with the gauges Marathon registers for apps,
// groups and tasks (core/group/impl/GroupManagerActor.scala:103-113,
// core/task/tracker/impl/InstanceTrackerActor.scala:56-57). Marathon's JVM,
// Jetty and actor metrics are not simulated.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.lock()
	staged, running := 0, 0
	for _, t := range s.tasks {
		switch t.state {
		case stateStaging:
			staged++
		case stateRunning:
			running++
		}
	}
	gauge := func(v int) map[string]int { return map[string]int{"value": v} }
	gauges := map[string]any{
		"service.mesosphere.marathon.app.count":          gauge(len(s.root.apps)),
		"service.mesosphere.marathon.group.count":        gauge(len(s.root.groups)),
		"service.mesosphere.marathon.task.running.count": gauge(running),
		"service.mesosphere.marathon.task.staged.count":  gauge(staged),
	}
	s.unlock()
	empty := func() map[string]any { return map[string]any{} }
	writeJSON(w, 200, map[string]any{"version": "3.0.0", "gauges": gauges, "counters": empty(), "histograms": empty(), "meters": empty(), "timers": empty()})
}
