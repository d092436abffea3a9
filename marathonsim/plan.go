package marathonsim

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Deployment action names (BEHAVIOUR.md §7).
const (
	actStart   = "StartApplication"
	actStop    = "StopApplication"
	actScale   = "ScaleApplication"
	actRestart = "RestartApplication"
)

type action struct {
	Action string `json:"action"`
	App    string `json:"app"`
}

type step struct {
	Actions []action `json:"actions"`
}

type changeKind int

const (
	unchanged changeKind = iota
	scaled
	upgraded
)

// configKey is the app definition without the fields a scale may change.
func configKey(a *App) []byte {
	c := *a
	c.Instances = nil
	c.Version = ""
	c.VersionInfo = nil
	b, _ := json.Marshal(&c)
	return b
}

func classify(old, new *App) changeKind {
	if !bytes.Equal(configKey(old), configKey(new)) {
		return upgraded
	}
	if old.instances() != new.instances() {
		return scaled
	}
	return unchanged
}

// computePlan builds the steps that take orig to target (Marathon's
// DeploymentPlan.apply): stops, starts, then one step per dependency class.
func computePlan(orig, target *tree, kinds map[string]changeKind) []step {
	var steps []step
	var stops, starts []action
	for _, id := range orig.sortedAppIDs() {
		if _, ok := target.apps[id]; !ok {
			stops = append(stops, action{actStop, id})
		}
	}
	levels := map[int][]action{}
	maxLevel := 0
	lv := dependencyLevels(target)
	for _, id := range target.sortedAppIDs() {
		_, existed := orig.apps[id]
		var act string
		switch {
		case !existed:
			starts = append(starts, action{actStart, id})
			act = actScale
		case kinds[id] == scaled:
			act = actScale
		case kinds[id] == upgraded:
			act = actRestart
		default:
			continue
		}
		l := lv[id]
		levels[l] = append(levels[l], action{act, id})
		if l > maxLevel {
			maxLevel = l
		}
	}
	if len(stops) > 0 {
		steps = append(steps, step{stops})
	}
	if len(starts) > 0 {
		steps = append(steps, step{starts})
	}
	for l := 0; l <= maxLevel; l++ {
		if len(levels[l]) > 0 {
			steps = append(steps, step{levels[l]})
		}
	}
	return steps
}

// dependencyLevels gives each app the length of its longest dependency
// chain; a cycle is cut where it is found.
func dependencyLevels(t *tree) map[string]int {
	deps := resolvedDependencies(t)
	level := map[string]int{}
	visiting := map[string]bool{}
	var visit func(id string) int
	visit = func(id string) int {
		if l, ok := level[id]; ok {
			return l
		}
		if visiting[id] {
			return 0
		}
		visiting[id] = true
		l := 0
		for _, d := range deps[id] {
			if dl := visit(d) + 1; dl > l {
				l = dl
			}
		}
		visiting[id] = false
		level[id] = l
		return l
	}
	for id := range t.apps {
		visit(id)
	}
	return level
}

// hasDependencyCycle reports whether the dependency graph of t's apps has
// a cycle (CycleDetector over RootGroup.dependencyGraph in Marathon).
func hasDependencyCycle(t *tree) bool {
	if !anyDependencies(t) {
		return false
	}
	deps := resolvedDependencies(t)
	const (
		unseen = iota
		onPath
		done
	)
	mark := make(map[string]int, len(deps))
	var visit func(id string) bool
	visit = func(id string) bool {
		switch mark[id] {
		case onPath:
			return true
		case done:
			return false
		}
		mark[id] = onPath
		for _, d := range deps[id] {
			if visit(d) {
				return true
			}
		}
		mark[id] = done
		return false
	}
	for _, id := range t.sortedAppIDs() {
		if visit(id) {
			return true
		}
	}
	return false
}

// anyDependencies reports whether any app or group of t declares one.
func anyDependencies(t *tree) bool {
	for _, a := range t.apps {
		if len(a.Dependencies) > 0 {
			return true
		}
	}
	for _, g := range t.groups {
		if len(g.Dependencies) > 0 {
			return true
		}
	}
	return false
}

// resolvedDependencies maps each app to the apps it depends on: its own
// dependencies and those of its enclosing groups, groups expanded to apps.
func resolvedDependencies(t *tree) map[string][]string {
	out := map[string][]string{}
	expand := func(base string, ids []string) []string {
		var res []string
		for _, d := range ids {
			p := canonicalID(d, base)
			if _, ok := t.apps[p]; ok {
				res = append(res, p)
				continue
			}
			if _, ok := t.groups[p]; ok {
				res = append(res, t.appsUnder(p)...)
			}
		}
		return res
	}
	for id, a := range t.apps {
		ds := expand(parentID(id), a.Dependencies)
		for _, g := range append([]string{"/"}, ancestors(id)...) {
			if grp, ok := t.groups[g]; ok && len(grp.Dependencies) > 0 {
				for _, d := range expand(parentID(g), grp.Dependencies) {
					if !isUnder(d, g) {
						ds = append(ds, d)
					}
				}
			}
		}
		var clean []string
		for _, d := range ds {
			if d != id {
				clean = append(clean, d)
			}
		}
		sort.Strings(clean)
		out[id] = clean
	}
	return out
}

// affectedApps lists the apps a plan touches, sorted.
func affectedApps(steps []step) []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range steps {
		for _, a := range st.Actions {
			if !seen[a.App] {
				seen[a.App] = true
				out = append(out, a.App)
			}
		}
	}
	sort.Strings(out)
	return out
}
