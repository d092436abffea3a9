package marathonsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// decodeApp reads a full app definition (POST, PUT with partialUpdate=false)
// and applies Marathon's defaults. urlID, if set, overrides the body's id.
func decodeApp(r *http.Request, urlID string) (*App, map[string]json.RawMessage, error) {
	body, keys, err := rawBody(r)
	if err != nil {
		return nil, nil, err
	}
	if rv := readsViolations(keys, ""); len(rv) > 0 {
		return nil, nil, rv.invalidJSON()
	}
	a := &App{}
	if err := json.Unmarshal(body, a); err != nil {
		return nil, nil, jsonTypeError(err)
	}
	if urlID != "" {
		a.ID = urlID
	}
	raw := a.ID
	a.ID = canonicalID(raw, "/")
	// AppDefinition.withCanonizedIds (state/AppDefinition.scala:357-360 at
	// v1.4.13): relative dependencies resolve against the app's own id, so
	// a sibling is "../db".
	canonicalDependencies(a, a.ID)
	fetchFromURIs(a)
	applyDefaults(a)
	var v violations
	validateApp(a, raw, "", &v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return a, keys, nil
}

// updateApp merges an AppUpdate into cur (or decodes a full definition).
func updateApp(cur *App, body []byte, keys map[string]json.RawMessage, id string, partial bool, readsPrefix string) (*App, error) {
	if rv := readsViolations(keys, readsPrefix); len(rv) > 0 {
		return nil, rv.invalidJSON()
	}
	upd := &App{}
	if err := json.Unmarshal(body, upd); err != nil {
		return nil, jsonTypeError(err)
	}
	// With partialUpdate (the default) the body is an AppUpdate, whose
	// relative dependencies resolve against the root
	// (AppUpdate.withCanonizedIds, api/v2/json/AppUpdate.scala:160-163;
	// AppsResource.scala:157), also when the PUT creates the app; with
	// partialUpdate=false it is an AppDefinition, resolved against the
	// app's id as for POST (AppsResource.scala:165).
	if partial {
		canonicalDependencies(upd, "/")
	} else {
		canonicalDependencies(upd, id)
	}
	var a *App
	if cur != nil && partial {
		a = mergeUpdate(cur, upd, keys)
	} else {
		a = upd
	}
	a.ID = id
	applyDefaults(a)
	var v violations
	validateApp(a, id, "", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Server) handleAppsList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts, _, _ := parseEmbeds(q["embed"])
	opts.counts, opts.deployments, opts.versionInfo = true, true, true
	idFilter, cmdFilter := strings.ToLower(q.Get("id")), strings.ToLower(q.Get("cmd"))
	sel, err := parseSelector(q.Get("label"))
	if err != nil {
		writeErr(w, err)
		return
	}
	s.lock()
	apps := make([]*appView, 0, len(s.root.apps))
	for _, id := range s.root.sortedAppIDs() {
		a := s.root.apps[id]
		if idFilter != "" && !strings.Contains(strings.ToLower(id), idFilter) {
			continue
		}
		if cmdFilter != "" && !strings.Contains(strings.ToLower(deref(a.Cmd, "")), cmdFilter) {
			continue
		}
		if !sel.matches(a.Labels) {
			continue
		}
		apps = append(apps, s.appView(a, opts))
	}
	s.unlock()
	// Views hold copies of task state and pointers to immutable app
	// definitions, so they can be encoded without the lock.
	writeList(w, "apps", apps)
}

func (s *Server) handleAppsCreate(w http.ResponseWriter, r *http.Request) {
	a, _, err := decodeApp(r, "")
	if err != nil {
		writeErr(w, err)
		return
	}
	s.lock()
	defer s.unlock()
	if _, ok := s.root.apps[a.ID]; ok {
		writeErr(w, errMsg(409, "An app with id [%s] already exists.", a.ID))
		return
	}
	next := s.root.clone()
	next.putApp(a, s.root.version)
	// AppsResource.create (api/v2/AppsResource.scala:82-103 at v1.4.13)
	// answers and posts the request's app (normalizedApp), not the stored
	// one: service ports are assigned later, in GroupManagerActor, so the
	// response and api_post_event carry the ports as sent (0).
	req := a.clone()
	d, err := s.commit(changeReq{next: next, gid: parentID(a.ID), force: boolParam(r, "force", false), accepted: func() {
		req.Version = s.root.apps[a.ID].Version
		s.publish("api_post_event", map[string]any{"clientIp": clientIP(r), "uri": r.URL.Path, "appDefinition": s.appView(req, viewOpts{})})
	}})
	if err != nil {
		writeErr(w, err)
		return
	}
	v := s.appView(req, viewOpts{})
	zero, noTasks := 0, []taskView{}
	v.TasksStaged, v.TasksRunning, v.TasksHealthy, v.TasksUnhealthy = &zero, &zero, &zero, &zero
	v.Deployments = &[]map[string]string{{"id": d.id}}
	v.Tasks = &noTasks
	w.Header().Set("Location", a.ID)
	w.Header().Set("Marathon-Deployment-Id", d.id)
	writeJSON(w, 201, v)
}

// apiPost publishes api_post_event for the stored definition of id, as
// AppsResource.update does with plan.target (AppsResource.scala:306-307).
func (s *Server) apiPost(r *http.Request, id string) func() {
	return func() {
		if a, ok := s.root.apps[id]; ok {
			s.publish("api_post_event", map[string]any{"clientIp": clientIP(r), "uri": r.URL.Path, "appDefinition": s.appView(a, viewOpts{})})
		}
	}
}

func (s *Server) handleAppShow(w http.ResponseWriter, r *http.Request, id string) {
	opts, _, _ := parseEmbeds(r.URL.Query()["embed"])
	opts.counts, opts.tasks, opts.lastTaskFailure, opts.deployments, opts.versionInfo = true, true, true, true, true
	s.lock()
	defer s.unlock()
	if strings.HasSuffix(id, "/*") || id == "*" {
		gid := canonicalID(strings.TrimSuffix(id, "*"), "/")
		if _, ok := s.root.groups[gid]; !ok {
			writeErr(w, groupNotFound(gid))
			return
		}
		list := []*appView{}
		for _, aid := range s.root.appsUnder(gid) {
			list = append(list, s.appView(s.root.apps[aid], opts))
		}
		writeJSON(w, 200, map[string]any{"*": list})
		return
	}
	id = canonicalID(id, "/")
	a, ok := s.root.apps[id]
	if !ok {
		writeErr(w, appNotFound(id))
		return
	}
	writeJSON(w, 200, map[string]any{"app": s.appView(a, opts)})
}

// handleAppPut serves PUT and PATCH /v2/apps/{id}.
func (s *Server) handleAppPut(w http.ResponseWriter, r *http.Request, id string) {
	id = canonicalID(id, "/")
	body, keys, err := rawBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	partial := r.Method == http.MethodPatch || boolParam(r, "partialUpdate", true)
	s.lock()
	defer s.unlock()
	cur, exists := s.root.apps[id]
	if !exists && r.Method == http.MethodPatch {
		writeErr(w, appNotFound(id))
		return
	}
	var a *App
	if v, ok := keys["version"]; ok && exists {
		var ver string
		_ = json.Unmarshal(v, &ver)
		if a = s.appVersion(id, ver); a == nil {
			writeErr(w, errMsg(404, "App '%s' does not exist in version %s", id, ver))
			return
		}
	} else if a, err = updateApp(cur, body, keys, id, partial, ""); err != nil {
		writeErr(w, err)
		return
	}
	next := s.root.clone()
	next.putApp(a, s.root.version)
	d, err := s.commit(changeReq{next: next, gid: parentID(id), force: boolParam(r, "force", false), accepted: s.apiPost(r, id)})
	if err != nil {
		writeErr(w, err)
		return
	}
	if !exists {
		writeDeployment(w, 201, d, id)
		return
	}
	writeDeployment(w, 200, d, "")
}

// handleAppsBulk serves PUT and PATCH /v2/apps with an array of apps.
func (s *Server) handleAppsBulk(w http.ResponseWriter, r *http.Request) {
	body, _, err := rawBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		writeErr(w, jsonTypeError(err))
		return
	}
	partial := r.Method == http.MethodPatch || boolParam(r, "partialUpdate", true)
	s.lock()
	defer s.unlock()
	next := s.root.clone()
	for i, item := range items {
		var head struct{ ID string }
		keys := map[string]json.RawMessage{}
		_ = json.Unmarshal(item, &head)
		_ = json.Unmarshal(item, &keys)
		id := canonicalID(head.ID, "/")
		a, err := updateApp(next.apps[id], item, keys, id, partial, fmt.Sprintf("(%d)", i))
		if err != nil {
			writeErr(w, err)
			return
		}
		next.putApp(a, s.root.version)
	}
	d, err := s.commit(changeReq{next: next, gid: "/", force: boolParam(r, "force", false)})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeDeployment(w, 200, d, "")
}

