package specs

import (
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The helpers below read values the decoder already type-checked; a value
// that failed to decode is simply absent.

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asString(v any) string      { s, _ := v.(string); return s }
func asBool(v any) bool          { b, _ := v.(bool); return b }

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// listedStrings is m[key] as strings: nil when the key is absent, not nil
// (maybe empty) when it is there.
func listedStrings(m map[string]any, key string) []string {
	if _, ok := m[key]; !ok {
		return nil
	}
	return asStrings(m[key])
}

func sourceOf(file string, n *yaml.Node) Source {
	return Source{File: file, Line: n.Line, Col: n.Column}
}

func buildCluster(d *decoder, root *yaml.Node, v map[string]any, file string) *Cluster {
	name := asString(asMap(v["metadata"])["name"])
	if name == "" {
		return nil
	}
	spec := asMap(v["spec"])
	lb := asMap(spec["loadBalancers"])
	return &Cluster{
		Name:          name,
		MarathonURLs:  asStrings(asMap(spec["marathon"])["urls"]),
		Expect:        buildExpect(asMap(asMap(spec["marathon"])["expect"])),
		ShowEnv:       buildShowEnv(d, root, spec),
		Marathon:      buildMarathonAccess(d, at(root, "spec", "marathon"), asMap(spec["marathon"])),
		NixyRealms:    listedStrings(lb, "nixyRealms"),
		HAProxyGroups: listedStrings(lb, "haproxyGroups"),
		Source:        sourceOf(file, root),
		node:          root,
	}
}

func buildGroup(d *decoder, root *yaml.Node, v map[string]any, file string) *ServiceGroup {
	meta := asMap(v["metadata"])
	name := asString(meta["name"])
	if name == "" {
		return nil
	}
	parent := asString(meta["parent"])
	if parent == "" {
		parent = "/"
	}
	spec := asMap(v["spec"])
	g := &ServiceGroup{
		Name:     name,
		Parent:   parent,
		Defaults: asMap(spec["defaults"]),
		ShowEnv:  buildShowEnv(d, root, spec),
		Source:   sourceOf(file, root),
		path:     joinID(parent, name),
		node:     root,
	}
	envs := asMap(spec["environments"])
	for _, envName := range sortedKeys(envs) {
		e := buildEnvironment(d, root, envName, asMap(envs[envName]))
		e.path = joinID(g.path, envName)
		g.Environments = append(g.Environments, e)
	}
	apps := asMap(spec["apps"])
	for _, appName := range sortedKeys(apps) {
		g.Apps = append(g.Apps, buildApp(d, root, appName, asMap(apps[appName])))
	}
	g.Checks = buildChecks(d, root, asMap(spec["checks"]))
	return g
}

func buildEnvironment(d *decoder, root *yaml.Node, name string, v map[string]any) *Environment {
	key := lookupKey(at(root, "spec", "environments"), name)
	e := &Environment{
		Name:     name,
		Clusters: asStrings(v["clusters"]),
		Sync:     Sync{Policy: SyncAutomated},
		Source:   sourceOf(d.file, key),
	}
	if s := asMap(v["sync"]); s != nil {
		if p := asString(s["policy"]); p != "" {
			e.Sync.Policy = p
		}
		e.Sync.Prune = asBool(s["prune"])
	}
	if a := asMap(v["alerting"]); a != nil {
		rk := asMap(a["routingKey"])
		e.Alerting = &Alerting{
			Urgency:    asString(a["urgency"]),
			RoutingKey: SecretRef{FromEnv: asString(rk["fromEnv"]), FromFile: asString(rk["fromFile"])},
			For: buildFor(d, at(root, "spec", "environments", name, "alerting", "for"), asMap(a["for"]),
				"spec.environments."+name+".alerting.for"),
		}
	}
	return e
}

// buildFor parses the alert durations, reporting unknown conditions and bad
// durations where they are written.
func buildFor(d *decoder, n *yaml.Node, v map[string]any, field string) map[string]time.Duration {
	if len(v) == 0 {
		return nil
	}
	out := make(map[string]time.Duration, len(v))
	for _, cond := range sortedKeys(v) {
		if !slices.Contains(AlertConditions(), cond) {
			d.errs = append(d.errs, &Error{File: d.file, Line: lookupKey(n, cond).Line, Col: lookupKey(n, cond).Column, Field: field,
				Msg: "unknown alert condition " + quote(cond) + "; want one of " + conditionList()})
			continue
		}
		dur, err := time.ParseDuration(asString(v[cond]))
		if err != nil || dur <= 0 {
			vn := lookup(n, cond)
			d.errs = append(d.errs, &Error{File: d.file, Line: vn.Line, Col: vn.Column, Field: field + "." + cond,
				Msg: "must be a positive duration such as 5m or 1h30m, got " + quote(vn.Value)})
			continue
		}
		out[cond] = dur
	}
	return out
}

func buildApp(d *decoder, root *yaml.Node, name string, v map[string]any) *AppSpec {
	key := lookupKey(at(root, "spec", "apps"), name)
	a := &AppSpec{
		Name:              name,
		IgnoreDifferences: asStrings(v["ignoreDifferences"]),
		Source:            sourceOf(d.file, key),
		node:              lookup(at(root, "spec", "apps"), name),
		broken:            fieldBroken(d.errs, "spec.apps."+name),
	}
	if overlays := asMap(v["environments"]); overlays != nil {
		a.Overlays = make(map[string]map[string]any, len(overlays))
		for env, o := range overlays {
			a.Overlays[env] = asMap(o)
		}
	}
	// v is the decoder's own map: what is left once pacer's fields are
	// taken out is the Marathon body.
	delete(v, "ignoreDifferences")
	delete(v, "environments")
	if v == nil {
		v = map[string]any{}
	}
	a.Body = v
	return a
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// builder gathers the files' results into a Set.
type builder struct {
	clusters []*Cluster
	groups   []*ServiceGroup
	errs     Errors
}

func newBuilder() *builder { return &builder{} }

func (b *builder) add(r *fileResult) {
	b.clusters = append(b.clusters, r.clusters...)
	b.groups = append(b.groups, r.groups...)
	b.errs = append(b.errs, r.errs...)
}

func (b *builder) set(files []string) *Set {
	slices.SortStableFunc(b.clusters, func(x, y *Cluster) int { return strings.Compare(x.Name, y.Name) })
	slices.SortStableFunc(b.groups, func(x, y *ServiceGroup) int { return strings.Compare(x.Path(), y.Path()) })
	return &Set{Clusters: b.clusters, Groups: b.groups, Files: files, loadErrs: b.errs.sorted()}
}
