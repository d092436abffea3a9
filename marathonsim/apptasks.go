package marathonsim

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// scaleAndWipe is AppTasksResource's and TasksResource's refusal of both
// flags (api/v2/AppTasksResource.scala:112, 145; TasksResource.scala:132
// at v1.4.13), a BadRequestException: 400 {"message": ...}, checked before
// the app or the tasks are looked up.
func scaleAndWipe(r *http.Request) error {
	if r.Method != http.MethodGet && boolParam(r, "scale", false) && boolParam(r, "wipe", false) {
		return errMsg(400, "You cannot use scale and wipe at the same time.")
	}
	return nil
}

// legacyTaskID is Task.Id's LegacyTaskIdRegex (core/task/Task.scala:132 at
// v1.4.13); every task id form Marathon 1.4 parses also matches it, and
// Task.Id.instanceId throws MatchError for the rest.
var legacyTaskID = regexp.MustCompile(`^(.+)[._]([^_.]+)$`)

func (s *Server) handleAppTasks(w http.ResponseWriter, r *http.Request, id, taskID string) {
	if err := scaleAndWipe(r); err != nil {
		writeErr(w, err)
		return
	}
	if (id == "*" || strings.HasSuffix(id, "/*")) && taskID == "" && r.Method == http.MethodGet && !wantsText(r) {
		s.handleGroupTasks(w, canonicalID(strings.TrimSuffix(id, "*"), "/"))
		return
	}
	id = canonicalID(id, "/")
	s.lock()
	defer s.unlock()
	a, ok := s.root.apps[id]
	if !ok {
		writeErr(w, appNotFound(id))
		return
	}
	rt := s.runtime(id)
	if r.Method == http.MethodGet && taskID == "" {
		tasks := []taskView{}
		for _, t := range sortedTasks(rt) {
			tasks = append(tasks, taskJSON(t))
		}
		if wantsText(r) {
			textHeader(w)
			writeTasksText(w, a, sortedTasks(rt))
			return
		}
		writeJSON(w, 200, map[string]any{"tasks": tasks})
		return
	}
	if r.Method != http.MethodDelete {
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
		return
	}
	var victims []*task
	if taskID != "" {
		t, ok := rt.tasks[taskID]
		if !ok {
			writeErr(w, taskNotFound(taskID))
			return
		}
		victims = []*task{t}
	} else {
		host := r.URL.Query().Get("host")
		for _, t := range sortedTasks(rt) {
			if host == "" || host == "*" || host == simHost {
				victims = append(victims, t)
			}
		}
	}
	s.killTasks(w, r, map[string][]*task{id: victims}, taskID != "")
}

// killTasks kills the given tasks per app; with scale=true the apps are
// scaled down by as many and a deployment result is returned.
func (s *Server) killTasks(w http.ResponseWriter, r *http.Request, byApp map[string][]*task, single bool) {
	views := []taskView{}
	for _, ts := range byApp {
		for _, t := range ts {
			views = append(views, taskJSON(t))
		}
	}
	if boolParam(r, "scale", false) {
		next := s.root.clone()
		for id, ts := range byApp {
			a := next.apps[id].clone()
			a.Instances = ptr(max(a.instances()-len(ts), 0))
			next.apps[id] = a
		}
		for _, ts := range byApp {
			for _, t := range ts {
				s.killTask(t, "killed via API")
			}
		}
		d, err := s.commit(changeReq{next: next, gid: "/", force: boolParam(r, "force", false)})
		if err != nil {
			writeErr(w, err)
			return
		}
		writeDeployment(w, 200, d, "")
		return
	}
	for _, ts := range byApp {
		for _, t := range ts {
			s.killTask(t, "killed via API")
		}
	}
	s.settle()
	if single && len(views) == 1 {
		writeJSON(w, 200, map[string]any{"task": views[0]})
		return
	}
	writeJSON(w, 200, map[string]any{"tasks": views})
}

