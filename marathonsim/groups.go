package marathonsim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
)

type groupEmbed struct {
	apps, groups, pods bool
	app                viewOpts
}

type groupView struct {
	ID           string        `json:"id"`
	Apps         *[]*appView   `json:"apps,omitempty"`
	Groups       *[]*groupView `json:"groups,omitempty"`
	Pods         *[]any        `json:"pods,omitempty"`
	Dependencies []string      `json:"dependencies"`
	Version      string        `json:"version"`
}

// groupJSON renders group id of t with its apps and sub-groups.
func (s *Server) groupJSON(t *tree, id string, e groupEmbed) *groupView {
	childApps := map[string][]string{}
	for aid := range t.apps {
		childApps[parentID(aid)] = append(childApps[parentID(aid)], aid)
	}
	childGroups := map[string][]string{}
	for gid := range t.groups {
		if gid != "/" {
			childGroups[parentID(gid)] = append(childGroups[parentID(gid)], gid)
		}
	}
	e.app.versionInfo = true
	var render func(gid string) *groupView
	render = func(gid string) *groupView {
		g := t.groups[gid]
		v := &groupView{ID: gid, Dependencies: nonNil(g.Dependencies), Version: g.Version}
		if e.apps {
			ids := childApps[gid]
			sort.Strings(ids)
			apps := make([]*appView, 0, len(ids))
			for _, aid := range ids {
				apps = append(apps, s.appView(t.apps[aid], e.app))
			}
			v.Apps = &apps
		}
		if e.groups {
			ids := childGroups[gid]
			sort.Strings(ids)
			groups := make([]*groupView, 0, len(ids))
			for _, cid := range ids {
				groups = append(groups, render(cid))
			}
			v.Groups = &groups
		}
		if e.pods {
			v.Pods = &[]any{}
		}
		return v
	}
	return render(id)
}

// groupUpdate is Marathon's GroupUpdate body.
type groupUpdate struct {
	ID           *string            `json:"id"`
	Apps         *[]json.RawMessage `json:"apps"`
	Groups       *[]groupUpdate     `json:"groups"`
	Dependencies *[]string          `json:"dependencies"`
	ScaleBy      *float64           `json:"scaleBy"`
	Version      *string            `json:"version"`
}

