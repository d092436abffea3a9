package specs

import (
	"slices"
	"strings"
)

// checks validates spec.checks of g against the group: names, the apps the
// checks target, port names and the environments of overrides.
func (v *validator) checks(g *ServiceGroup) {
	file := g.Source.File
	checksNode := at(g.node, "spec", "checks")
	for _, c := range g.Checks {
		field := "spec.checks." + c.Name
		if p := segmentProblem(c.Name); p != "" {
			v.add(file, lookupKey(checksNode, c.Name), field, "check name %s", p)
		}
		if app := checkApp(c); app != "" {
			a := groupApp(g, app)
			if a == nil {
				v.add(file, at(c.node, c.Kind, "app"), field+"."+c.Kind+".app", "unknown app %q; the group's apps are %s", app, appNames(g))
			} else if c.Probe != nil && c.Probe.PortName != "" && !v.hasPortName(g, a, c.Probe.PortName) {
				v.add(file, at(c.node, c.Kind, "portName"), field+"."+c.Kind+".portName",
					"app %s has no port named %q in its portMappings or portDefinitions", app, c.Probe.PortName)
			}
		}
		for _, env := range sortedKeys(c.Overrides) {
			if !slices.ContainsFunc(g.Environments, func(e *Environment) bool { return e.Name == env }) {
				v.add(file, lookupKey(at(c.node, "environments"), env), field+".environments",
					"unknown environment %q; the group's environments are %s", env, envNames(g))
			}
		}
	}
}

func checkApp(c *CheckSpec) string {
	switch {
	case c.Exec != nil:
		return c.Exec.App
	case c.Probe != nil:
		return c.Probe.App
	}
	return ""
}

func groupApp(g *ServiceGroup, name string) *AppSpec {
	i := slices.IndexFunc(g.Apps, func(a *AppSpec) bool { return a.Name == name })
	if i < 0 {
		return nil
	}
	return g.Apps[i]
}

func appNames(g *ServiceGroup) string {
	if len(g.Apps) == 0 {
		return "none"
	}
	names := make([]string, len(g.Apps))
	for i, a := range g.Apps {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// hasPortName reports whether app a names a port name in every environment.
func (v *validator) hasPortName(g *ServiceGroup, a *AppSpec, name string) bool {
	for _, e := range g.Environments {
		m := a.merged[e.Name]
		if m == nil {
			m = mergeLayers(g.Defaults, a.Body, a.Overlays[e.Name])
		}
		if !slices.Contains(PortNames(m), name) {
			return false
		}
	}
	return true
}

// PortNames lists the port names of a Marathon app definition, in port
// order: container.docker.portMappings when it has any, else
// portDefinitions ("" for an unnamed port).
func PortNames(def map[string]any) []string {
	ports := asSlice(asMap(asMap(def["container"])["docker"])["portMappings"])
	if len(ports) == 0 {
		ports = asSlice(def["portDefinitions"])
	}
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = asString(asMap(p)["name"])
	}
	return names
}
