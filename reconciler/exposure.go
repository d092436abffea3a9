package reconciler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"pacer.dev/pacer/specs"
)

// LoadBalancers are the realms and groups a cluster's load balancers serve
// (the Cluster spec's loadBalancers). A nil list is not checked; an empty one
// serves nothing.
type LoadBalancers struct {
	// Cluster names the cluster in warnings.
	Cluster string
	// NixyRealms are the nixy realms served (label NIXY_REALM).
	NixyRealms []string
	// HAProxyGroups are the marathon-lb groups served (labels HAPROXY_GROUP,
	// HAPROXY_{n}_GROUP).
	HAProxyGroups []string
}

// Load balancer labels (nixy, marathon-lb).
const (
	labelNixyRealm    = "NIXY_REALM"
	labelHAProxyGroup = "HAPROXY_GROUP"
)

// lbLabelsOf returns the labels of a definition that choose load balancers:
// NIXY_REALM, HAPROXY_GROUP, HAPROXY_{n}_GROUP and HAPROXY_{n}_ENABLED.
func lbLabelsOf(def map[string]any) map[string]string {
	labels, _ := def["labels"].(map[string]any)
	var out map[string]string
	for k, v := range labels {
		s, ok := v.(string)
		if !ok || !(k == labelNixyRealm || isHAProxyLabel(k, "GROUP") || isHAProxyLabel(k, "ENABLED")) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = s
	}
	return out
}

// isHAProxyLabel reports whether key is HAPROXY_GROUP (for suffix GROUP) or
// HAPROXY_{n}_<suffix>.
func isHAProxyLabel(key, suffix string) bool {
	if suffix == "GROUP" && key == labelHAProxyGroup {
		return true
	}
	n, ok := strings.CutPrefix(key, "HAPROXY_")
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, "_"+suffix)
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// unservedWarnings names each load balancer label value of a desired app
// that no load balancer of the cluster serves.
func unservedWarnings(ap AppPlan, lb *LoadBalancers) []string {
	if lb == nil || len(ap.lbLabels) == 0 {
		return nil
	}
	var out []string
	where := ""
	if ap.Source != "" {
		where = " (" + ap.Source + ")"
	}
	keys := make([]string, 0, len(ap.lbLabels))
	for k := range ap.lbLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := ap.lbLabels[k]
		switch {
		case k == labelNixyRealm && lb.NixyRealms != nil && !slices.Contains(lb.NixyRealms, v):
			out = append(out, fmt.Sprintf("app %s: %s %q is served by no load balancer of cluster %s%s%s",
				ap.ID, k, v, lb.Cluster, servedList("nixy realms", v, lb.NixyRealms), where))
		case isHAProxyLabel(k, "GROUP") && lb.HAProxyGroups != nil:
			for _, g := range specs.SplitHAProxyGroups(v) {
				if !servesGroup(lb.HAProxyGroups, g) {
					out = append(out, fmt.Sprintf("app %s: %s %q is served by no load balancer of cluster %s%s%s",
						ap.ID, k, g, lb.Cluster, servedList("HAProxy groups", g, lb.HAProxyGroups), where))
				}
			}
		}
	}
	return out
}

func servedList(kind, value string, served []string) string {
	if len(served) == 0 {
		return " (it serves no " + kind + ")"
	}
	s := " (" + kind + ": " + strings.Join(served, ", ") + ")"
	if best := specs.ClosestName(value, served); best != "" {
		s += fmt.Sprintf("; did you mean %q?", best)
	}
	return s
}

func servesGroup(served []string, g string) bool {
	return g == "*" || slices.Contains(served, g) || slices.Contains(served, "*")
}

// exposure lists how a normalized app is reachable through the cluster's
// load balancers ("haproxy group external", "nixy realm internal"): by its
// LB labels, on the groups and realms the cluster serves (any, when lb does
// not say), and only when it has ports and instances.
func exposure(app map[string]any, lb *LoadBalancers) []string {
	if n, _ := app["instances"].(float64); n <= 0 {
		return nil
	}
	ports := portCount(app)
	if ports == 0 {
		return nil
	}
	labels := lbLabelsOf(app)
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for i := range ports {
		if on, err := strconv.ParseBool(strings.TrimSpace(labels["HAPROXY_"+strconv.Itoa(i)+"_ENABLED"])); err == nil && !on {
			continue
		}
		groups, ok := labels["HAPROXY_"+strconv.Itoa(i)+"_GROUP"]
		if !ok {
			groups = labels[labelHAProxyGroup]
		}
		for _, g := range specs.SplitHAProxyGroups(groups) {
			switch {
			case lb == nil || lb.HAProxyGroups == nil:
				add("haproxy group " + g)
			case g == "*":
				for _, s := range lb.HAProxyGroups {
					add("haproxy group " + s)
				}
			case servesGroup(lb.HAProxyGroups, g):
				add("haproxy group " + g)
			}
		}
	}
	if r := labels[labelNixyRealm]; r != "" && (lb == nil || lb.NixyRealms == nil || slices.Contains(lb.NixyRealms, r)) {
		add("nixy realm " + r)
	}
	slices.Sort(out)
	return out
}

// portCount is the number of ports of a normalized app.
func portCount(app map[string]any) int {
	if pm := portMappings(app); len(pm) > 0 {
		return len(pm)
	}
	if defs, _ := app["portDefinitions"].([]any); len(defs) > 0 {
		return len(defs)
	}
	ip, _ := app["ipAddress"].(map[string]any)
	disc, _ := ip["discovery"].(map[string]any)
	ports, _ := disc["ports"].([]any)
	return len(ports)
}

// stopsExposing lists what a running live app is exposed through and the
// desired app no longer is.
func stopsExposing(nl, nd map[string]any, running bool, lb *LoadBalancers) []string {
	if !running {
		return nil
	}
	var out []string
	want := exposure(nd, lb)
	for _, e := range exposure(nl, lb) {
		if !slices.Contains(want, e) {
			out = append(out, e)
		}
	}
	return out
}
