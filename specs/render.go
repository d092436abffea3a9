package specs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Labels pacer sets on every app it renders. The reconciler adds the
// revision; users may set LabelProtect themselves.
const (
	LabelManagedBy    = "pacer.dev/managed-by" // always ManagedByPacer
	LabelSource       = "pacer.dev/source"     // spec file, relative to the specs root
	LabelServiceGroup = "pacer.dev/service-group"
	LabelEnvironment  = "pacer.dev/environment"
	LabelProtect      = "pacer.dev/protect" // "true": pacer never deletes the app
	// LabelCluster is the Cluster the app was rendered for; the reconciler
	// refuses to write to a Marathon holding apps of another cluster.
	LabelCluster   = "pacer.dev/cluster"
	ManagedByPacer = "pacer"
)

// Marathon's defaults for the resources, written out so the rendered
// definition says what the app gets.
const (
	defaultInstances = 1
	defaultCPUs      = 1.0
	defaultMem       = 128.0
)

// Render returns the apps pacer submits to cluster, sorted by id: every
// environment deployed there, or only environment when it is not empty. It
// fails with Validate's error when the set is invalid, and on an unknown
// cluster or environment.
func (s *Set) Render(cluster, environment string) ([]App, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(s.Clusters, func(c *Cluster) bool { return c.Name == cluster }) {
		return nil, fmt.Errorf("render: unknown cluster %q; the specs define %s", cluster, s.clusterNames())
	}
	if environment != "" && !s.hasEnvironment(environment) {
		return nil, fmt.Errorf("render: unknown environment %q; no ServiceGroup defines it", environment)
	}
	c := s.Clusters[slices.IndexFunc(s.Clusters, func(c *Cluster) bool { return c.Name == cluster })]
	apps := make([]App, 0, s.countApps(cluster, environment))
	buf := make([]byte, 0, 4096)
	for _, g := range s.Groups {
		for _, e := range g.Environments {
			if (environment != "" && e.Name != environment) || !slices.Contains(e.Clusters, cluster) {
				continue
			}
			for _, a := range g.Apps {
				var app App
				app, buf = renderApp(g, e, a, cluster, buf)
				app.ShowEnv = showEnv(c, g)
				if runsExecChecks(g, a) {
					// Not secrets: a change of checks reads in the plan.
					app.ShowEnv = append(app.ShowEnv, EnvAgentChecks, EnvAgentChecksHash)
				}
				apps = append(apps, app)
			}
		}
	}
	slices.SortFunc(apps, func(x, y App) int { return strings.Compare(x.ID, y.ID) })
	return apps, nil
}

func (s *Set) countApps(cluster, environment string) int {
	n := 0
	for _, g := range s.Groups {
		for _, e := range g.Environments {
			if (environment == "" || e.Name == environment) && slices.Contains(e.Clusters, cluster) {
				n += len(g.Apps)
			}
		}
	}
	return n
}

func (s *Set) clusterNames() string {
	if len(s.Clusters) == 0 {
		return "no Cluster"
	}
	names := make([]string, len(s.Clusters))
	for i, c := range s.Clusters {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func (s *Set) hasEnvironment(name string) bool {
	for _, g := range s.Groups {
		for _, e := range g.Environments {
			if e.Name == name {
				return true
			}
		}
	}
	return false
}

// renderApp renders one app, encoding its definition through buf, which it
// returns for reuse.
func renderApp(g *ServiceGroup, e *Environment, a *AppSpec, cluster string, buf []byte) (App, []byte) {
	group := e.Path()
	id := joinID(group, a.Name)
	buf = appendDefinition(buf[:0], id, g, e, a, cluster)
	raw := make(json.RawMessage, len(buf))
	copy(raw, buf)
	return App{
		ID:                id,
		Group:             group,
		ServiceGroup:      g.Path(),
		Environment:       e.Name,
		Cluster:           cluster,
		Source:            a.Source,
		IgnoreDifferences: a.IgnoreDifferences,
		Sync:              e.Sync,
		Alerting:          e.Alerting,
		Definition:        raw,
	}, buf
}

// appendDefinition appends the Marathon app definition of app a in
// environment e of g as JSON: the group's defaults, the app and the
// environment's overlay merged (by Validate), with the absolute id, absolute
// dependencies, resource defaults and pacer's labels. It writes the JSON
// directly instead of building a map per app: rendering is the hot path of
// every reconcile pass.
func appendDefinition(b []byte, id string, g *ServiceGroup, e *Environment, a *AppSpec, cluster string) []byte {
	group := e.Path()
	m := a.merged[e.Name]
	if m == nil {
		m = mergeLayers(g.Defaults, a.Body, a.Overlays[e.Name])
	}
	if len(g.Checks) > 0 {
		m = withAgentEnv(m, g, e, a, cluster)
	}
	var keyBuf [32]string
	keys := append(keyBuf[:0], "id", "labels")
	for k := range m {
		if k != "id" && k != "labels" {
			keys = append(keys, k)
		}
	}
	for _, k := range []string{"instances", "cpus", "mem"} {
		if _, ok := m[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch k {
		case "id":
			b = appendString(b, id)
		case "labels":
			b = appendLabels(b, asMap(m["labels"]), g, e, a, cluster)
		case "dependencies":
			deps, _ := m[k].([]any)
			b = append(b, '[')
			for j, dep := range deps {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, resolveID(group, asString(dep)))
			}
			b = append(b, ']')
		default:
			v, ok := m[k]
			if !ok {
				v = resourceDefault(k)
			}
			b = appendJSON(b, v)
		}
	}
	return append(b, '}')
}

func resourceDefault(k string) any {
	switch k {
	case "instances":
		return int64(defaultInstances)
	case "cpus":
		return defaultCPUs
	}
	return defaultMem
}

// appendLabels writes the user's labels plus pacer's, sorted.
func appendLabels(b []byte, user map[string]any, g *ServiceGroup, e *Environment, a *AppSpec, cluster string) []byte {
	pacer := [...][2]string{
		{LabelCluster, cluster},
		{LabelEnvironment, e.Name},
		{LabelManagedBy, ManagedByPacer},
		{LabelServiceGroup, g.Path()},
		{LabelSource, a.Source.File},
	}
	var keyBuf [32]string
	keys := keyBuf[:0]
	for k := range user {
		keys = append(keys, k)
	}
	for _, p := range pacer {
		if _, ok := user[p[0]]; !ok {
			keys = append(keys, p[0])
		}
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		v, _ := user[k].(string)
		for _, p := range pacer {
			if p[0] == k {
				v = p[1]
			}
		}
		b = appendString(b, v)
	}
	return append(b, '}')
}

// showEnv is what the plans of g's apps on c may print: the Cluster's
// spec.plan.showEnv, then the group's (nil when neither sets any).
func showEnv(c *Cluster, g *ServiceGroup) []string {
	if len(c.ShowEnv)+len(g.ShowEnv) == 0 {
		return nil
	}
	return slices.Concat(c.ShowEnv, g.ShowEnv)
}