// onlyDefined is GroupUpdate.validNestedGroupUpdateWithBase's
// `version`/`scaleBy is theOnlyDefinedOptionIn(group)`
// (api/v2/json/GroupUpdate.scala:86-87, api/v2/Validation.scala:200-216 at
// v1.4.13): either must be the body's only field, id included.
func (u *groupUpdate) onlyDefined(v *violations) {
	n := 0
	for _, set := range []bool{u.ID != nil, u.Apps != nil, u.Groups != nil, u.Dependencies != nil, u.ScaleBy != nil, u.Version != nil} {
		if set {
			n++
		}
	}
	if n <= 1 {
		return
	}
	if u.Version != nil {
		v.add("/version", "not allowed in conjunction with other properties.")
	}
	if u.ScaleBy != nil {
		v.add("/scaleBy", "not allowed in conjunction with other properties.")
	}
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request, rest string) {
	s.lock()
	defer s.unlock()
	id, sub := rest, ""
	if i := strings.Index(rest, "/versions"); i >= 0 && (len(rest) == i+9 || rest[i+9] == '/') {
		id, sub = rest[:i], rest[i:]
	}
	id = canonicalID(id, "/")
	switch r.Method {
	case http.MethodGet:
		s.getGroup(w, r, id, sub)
	case http.MethodPost, http.MethodPut:
		s.putGroup(w, r, id)
	case http.MethodDelete:
		if _, ok := s.root.groups[id]; !ok {
			writeErr(w, groupNotFound(id))
			return
		}
		next := s.root.clone()
		if id == "/" {
			next.removeGroup("/")
		} else {
			next.removeGroup(id)
		}
		d, err := s.commit(changeReq{next: next, gid: id, force: boolParam(r, "force", false)})
		if err != nil {
			writeErr(w, err)
			return
		}
		writeDeployment(w, 200, d, "")
	default:
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
	}
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, id, sub string) {
	if _, ok := s.root.groups[id]; !ok {
		if sub == "" && strings.HasSuffix(id, "/apps") {
			if gid := strings.TrimSuffix(id, "/apps"); s.root.groups[canonicalID(gid, "/")] != nil {
				list := []*appView{}
				for _, aid := range s.root.appsUnder(canonicalID(gid, "/")) {
					list = append(list, s.appView(s.root.apps[aid], viewOpts{versionInfo: true}))
				}
				writeJSON(w, 200, map[string]any{"apps": list})
				return
			}
		}
		writeErr(w, groupNotFound(id))
		return
	}
	switch {
	case sub == "/versions":
		var vs []string
		seen := map[string]bool{}
		for i := len(s.trees) - 1; i >= 0; i-- {
			if g, ok := s.trees[i].groups[id]; ok && !seen[g.Version] {
				seen[g.Version] = true
				vs = append(vs, g.Version)
			}
		}
		writeJSON(w, 200, nonNil(vs))
		return
	case strings.HasPrefix(sub, "/versions/"):
		t := s.treeAt(id, strings.TrimPrefix(sub, "/versions/"))
		if t == nil {
			writeErr(w, errMsg(404, "Group '%s' does not exist in version %s", id, strings.TrimPrefix(sub, "/versions/")))
			return
		}
		writeJSON(w, 200, s.groupJSON(t, id, groupEmbed{apps: true, groups: true, pods: true}))
		return
	}
	q := r.URL.Query()["embed"]
	e := groupEmbed{apps: true, groups: true, pods: true}
	if len(q) > 0 {
		opts, groups, apps := parseEmbeds(q)
		e = groupEmbed{apps: apps, groups: groups, pods: strings.Contains(strings.Join(q, ","), "group.pods"), app: opts}
	}
	writeJSON(w, 200, s.groupJSON(s.root, id, e))
}

// treeAt returns the stored root in which group id has the given version.
func (s *Server) treeAt(id, version string) *tree {
	for i := len(s.trees) - 1; i >= 0; i-- {
		if g, ok := s.trees[i].groups[id]; ok && g.Version == version {
			return s.trees[i]
		}
	}
	return nil
}

func (s *Server) putGroup(w http.ResponseWriter, r *http.Request, id string) {
	var u groupUpdate
	if _, err := readBody(r, &u); err != nil {
		writeErr(w, err)
		return
	}
	var only violations
	u.onlyDefined(&only)
	if err := only.err(); err != nil {
		writeErr(w, err)
		return
	}
	if u.ID != nil && *u.ID != "" {
		id = canonicalID(*u.ID, id)
	}
	create := r.Method == http.MethodPost
	if create {
		if _, ok := s.root.groups[id]; ok && id != "/" {
			writeErr(w, errMsg(409, "Group %s is already created. Use PUT to change this group.", id))
			return
		}
		if _, ok := s.root.apps[id]; ok {
			writeErr(w, errMsg(409, "An app with the path %s already exists.", id))
			return
		}
	}
	next := s.root.clone()
	switch {
	case u.Version != nil:
		old := s.treeAt(id, *u.Version)
		if old == nil {
			writeErr(w, errMsg(422, "Group %s not available in version %s", id, *u.Version))
			return
		}
		next.removeGroup(id)
		for aid, a := range old.apps {
			if isUnder(aid, id) {
				next.putApp(a, s.root.version)
			}
		}
		for gid, g := range old.groups {
			if isUnder(gid, id) {
				next.groups[gid] = g
			}
		}
	case u.ScaleBy != nil:
		if _, ok := s.root.groups[id]; !ok {
			writeErr(w, groupNotFound(id))
			return
		}
		for _, aid := range next.appsUnder(id) {
			a := next.apps[aid].clone()
			a.Instances = ptr(int(math.Ceil(float64(a.instances()) * *u.ScaleBy)))
			next.apps[aid] = a
		}
	default:
		var v, rv violations
		s.applyGroupUpdate(next, id, u, "", &v, &rv)
		if err := rv.invalidJSON(); err != nil {
			writeErr(w, err)
			return
		}
		if err := v.err(); err != nil {
			writeErr(w, err)
			return
		}
	}
	req := changeReq{next: next, gid: id, force: boolParam(r, "force", false)}
	if boolParam(r, "dryRun", false) {
		steps, _, err := s.prepare(req)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, 200, map[string]any{"steps": nonNil(steps)})
		return
	}
	d, err := s.commit(req)
	if err != nil {
		writeErr(w, err)
		return
	}
	if create {
		writeDeployment(w, 201, d, id)
		return
	}
	writeDeployment(w, 200, d, "")
}