func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request, rest string) {
	s.lock()
	defer s.unlock()
	switch {
	case rest == "" && r.Method == http.MethodGet:
		statuses := map[string]bool{}
		for _, k := range []string{"status", "status[]"} {
			for _, v := range r.URL.Query()[k] {
				statuses["TASK_"+strings.ToUpper(v)] = true
			}
		}
		if wantsText(r) {
			textHeader(w)
			for _, id := range s.root.sortedAppIDs() {
				if rt := s.rt[id]; rt != nil && len(rt.tasks) > 0 {
					writeTasksText(w, s.root.apps[id], sortedTasks(rt))
				}
			}
			return
		}
		tasks := []taskView{}
		for _, t := range s.allTasks() {
			if len(statuses) == 0 || statuses[t.state] {
				v := taskJSON(t)
				// TasksResource passes the app's service ports
				// (TasksResource.scala:84-90 at v1.4.13).
				if a := s.root.apps[t.appID]; a != nil {
					v.ServicePorts = servicePortsOf(a)
				}
				tasks = append(tasks, v)
			}
		}
		writeJSON(w, 200, map[string]any{"tasks": tasks})
	case rest == "/delete" && r.Method == http.MethodPost:
		var body struct {
			IDs []string `json:"ids"`
		}
		if err := scaleAndWipe(r); err != nil {
			writeErr(w, err)
			return
		}
		if _, err := readBody(r, &body); err != nil {
			writeErr(w, err)
			return
		}
		for _, id := range body.IDs {
			if !legacyTaskID.MatchString(id) {
				// TasksResource.killTasks (TasksResource.scala:134-138): the
				// MatchError's message is its String value and class.
				writeErr(w, errMsg(400, "Invalid task id '%s'. [taskId %s is no valid identifier (of class java.lang.String)]", id, id))
				return
			}
		}
		byApp := map[string][]*task{}
		for _, id := range body.IDs {
			if t, ok := s.tasks[id]; ok {
				byApp[t.appID] = append(byApp[t.appID], t)
			}
		}
		s.killTasks(w, r, byApp, false)
	default:
		writeErr(w, uriNotFound(r.URL.EscapedPath()))
	}
}

func (s *Server) allTasks() []*task {
	out := make([]*task, 0, len(s.tasks))
	for _, t := range s.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].appID != out[j].appID {
			return out[i].appID < out[j].appID
		}
		return out[i].seq < out[j].seq
	})
	return out
}

func wantsText(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "text/plain") && !strings.Contains(acc, "json")
}

func textHeader(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(200)
}

// writeTasksText writes Marathon's text/plain task list (EndpointsHelper,
// BEHAVIOUR.md §5): "appId servicePort host:port host:port ..." per service
// port, tab-separated, with the app's running tasks only (a task being
// killed is no endpoint any more).
func writeTasksText(w io.Writer, a *App, tasks []*task) {
	for i, sp := range servicePortsOf(a) {
		line := fmt.Sprintf("%s\t%d\t", strings.ReplaceAll(strings.TrimPrefix(a.ID, "/"), "/", "_"), sp)
		for _, t := range tasks {
			if t.state == stateRunning && i < len(t.ports) {
				line += fmt.Sprintf("%s:%d\t", simHost, t.ports[i])
			}
		}
		fmt.Fprintln(w, line)
	}
}

// handleGroupTasks serves GET /v2/apps/{group}/*/tasks: the tasks of every
// app under the group, 404 for an unknown group (AppTasksResource.GroupTasks
// and indexJson, api/v2/AppTasksResource.scala:40-64 at v1.4.13).
func (s *Server) handleGroupTasks(w http.ResponseWriter, gid string) {
	s.lock()
	defer s.unlock()
	if _, ok := s.root.groups[gid]; !ok {
		writeErr(w, groupNotFound(gid))
		return
	}
	tasks := []taskView{}
	for _, aid := range s.root.appsUnder(gid) {
		if rt := s.rt[aid]; rt != nil {
			for _, t := range sortedTasks(rt) {
				tasks = append(tasks, taskJSON(t))
			}
		}
	}
	writeJSON(w, 200, map[string]any{"tasks": tasks})
}
