package specs

import (
	"fmt"
	"slices"
	"strings"
)

// Load balancer labels whose values must be served by the cluster.
const (
	labelHAProxyGroup = "HAPROXY_GROUP" // comma-separated marathon-lb groups; "*" is every group
	labelNixyRealm    = "NIXY_REALM"    // the nixy realm
)

// lbLabels checks that every load balancer of each cluster the environment
// deploys to serves the HAPROXY_GROUP, HAPROXY_{n}_GROUP and NIXY_REALM
// values of the app: a typo there silently takes a service offline. A
// cluster that does not list nixyRealms (or haproxyGroups) is not checked
// for that kind of label; one that lists an empty set serves none.
func (v *validator) lbLabels(c appCtx, m map[string]any) {
	labels := asMap(m["labels"])
	if len(labels) == 0 {
		return
	}
	for _, name := range c.e.Clusters {
		cl := v.clusters[name]
		if cl == nil {
			continue // reported with the environment
		}
		for _, key := range sortedKeys(labels) {
			value := asString(labels[key])
			switch {
			case key == labelNixyRealm && cl.NixyRealms != nil:
				if !slices.Contains(cl.NixyRealms, value) {
					v.report(c, []any{"labels", key}, "%s", unserved(key, value, cl.Name, "nixy realm", "nixyRealms", cl.NixyRealms))
				}
			case isHAProxyGroupLabel(key) && cl.HAProxyGroups != nil:
				for _, g := range SplitHAProxyGroups(value) {
					if g != "*" && !slices.Contains(cl.HAProxyGroups, g) && !slices.Contains(cl.HAProxyGroups, "*") {
						v.report(c, []any{"labels", key}, "%s", unserved(key, g, cl.Name, "HAProxy group", "haproxyGroups", cl.HAProxyGroups))
					}
				}
			}
		}
	}
}

// unserved says that no load balancer of a cluster serves value, what the
// cluster serves, and the served name nearest to value when one is close.
func unserved(label, value, cluster, kind, field string, served []string) string {
	if len(served) == 0 {
		return fmt.Sprintf("%s %q: no load balancer of cluster %s serves it (its %s list is empty)", label, value, cluster, field)
	}
	msg := fmt.Sprintf("%s %q: no load balancer of cluster %s serves %s %q (%s: %s)",
		label, value, cluster, kind, value, field, strings.Join(served, ", "))
	if best := ClosestName(value, served); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	return msg
}

// isHAProxyGroupLabel reports whether key is HAPROXY_GROUP or HAPROXY_{n}_GROUP.
func isHAProxyGroupLabel(key string) bool {
	if key == labelHAProxyGroup {
		return true
	}
	n, ok := strings.CutPrefix(key, "HAPROXY_")
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, "_GROUP")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// SplitHAProxyGroups splits a comma-separated HAPROXY_GROUP value as
// marathon-lb does. The reconciler uses it for its exposure checks.
func SplitHAProxyGroups(value string) []string {
	var groups []string
	for _, g := range strings.Split(value, ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return groups
}

// ClosestName suggests the name nearest to a misspelt one (edit distance
// under 3, case-insensitive, ties broken by name), or "" when none is close.
func ClosestName(name string, names []string) string {
	best, bestDist := "", 3
	lower := strings.ToLower(name)
	for _, n := range names {
		dist := editDistance(lower, strings.ToLower(n))
		if dist < bestDist || (dist == bestDist && best != "" && n < best) {
			best, bestDist = n, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