func (s *Server) handleAppDelete(w http.ResponseWriter, r *http.Request, id string) {
	id = canonicalID(id, "/")
	s.lock()
	defer s.unlock()
	if _, ok := s.root.apps[id]; !ok {
		writeErr(w, appNotFound(id))
		return
	}
	next := s.root.clone()
	delete(next.apps, id)
	d, err := s.commit(changeReq{next: next, gid: parentID(id), force: boolParam(r, "force", true)})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeDeployment(w, 200, d, "")
}

func (s *Server) handleAppRestart(w http.ResponseWriter, r *http.Request, id string) {
	id = canonicalID(id, "/")
	s.lock()
	defer s.unlock()
	if _, ok := s.root.apps[id]; !ok {
		writeErr(w, appNotFound(id))
		return
	}
	d, err := s.commit(changeReq{next: s.root.clone(), gid: parentID(id), force: boolParam(r, "force", false), restarts: map[string]bool{id: true}})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeDeployment(w, 200, d, "")
}

func (s *Server) handleAppVersions(w http.ResponseWriter, r *http.Request, id, version string) {
	id = canonicalID(id, "/")
	s.lock()
	defer s.unlock()
	if _, ok := s.root.apps[id]; !ok {
		writeErr(w, appNotFound(id))
		return
	}
	if version == "" {
		hist := s.history[id]
		vs := make([]string, 0, len(hist))
		for i := len(hist) - 1; i >= 0; i-- {
			vs = append(vs, hist[i].Version)
		}
		writeJSON(w, 200, map[string]any{"versions": vs})
		return
	}
	a := s.appVersion(id, version)
	if a == nil {
		writeErr(w, errMsg(404, "App '%s' does not exist in version %s", id, version))
		return
	}
	writeJSON(w, 200, s.appView(a, viewOpts{versionInfo: true}))
}

func (s *Server) appVersion(id, version string) *App {
	for _, a := range s.history[id] {
		if a.Version == version {
			return a
		}
	}
	return nil
}
