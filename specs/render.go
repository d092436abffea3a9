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
	ManagedByPacer    = "pacer"
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
	var apps []App
	for _, g := range s.Groups {
		for _, e := range g.Environments {
			if (environment != "" && e.Name != environment) || !slices.Contains(e.Clusters, cluster) {
				continue
			}
			for _, a := range g.Apps {
				app, err := renderApp(g, e, a, cluster)
				if err != nil {
					return nil, err
				}
				apps = append(apps, app)
			}
		}
	}
	slices.SortFunc(apps, func(x, y App) int { return strings.Compare(x.ID, y.ID) })
	return apps, nil
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

func renderApp(g *ServiceGroup, e *Environment, a *AppSpec, cluster string) (App, error) {
	group := joinID(g.Path(), e.Name)
	id := joinID(group, a.Name)
	def := Definition(g, e, a)
	raw, err := json.Marshal(def)
	if err != nil {
		return App{}, fmt.Errorf("render app %s: %w", id, err)
	}
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
	}, nil
}

// Definition is the Marathon app definition of app a in environment e of g:
// the group's defaults, the app and the environment's overlay merged, with
// the absolute id, absolute dependencies, resource defaults and pacer's
// labels. The result is a fresh map the caller may change at its top level.
func Definition(g *ServiceGroup, e *Environment, a *AppSpec) map[string]any {
	group := joinID(g.Path(), e.Name)
	m := mergeLayers(g.Defaults, a.Body, a.Overlays[e.Name])
	m["id"] = joinID(group, a.Name)
	setDefault(m, "instances", int64(defaultInstances))
	setDefault(m, "cpus", defaultCPUs)
	setDefault(m, "mem", defaultMem)
	if deps, ok := m["dependencies"].([]any); ok {
		abs := make([]any, len(deps))
		for i, dep := range deps {
			abs[i] = resolveID(group, asString(dep))
		}
		m["dependencies"] = abs
	}
	userLabels := asMap(m["labels"])
	labels := make(map[string]any, len(userLabels)+4)
	for k, v := range userLabels {
		labels[k] = v
	}
	labels[LabelManagedBy] = ManagedByPacer
	labels[LabelSource] = a.Source.File
	labels[LabelServiceGroup] = g.Path()
	labels[LabelEnvironment] = e.Name
	m["labels"] = labels
	return m
}

func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		m[key] = v
	}
}
