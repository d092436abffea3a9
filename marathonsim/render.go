package marathonsim

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Deployment events carry the whole root group twice (plan.original and
// plan.target), as Marathon's do. Rendering that for every event made each
// change cost O(apps) several times over under the lock, so:
//
//   - a deployment event is only rendered when an event stream (or the
//     test hook) wants its type;
//   - a deployment's plan is rendered once and shared by all its events;
//   - the root of the last rendered plan is kept, so the next deployment's
//     original (the previous target) is not rendered again;
//   - each stored app definition is rendered once (definitions are never
//     mutated once stored), so rendering a root is mostly copying bytes.
type renderCache struct {
	apps     map[*App]json.RawMessage
	lastTree *tree
	lastRaw  json.RawMessage
}

// wanted reports whether anyone listens for eventType.
func (s *Server) wanted(eventType string) bool {
	return s.onEvent != nil || s.bus.Wants(eventType) || (s.callbacks != nil && s.callbacks.any())
}

// planRaw is the plan as deployment events carry it, rendered once.
func (s *Server) planRaw(d *deployment) json.RawMessage {
	if d.plan != nil {
		return d.plan
	}
	steps, _ := json.Marshal(nonNil(d.steps))
	var buf bytes.Buffer
	buf.WriteString(`{"id":`)
	writeString(&buf, d.id)
	buf.WriteString(`,"original":`)
	buf.Write(s.treeRaw(d.orig))
	buf.WriteString(`,"steps":`)
	buf.Write(steps)
	buf.WriteString(`,"target":`)
	buf.Write(s.treeRaw(d.target))
	buf.WriteString(`,"version":`)
	writeString(&buf, d.version)
	buf.WriteString("}")
	d.plan = buf.Bytes()
	return d.plan
}

// treeRaw renders the root group of t with apps, groups and pods, the same
// bytes as groupJSON(t, "/", all) marshals to.
func (s *Server) treeRaw(t *tree) json.RawMessage {
	if s.render.lastTree == t {
		return s.render.lastRaw
	}
	if s.render.apps == nil || len(s.render.apps) > 2*len(s.root.apps)+1024 {
		s.render.apps = make(map[*App]json.RawMessage, len(s.root.apps))
	}
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
	var buf bytes.Buffer
	var render func(gid string)
	render = func(gid string) {
		g := t.groups[gid]
		buf.WriteString(`{"id":`)
		writeString(&buf, gid)
		buf.WriteString(`,"apps":[`)
		ids := childApps[gid]
		sort.Strings(ids)
		for i, aid := range ids {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(s.appRaw(t.apps[aid]))
		}
		buf.WriteString(`],"groups":[`)
		ids = childGroups[gid]
		sort.Strings(ids)
		for i, cid := range ids {
			if i > 0 {
				buf.WriteByte(',')
			}
			render(cid)
		}
		buf.WriteString(`],"pods":[],"dependencies":`)
		deps, _ := json.Marshal(nonNil(g.Dependencies))
		buf.Write(deps)
		buf.WriteString(`,"version":`)
		writeString(&buf, g.Version)
		buf.WriteString("}")
	}
	render("/")
	s.render.lastTree, s.render.lastRaw = t, buf.Bytes()
	return s.render.lastRaw
}

// appRaw is an app as group output embeds it (with versionInfo).
func (s *Server) appRaw(a *App) json.RawMessage {
	if b, ok := s.render.apps[a]; ok {
		return b
	}
	b, _ := json.Marshal(s.appView(a, viewOpts{versionInfo: true}))
	s.render.apps[a] = b
	return b
}

func writeString(buf *bytes.Buffer, v string) {
	b, _ := json.Marshal(v)
	buf.Write(b)
}
