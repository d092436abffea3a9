package specs

import (
	"fmt"
	"slices"
	"strings"
)

// appDependencies resolves the app's dependencies against its group.
func (v *validator) appDependencies(c appCtx, d *deployment, m map[string]any) {
	deps, _ := m["dependencies"].([]any)
	group := c.e.Path()
	for i, raw := range deps {
		dep, _ := raw.(string)
		abs := resolveID(group, dep)
		n, field := c.locate("dependencies", i)
		if p := pathProblem(abs); p != "" || abs == "/" {
			v.add(c.g.Source.File, n, field, "dependency %q is not a valid app id", dep)
			continue
		}
		if abs == d.id {
			v.add(c.g.Source.File, n, field, "an app cannot depend on itself")
			continue
		}
		d.deps = append(d.deps, abs)
		d.depNodes = append(d.depNodes, n)
		d.depFields = append(d.depFields, field)
	}
}

// index records a deployment and reports a second app with the same id.
func (v *validator) index(d *deployment) {
	if first, dup := v.apps[d.id]; dup {
		if first.app != d.app {
			v.add(d.group.Source.File, d.app.node, "spec.apps."+d.app.Name,
				"app id %s is already defined at %s", d.id, first.app.Source)
		}
		return
	}
	v.apps[d.id] = d
	for p := d.id; ; {
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			break
		}
		p = p[:i]
		v.groupIDs[p] = true
	}
}

// idCollisions reports apps whose id is also a group's: Marathon refuses
// both at once.
func (v *validator) idCollisions() {
	for _, id := range sortedKeys(v.apps) {
		if v.groupIDs[id] {
			d := v.apps[id]
			v.add(d.group.Source.File, d.app.node, "spec.apps."+d.app.Name,
				"app id %s is also the id of a group holding other apps; Marathon does not allow both", id)
		}
	}
}

// dependencies checks that every dependency is an app deployed to the same
// clusters, and that dependencies have no cycle.
func (v *validator) dependencies() {
	ids := sortedKeys(v.apps)
	for _, id := range ids {
		d := v.apps[id]
		for i, dep := range d.deps {
			target, ok := v.apps[dep]
			if !ok {
				v.add(d.group.Source.File, d.depNodes[i], d.depFields[i], "dependency %s is not an app in the specs", dep)
				continue
			}
			for _, c := range d.env.Clusters {
				if !slices.Contains(target.env.Clusters, c) {
					v.add(d.group.Source.File, d.depNodes[i], d.depFields[i], "dependency %s is not deployed to cluster %s", dep, c)
				}
			}
		}
	}
	v.cycles(ids)
}

// cycles reports each dependency cycle once, at the dependency that closes
// it from the cycle's smallest id.
func (v *validator) cycles(ids []string) {
	const (
		unvisited = iota
		inProgress
		done
	)
	state := make(map[string]int, len(ids))
	var stack []string
	var visit func(id string)
	visit = func(id string) {
		state[id] = inProgress
		stack = append(stack, id)
		for _, dep := range v.apps[id].deps {
			if _, ok := v.apps[dep]; !ok {
				continue
			}
			switch state[dep] {
			case unvisited:
				visit(dep)
			case inProgress:
				start := slices.Index(stack, dep)
				v.reportCycle(slices.Clone(stack[start:]))
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
	}
	for _, id := range ids {
		if state[id] == unvisited {
			visit(id)
		}
	}
}

func (v *validator) reportCycle(cycle []string) {
	// Start the cycle at its smallest id so the message is stable.
	first := slices.Index(cycle, slices.Min(cycle))
	cycle = append(cycle[first:], cycle[:first]...)
	d := v.apps[cycle[0]]
	next := cycle[(1)%len(cycle)]
	i := slices.Index(d.deps, next)
	n, field := d.app.node, "spec.apps."+d.app.Name
	if i >= 0 {
		n, field = d.depNodes[i], d.depFields[i]
	}
	v.add(d.group.Source.File, n, field, "dependency cycle: %s -> %s", strings.Join(cycle, " -> "), cycle[0])
}

// String helps debugging and tests.
func (d *deployment) String() string { return fmt.Sprintf("%s (%s)", d.id, d.app.Source) }
