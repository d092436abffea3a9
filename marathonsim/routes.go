package marathonsim

import (
	"net/http"
	"regexp"
	"strings"
)

var (
	appTaskRE    = regexp.MustCompile(`^(.+)/tasks/([^/]+)$`)
	appVersionRE = regexp.MustCompile(`^(.+)/versions/([^/]+)$`)
)

// route dispatches a request. App ids contain slashes, so the /v2/apps
// suffixes (/restart, /tasks, /tasks/{id}, /versions, /versions/{v}) are
// matched from the end.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/ping":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("pong\n"))
	case path == "/v2/info" && r.Method == http.MethodGet:
		s.handleInfo(w, r)
	case path == "/v2/leader":
		s.handleLeader(w, r)
	case path == "/v2/events":
		s.bus.ServeHTTP(w, r)
	case path == "/v2/apps" || path == "/v2/apps/":
		switch r.Method {
		case http.MethodGet:
			s.handleAppsList(w, r)
		case http.MethodPost:
			s.handleAppsCreate(w, r)
		case http.MethodPut, http.MethodPatch:
			s.handleAppsBulk(w, r)
		default:
			writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
		}
	case strings.HasPrefix(path, "/v2/apps/"):
		s.routeApp(w, r, strings.TrimPrefix(path, "/v2/apps/"))
	case path == "/v2/groups" || strings.HasPrefix(path, "/v2/groups/"):
		s.handleGroups(w, r, strings.TrimPrefix(path, "/v2/groups"))
	case path == "/v2/deployments" || path == "/v2/deployments/":
		s.handleDeployments(w, r, "")
	case strings.HasPrefix(path, "/v2/deployments/"):
		s.handleDeployments(w, r, strings.TrimPrefix(path, "/v2/deployments/"))
	case path == "/v2/tasks" || strings.HasPrefix(path, "/v2/tasks/"):
		s.handleTasks(w, r, strings.TrimPrefix(path, "/v2/tasks"))
	case path == "/v2/queue" || strings.HasPrefix(path, "/v2/queue/"):
		s.handleQueue(w, r, strings.TrimPrefix(path, "/v2/queue"))
	case path == "/v2/pods" || strings.HasPrefix(path, "/v2/pods/"):
		s.handlePods(w, r, strings.TrimPrefix(path, "/v2/pods"))
	case path == "/v2/eventSubscriptions":
		s.handleEventSubscriptions(w, r)
	case path == "/v2/plugins":
		s.handlePlugins(w, r)
	case path == "/metrics" && r.Method == http.MethodGet:
		s.handleMetrics(w, r)
	case strings.HasPrefix(path, "/sim/v1/"):
		s.handleControl(w, r, strings.TrimPrefix(path, "/sim/v1"))
	default:
		writeErr(w, uriNotFound(r.URL.EscapedPath()))
	}
}

func (s *Server) routeApp(w http.ResponseWriter, r *http.Request, rest string) {
	rest = strings.TrimSuffix(rest, "/")
	if m := appTaskRE.FindStringSubmatch(rest); m != nil {
		s.handleAppTasks(w, r, m[1], m[2])
		return
	}
	if id, ok := strings.CutSuffix(rest, "/tasks"); ok {
		s.handleAppTasks(w, r, id, "")
		return
	}
	if id, ok := strings.CutSuffix(rest, "/restart"); ok && r.Method == http.MethodPost {
		s.handleAppRestart(w, r, id)
		return
	}
	if m := appVersionRE.FindStringSubmatch(rest); m != nil && r.Method == http.MethodGet {
		s.handleAppVersions(w, r, m[1], m[2])
		return
	}
	if id, ok := strings.CutSuffix(rest, "/versions"); ok && r.Method == http.MethodGet {
		s.handleAppVersions(w, r, id, "")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.handleAppShow(w, r, rest)
	case http.MethodPut, http.MethodPatch:
		s.handleAppPut(w, r, rest)
	case http.MethodDelete:
		s.handleAppDelete(w, r, rest)
	default:
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
	}
}
