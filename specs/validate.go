package specs

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Validate checks the whole set and returns every problem at once, as Errors
// sorted by file, line and column (errors.Is(err, ErrInvalid) holds), or nil.
// The decoding problems found by Load are included. The result is computed
// once.
func (s *Set) Validate() error {
	s.once.Do(func() {
		errs, warns := s.validate()
		s.valid = errs.asError()
		s.warns = warns.sorted()
	})
	return s.valid
}

// Warnings returns the advice of Validate (each with Warning set), sorted:
// things Marathon accepts but that are likely mistakes, such as a secret
// written into env. They never make the tree invalid.
func (s *Set) Warnings() Errors {
	_ = s.Validate()
	return s.warns
}

// validator collects the problems of one Validate pass.
type validator struct {
	set      *Set
	errs     Errors
	warns    Errors
	clusters map[string]*Cluster
	apps     map[string]*deployment // by absolute id
	groupIDs map[string]bool        // every group id implied by an app id
}

func (s *Set) validate() (Errors, Errors) {
	v := &validator{
		set:      s,
		errs:     append(Errors(nil), s.loadErrs...),
		clusters: map[string]*Cluster{},
		apps:     map[string]*deployment{},
		groupIDs: map[string]bool{},
	}
	for _, c := range s.Clusters {
		v.cluster(c)
	}
	seen := map[string]*ServiceGroup{}
	for _, g := range s.Groups {
		if first, dup := seen[g.Path()]; dup {
			v.add(g.Source.File, at(g.node, "metadata", "name"), "metadata.name",
				"service group %s is already defined at %s", g.Path(), first.Source)
			continue
		}
		seen[g.Path()] = g
		v.group(g)
	}
	v.idCollisions()
	v.dependencies()
	v.lbConflicts()
	return v.errs, v.warns
}

func (v *validator) add(file string, n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	v.errs = append(v.errs, e)
}

// warn records advice, located like add.
func (v *validator) warn(file string, n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: file, Field: field, Msg: fmt.Sprintf(format, args...), Warning: true}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	v.warns = append(v.warns, e)
}

func (v *validator) cluster(c *Cluster) {
	file := c.Source.File
	if p := segmentProblem(c.Name); p != "" {
		v.add(file, at(c.node, "metadata", "name"), "metadata.name", "%s", p)
	}
	if first, dup := v.clusters[c.Name]; dup {
		v.add(file, at(c.node, "metadata", "name"), "metadata.name", "cluster %q is already defined at %s", c.Name, first.Source)
		return
	}
	v.clusters[c.Name] = c
	for i, raw := range c.MarathonURLs {
		if p := urlProblem(raw); p != "" {
			v.add(file, at(c.node, "spec", "marathon", "urls", i), fmt.Sprintf("spec.marathon.urls[%d]", i), "%s", p)
		}
	}
	for field, names := range map[string][]string{"nixyRealms": c.NixyRealms, "haproxyGroups": c.HAProxyGroups} {
		for i, name := range names {
			if p := segmentProblem(name); p != "" {
				v.add(file, at(c.node, "spec", "loadBalancers", field, i), fmt.Sprintf("spec.loadBalancers.%s[%d]", field, i), "%s", p)
			}
		}
	}
}

func urlProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "not a valid URL: " + err.Error()
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "must be an http or https URL such as http://marathon.example:8080, got " + quote(raw)
	}
	return ""
}

func (v *validator) group(g *ServiceGroup) {
	file := g.Source.File
	if p := segmentProblem(g.Name); p != "" {
		v.add(file, at(g.node, "metadata", "name"), "metadata.name", "%s", p)
	}
	if p := pathProblem(g.Parent); p != "" {
		v.add(file, at(g.node, "metadata", "parent"), "metadata.parent", "%s", p)
	}
	if len(g.Environments) == 0 && has(g.node, "spec", "environments") {
		v.add(file, at(g.node, "spec", "environments"), "spec.environments", "a ServiceGroup needs at least one environment")
	}
	for _, e := range g.Environments {
		v.environment(g, e)
	}
	for _, a := range g.Apps {
		v.app(g, a)
	}
	v.checks(g)
}

var envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (v *validator) environment(g *ServiceGroup, e *Environment) {
	file := g.Source.File
	field := "spec.environments." + e.Name
	if p := segmentProblem(e.Name); p != "" {
		v.add(file, lookupKey(at(g.node, "spec", "environments"), e.Name), field, "environment name %s", p)
	}
	for i, c := range e.Clusters {
		if _, ok := v.clusters[c]; !ok {
			v.add(file, at(g.node, "spec", "environments", e.Name, "clusters", i), fmt.Sprintf("%s.clusters[%d]", field, i),
				"unknown cluster %q%s", c, v.knownClusters())
		}
	}
	if e.Alerting == nil {
		return
	}
	rk := e.Alerting.RoutingKey
	rkPath := []any{"spec", "environments", e.Name, "alerting", "routingKey"}
	if !has(g.node, rkPath...) {
		return // reported by the decoder
	}
	rkNode := at(g.node, rkPath...)
	switch {
	case rk.FromEnv != "" && rk.FromFile != "":
		v.add(file, rkNode, field+".alerting.routingKey", "set exactly one of fromEnv or fromFile")
	case rk.FromEnv == "" && rk.FromFile == "" && rkNode.Kind == yaml.MappingNode:
		v.add(file, rkNode, field+".alerting.routingKey", "set exactly one of fromEnv or fromFile")
	case rk.FromEnv != "" && !envVarRE.MatchString(rk.FromEnv):
		v.add(file, at(rkNode, "fromEnv"), field+".alerting.routingKey.fromEnv", "must be an environment variable name, got %q", rk.FromEnv)
	}
}

// knownClusters lists the defined clusters for a hint, or says there are none.
func (v *validator) knownClusters() string {
	if len(v.set.Clusters) == 0 {
		return "; no Cluster is defined"
	}
	names := make([]string, 0, len(v.set.Clusters))
	for _, c := range v.set.Clusters {
		names = append(names, c.Name)
	}
	return "; known: " + strings.Join(names, ", ")
}
