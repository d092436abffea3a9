package specs

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Resource bounds per task, beyond the decoder's "not negative".
const (
	maxCPUs   = 128
	minMemMiB = 32
	maxMemMiB = 1 << 20 // 1 TiB
)

// reservedLabelPrefix marks the labels pacer sets itself; users may only set
// pacer.dev/protect.
const reservedLabelPrefix = "pacer.dev/"

// deployment is one app in one environment, as Validate indexes it.
type deployment struct {
	id        string
	group     *ServiceGroup
	env       *Environment
	app       *AppSpec
	deps      []string // absolute
	depNodes  []*yaml.Node
	depFields []string
}

// appCtx locates the fields of one app in one environment: a field set by
// the environment's overlay is reported there, else in the app, else in the
// group's defaults.
type appCtx struct {
	g   *ServiceGroup
	e   *Environment
	a   *AppSpec
	def *yaml.Node
}

func (c appCtx) locate(keys ...any) (*yaml.Node, string) {
	field := "spec.apps." + c.a.Name
	if c.e != nil {
		if ov := at(c.a.node, "environments", c.e.Name); ov != nil && has(c.a.node, append([]any{"environments", c.e.Name}, keys...)...) {
			return at(ov, keys...), field + ".environments." + c.e.Name + fieldSuffix(keys)
		}
	}
	if has(c.a.node, keys...) {
		return at(c.a.node, keys...), field + fieldSuffix(keys)
	}
	if has(c.def, keys...) {
		return at(c.def, keys...), "spec.defaults" + fieldSuffix(keys)
	}
	return at(c.a.node), field
}

