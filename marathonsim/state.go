package marathonsim

import (
	"sort"
	"time"
)

// group is a group of the tree; its apps and sub-groups are found by path.
type group struct {
	ID           string
	Dependencies []string
	Version      string
}

// tree is one version of the root group. Changes copy the tree, change the
// copy, validate it and swap it in, so a rejected change touches nothing.
// App and group values are never mutated once stored.
type tree struct {
	apps    map[string]*App
	groups  map[string]*group // includes "/"
	version string
}

func newTree(version string) *tree {
	return &tree{apps: map[string]*App{}, groups: map[string]*group{"/": {ID: "/", Dependencies: []string{}, Version: version}}, version: version}
}

func (t *tree) clone() *tree {
	c := &tree{apps: make(map[string]*App, len(t.apps)), groups: make(map[string]*group, len(t.groups)), version: t.version}
	for k, v := range t.apps {
		c.apps[k] = v
	}
	for k, v := range t.groups {
		c.groups[k] = v
	}
	return c
}

// ensureGroups creates the implicit groups enclosing id.
func (t *tree) ensureGroups(id, version string) {
	for _, g := range ancestors(id) {
		if _, ok := t.groups[g]; !ok {
			t.groups[g] = &group{ID: g, Dependencies: []string{}, Version: version}
		}
	}
}

// putApp stores a, creating its enclosing groups.
func (t *tree) putApp(a *App, version string) {
	t.ensureGroups(a.ID, version)
	t.apps[a.ID] = a
}

// removeGroup deletes group id with everything under it.
func (t *tree) removeGroup(id string) {
	for aid := range t.apps {
		if isUnder(aid, id) {
			delete(t.apps, aid)
		}
	}
	for gid := range t.groups {
		if isUnder(gid, id) && gid != "/" {
			delete(t.groups, gid)
		}
	}
}

// appsUnder returns the ids of all apps transitively under group id, sorted.
func (t *tree) appsUnder(id string) []string {
	var out []string
	for aid := range t.apps {
		if isUnder(aid, id) && aid != id {
			out = append(out, aid)
		}
	}
	sort.Strings(out)
	return out
}

func (t *tree) sortedAppIDs() []string {
	out := make([]string, 0, len(t.apps))
	for id := range t.apps {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// appRuntime is the live state of one app: its tasks and launch queue.
type appRuntime struct {
	id          string
	tasks       map[string]*task
	queue       launchQueue
	lastFailure *taskFailure
}

type taskFailure struct {
	AppID     string `json:"appId"`
	Host      string `json:"host"`
	Message   string `json:"message"`
	State     string `json:"state"`
	TaskID    string `json:"taskId"`
	Timestamp string `json:"timestamp"`
	Version   string `json:"version"`
	SlaveID   string `json:"slaveId"`
}

func (s *Server) runtime(id string) *appRuntime {
	r, ok := s.rt[id]
	if !ok {
		r = &appRuntime{id: id, tasks: map[string]*task{}}
		s.rt[id] = r
		s.touch(id)
	}
	return r
}

// newVersion returns a timestamp for a change, strictly after the previous
// one so that versions stay unique even when the clock stands still.
func (s *Server) newVersion() (string, time.Time) {
	now := s.clock.Now().UTC().Truncate(time.Millisecond)
	if !now.After(s.lastVersion) {
		now = s.lastVersion.Add(time.Millisecond)
	}
	s.lastVersion = now
	return formatTime(now), now
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func (s *Server) now() time.Time { return s.clock.Now() }