// applyGroupUpdate writes u into group gid of t: given apps replace the
// group's apps, given groups replace its sub-groups (recursively).
func (s *Server) applyGroupUpdate(t *tree, gid string, u groupUpdate, prefix string, v, rv *violations) {
	t.ensureGroups(gid+"/x", s.root.version)
	g := &group{ID: gid, Dependencies: []string{}, Version: s.root.version}
	if old, ok := t.groups[gid]; ok {
		c := *old
		g = &c
	}
	if u.Dependencies != nil {
		g.Dependencies = nil
		for _, d := range *u.Dependencies {
			g.Dependencies = append(g.Dependencies, canonicalID(d, gid))
		}
		g.Dependencies = nonNil(g.Dependencies)
	}
	t.groups[gid] = g
	if u.Apps != nil {
		keep := map[string]bool{}
		for i, raw := range *u.Apps {
			p := fmt.Sprintf("%s/apps(%d)", prefix, i)
			keys := map[string]json.RawMessage{}
			_ = json.Unmarshal(raw, &keys)
			if r := readsViolations(keys, p); len(r) > 0 {
				*rv = append(*rv, r...)
				continue
			}
			a := &App{}
			if err := json.Unmarshal(raw, a); err != nil {
				v.add(p, err.Error())
				continue
			}
			rawID := a.ID
			a.ID = canonicalID(rawID, gid)
			// GroupUpdate.toApp (api/v2/json/GroupUpdate.scala:46-49 at
			// v1.4.13): app ids and dependencies resolve against the group.
			canonicalDependencies(a, gid)
			fetchFromURIs(a)
			applyDefaults(a)
			validateApp(a, rawID, p, v)
			if parentID(a.ID) != gid && !isUnder(a.ID, gid) {
				v.add(p+"/id", fmt.Sprintf("Identifier is not child of %s. Hint: use relative paths.", gid))
				continue
			}
			keep[a.ID] = true
			t.putApp(a, s.root.version)
		}
		for aid := range t.apps {
			if parentID(aid) == gid && !keep[aid] {
				delete(t.apps, aid)
			}
		}
	}
	if u.Groups != nil {
		keep := map[string]bool{}
		for i, sub := range *u.Groups {
			sid := canonicalID(deref(sub.ID, ""), gid)
			if !isUnder(sid, gid) || sid == gid {
				v.add(fmt.Sprintf("%s/groups(%d)/id", prefix, i), fmt.Sprintf("Identifier is not child of %s. Hint: use relative paths.", gid))
				continue
			}
			keep[sid] = true
			s.applyGroupUpdate(t, sid, sub, fmt.Sprintf("%s/groups(%d)", prefix, i), v, rv)
		}
		for cid := range t.groups {
			if cid != "/" && parentID(cid) == gid && !keep[cid] {
				t.removeGroup(cid)
			}
		}
	}
}