func fieldSuffix(keys []any) string {
	var b strings.Builder
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			b.WriteString("." + k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}

func (v *validator) report(c appCtx, keys []any, format string, args ...any) {
	n, field := c.locate(keys...)
	v.add(c.g.Source.File, n, field, format, args...)
}

func (v *validator) app(g *ServiceGroup, a *AppSpec) {
	file := g.Source.File
	field := "spec.apps." + a.Name
	if p := segmentProblem(a.Name); p != "" {
		v.add(file, lookupKey(at(g.node, "spec", "apps"), a.Name), field, "app name %s", p)
	}
	for _, env := range sortedKeys(a.Overlays) {
		if !slices.ContainsFunc(g.Environments, func(e *Environment) bool { return e.Name == env }) {
			v.add(file, lookupKey(at(a.node, "environments"), env), field+".environments",
				"unknown environment %q; the group defines %s", env, envNames(g))
		}
	}
	for i, ptr := range a.IgnoreDifferences {
		if !strings.HasPrefix(ptr, "/") {
			v.add(file, at(a.node, "ignoreDifferences", i), fmt.Sprintf("%s.ignoreDifferences[%d]", field, i),
				"must be a JSON pointer such as /instances, got %q", ptr)
		}
	}
	def := at(g.node, "spec", "defaults")
	if !has(g.node, "spec", "defaults") {
		def = nil
	}
	a.merged = make(map[string]map[string]any, len(g.Environments))
	base := mergeLayers(g.Defaults, a.Body)
	for _, e := range g.Environments {
		merged := base
		if ov := a.Overlays[e.Name]; ov != nil {
			merged = mergeLayers(base, ov)
		}
		a.merged[e.Name] = merged
		d := &deployment{id: joinID(e.Path(), a.Name), group: g, env: e, app: a}
		c := appCtx{g: g, e: e, a: a, def: def}
		if len(d.id)-1 > maxIDLen && validSegment(a.Name) {
			v.add(file, lookupKey(at(g.node, "spec", "apps"), a.Name), field,
				"app id %s is %d characters long; ids are DNS names of at most %d characters (without the leading /)", d.id, len(d.id)-1, maxIDLen)
		}
		v.appBody(c, merged)
		v.lbLabels(c, merged)
		v.lbLabelKeys(c, merged)
		v.secretEnv(c, merged)
		if validSegment(g.Name) && pathProblem(g.Parent) == "" && validSegment(e.Name) && validSegment(a.Name) {
			// Relative ids only resolve in a valid group; its problem is reported already.
			v.appDependencies(c, d, merged)
		}
		v.index(d)
	}
}

func envNames(g *ServiceGroup) string {
	names := make([]string, len(g.Environments))
	for i, e := range g.Environments {
		names[i] = e.Name
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// appBody checks one merged app definition.
func (v *validator) appBody(c appCtx, m map[string]any) {
	_, hasCmd := m["cmd"]
	_, hasArgs := m["args"]
	container := asMap(m["container"])
	// A field that failed to decode is absent: checks that need a field
	// to exist would only repeat the decoding problem.
	// A container counts only with an image (AppDefinition.scala:548-559).
	if !hasCmd && !hasArgs && container["docker"] == nil && !c.a.broken {
		v.report(c, nil, "an app needs cmd, args or a container with an image (container.docker)")
	}
	if asString(container["type"]) == "DOCKER" && container["docker"] == nil {
		v.report(c, []any{"container", "type"}, "container type DOCKER needs container.docker")
	}
	if cpus, ok := m["cpus"].(float64); ok && (cpus <= 0 || cpus > maxCPUs) {
		v.report(c, []any{"cpus"}, "cpus must be greater than 0 and at most %d, got %s", maxCPUs, formatNum(cpus))
	}
	if mem, ok := m["mem"].(float64); ok && (mem < minMemMiB || mem > maxMemMiB) {
		v.report(c, []any{"mem"}, "mem must be between %d and %d MiB, got %s", minMemMiB, maxMemMiB, formatNum(mem))
	}
	v.healthChecks(c, m)
	v.marathonRules(c, m)
	for _, k := range sortedKeys(asMap(m["labels"])) {
		if strings.HasPrefix(k, reservedLabelPrefix) && k != LabelProtect {
			v.report(c, []any{"labels", k}, "label %q is reserved: pacer sets %s* labels itself (only %s may be set)", k, reservedLabelPrefix, LabelProtect)
		}
	}
	if p, ok := asMap(m["labels"])[LabelProtect].(string); ok && p != "true" && p != "false" {
		v.report(c, []any{"labels", LabelProtect}, "label %s must be \"true\" or \"false\", got %q", LabelProtect, p)
	}
}

func (v *validator) healthChecks(c appCtx, m map[string]any) {
	checks, _ := m["healthChecks"].([]any)
	if len(checks) == 0 {
		return
	}
	if c.a.broken {
		return
	}
	ports, from := portCount(m)
	for i, raw := range checks {
		hc := asMap(raw)
		proto := asString(hc["protocol"])
		if proto == "COMMAND" || hc["port"] != nil {
			continue
		}
		idx, ok := hc["portIndex"].(int64)
		if !ok {
			idx = 0
		}
		if int(idx) >= ports {
			keys := []any{"healthChecks", i, "portIndex"}
			if !ok {
				keys = keys[:2]
			}
			v.report(c, keys, "health check portIndex %d is out of range: the app has %d port(s) (%s)", idx, ports, from)
		}
	}
}

// portCount is how many ports a task of the app gets, and where they come
// from, as Marathon 1.4 counts them: the port mappings when there are any
// (and the network keeps them), else the port definitions
// (state/AppDefinition.scala:280-286, state/Container.scala:58-67).
func portCount(m map[string]any) (int, string) {
	docker := asMap(asMap(m["container"])["docker"])
	if net := asString(docker["network"]); docker != nil && (net == "BRIDGE" || net == "USER") {
		if list, _ := docker["portMappings"].([]any); len(list) > 0 {
			return len(list), "container.docker.portMappings"
		}
	}
	if list, ok := m["portDefinitions"].([]any); ok {
		return len(list), "portDefinitions"
	}
	if list, ok := m["ports"].([]any); ok {
		return len(list), "ports"
	}
	if ip := asMap(m["ipAddress"]); ip != nil {
		list, _ := asMap(ip["discovery"])["ports"].([]any)
		return len(list), "ipAddress.discovery.ports"
	}
	return 1, "Marathon's default port definition"
}
