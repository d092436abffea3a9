package specs

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
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

// Labels of marathon-lb (config.py's labels list at mesosphere/marathon-lb
// b8efe88) and nixy (marathon.go syncApps), and pacer's NIXY_PROTOCOL.
var (
	haproxyAppLabels = []string{"HAPROXY_GROUP", "HAPROXY_DEPLOYMENT_GROUP", "HAPROXY_DEPLOYMENT_ALT_PORT",
		"HAPROXY_DEPLOYMENT_COLOUR", "HAPROXY_DEPLOYMENT_STARTED_AT", "HAPROXY_DEPLOYMENT_TARGET_INSTANCES",
		"HAPROXY_DEPLOYMENT_NEW_INSTANCES"}
	haproxyPortLabels = []string{"GROUP", "ENABLED", "VHOST", "PATH", "MODE", "PORT", "BIND_ADDR", "BIND_OPTIONS",
		"BALANCE", "STICKY", "REDIRECT_TO_HTTPS", "USE_HSTS", "SSL_CERT", "AUTH", "BACKEND_WEIGHT",
		"BACKEND_NETWORK_ALLOWED_ACL", "BACKEND_HEALTHCHECK_PORT_INDEX", "HTTP_BACKEND_PROXYPASS_PATH",
		"HTTP_BACKEND_REVPROXY_PATH", "HTTP_BACKEND_REDIR", "FRONTEND_HEAD", "USERLIST_HEAD",
		"BACKEND_REDIRECT_HTTP_TO_HTTPS", "BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH", "BACKEND_HEAD",
		"HTTP_FRONTEND_ACL", "MAP_HTTP_FRONTEND_ACL", "HTTP_FRONTEND_ACL_ONLY", "MAP_HTTP_FRONTEND_ACL_ONLY",
		"HTTP_FRONTEND_ROUTING_ONLY", "HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH", "HTTP_FRONTEND_ACL_WITH_AUTH",
		"HTTP_FRONTEND_ACL_WITH_PATH", "HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH", "HTTP_FRONTEND_ACL_ONLY_WITH_PATH",
		"HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH", "HTTPS_FRONTEND_ACL_ONLY_WITH_PATH",
		"HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH", "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH",
		"HTTPS_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH", "HTTP_FRONTEND_APPID_ACL", "MAP_HTTP_FRONTEND_APPID_ACL",
		"HTTPS_FRONTEND_ACL", "MAP_HTTPS_FRONTEND_ACL", "HTTPS_FRONTEND_ACL_WITH_AUTH", "HTTPS_FRONTEND_ACL_WITH_PATH",
		"HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH", "BACKEND_HTTP_OPTIONS", "BACKEND_HSTS_OPTIONS",
		"BACKEND_HTTP_HEALTHCHECK_OPTIONS", "BACKEND_TCP_HEALTHCHECK_OPTIONS", "BACKEND_STICKY_OPTIONS",
		"BACKEND_SERVER_OPTIONS", "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS", "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
		"FRONTEND_BACKEND_GLUE", "HTTP_BACKEND_NETWORK_ALLOWED_ACL", "TCP_BACKEND_NETWORK_ALLOWED_ACL"}
	nixyLabels = []string{labelNixyRealm, labelNixyProtocol}
	// lbLabelNames are the names a label close to one of them was likely
	// meant to be.
	lbLabelNames = append(append([]string{labelSubdomain, labelMoxySubdomain}, nixyLabels...), haproxyAppLabels...)
)

const (
	labelNixyProtocol  = "NIXY_PROTOCOL" // ours: tcp, udp or http (the default)
	labelSubdomain     = "subdomain"     // nixy: space-separated hosts
	labelMoxySubdomain = "moxy_subdomain"
)

// lbLabelKeys checks the names of load balancer labels (a typo there makes
// the load balancer ignore the label: the service is silently served
// differently or not at all), per-port labels against the app's ports, and
// NIXY_PROTOCOL's value. Labels that are not close to a load balancer label
// are the user's own and allowed.
func (v *validator) lbLabelKeys(c appCtx, m map[string]any) {
	labels := asMap(m["labels"])
	ports := -1
	for key := range labels { // problems are sorted later
		keys := labelKeys(key)
		if rest, ok := strings.CutPrefix(key, "HAPROXY_"); ok {
			n, suffix, indexed := cutPortIndex(rest)
			switch {
			case indexed && !slices.Contains(haproxyPortLabels, suffix):
				v.report(c, keys.path(), "%s", unknownLabel(key, "HAPROXY_"+strconv.Itoa(n)+"_", suffix, haproxyPortLabels, "marathon-lb per-port"))
			case indexed:
				if ports < 0 {
					ports, _ = portCount(m)
				}
				if n >= ports {
					_, from := portCount(m)
					v.report(c, keys.path(), "%s is for service port index %d, but the app has %d port(s) (%s); marathon-lb ignores it", key, n, ports, from)
				}
			case !slices.Contains(haproxyAppLabels, key):
				v.report(c, keys.path(), "%s", unknownLabel(key, "", key, haproxyAppLabels, "marathon-lb"))
			}
			continue
		}
		if strings.HasPrefix(key, "NIXY_") {
			if !slices.Contains(nixyLabels, key) {
				v.report(c, keys.path(), "%s", unknownLabel(key, "", key, nixyLabels, "nixy"))
			}
			continue
		}
		if !slices.Contains(lbLabelNames, key) {
			if best := ClosestName(key, lbLabelNames); best != "" && len(key) >= 6 {
				v.report(c, keys.path(), "label %q is not a load balancer label; did you mean %q?", key, best)
			}
		}
	}
	if p, ok := labels[labelNixyProtocol].(string); ok && p != "tcp" && p != "udp" && p != "http" {
		v.report(c, []any{"labels", labelNixyProtocol}, "%s must be tcp, udp or http, got %q; the load balancer would skip the app", labelNixyProtocol, p)
	}
}

// labelKeys is a label's key; path builds its path for a report, so the
// path is only allocated when there is a problem.
type labelKeys string

func (k labelKeys) path() []any { return []any{"labels", string(k)} }

// cutPortIndex splits "0_VHOST" into 0 and "VHOST".
func cutPortIndex(rest string) (int, string, bool) {
	num, suffix, ok := strings.Cut(rest, "_")
	if !ok || num == "" || strings.Trim(num, "0123456789") != "" {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, "", false
	}
	return n, suffix, true
}

func unknownLabel(key, prefix, name string, known []string, kind string) string {
	msg := fmt.Sprintf("unknown %s label %q", kind, key)
	if best := ClosestName(name, known); best != "" {
		return msg + fmt.Sprintf("; did you mean %q?", prefix+best)
	}
	return msg + "; the load balancer would ignore it"
}

// hostClaim is one app claiming a host on one load balancer of a cluster.
type hostClaim struct {
	cluster, lb, group, host string // lb is "HAProxy group" or "nixy realm", group its name
	d                        *deployment
	key                      string // the label
}

func (c hostClaim) sameHost(o hostClaim) bool {
	return c.cluster == o.cluster && c.lb == o.lb && c.group == o.group && c.host == o.host
}

// lbConflicts reports a marathon-lb vhost (HAPROXY_{n}_VHOST) or a nixy
// subdomain that two apps of one cluster claim for the same load balancer:
// marathon-lb routes the host to whichever backend comes first, nixy skips
// the second app. Claims are sorted so that those of one host are adjacent
// and the first is the smallest app id: a slice sorted once costs far less
// than a map over 30,000 apps.
func (v *validator) lbConflicts() {
	claims := v.hostClaims()
	slices.SortFunc(claims, func(a, b hostClaim) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), strings.Compare(a.lb, b.lb), strings.Compare(a.group, b.group),
			strings.Compare(a.host, b.host), strings.Compare(a.d.id, b.d.id), strings.Compare(a.key, b.key))
	})
	first := 0
	for i := 1; i < len(claims); i++ {
		c := claims[i]
		if !c.sameHost(claims[first]) {
			first = i
			continue
		}
		f := claims[first]
		if f.d == c.d {
			continue // one app may name a host twice (two ports)
		}
		served := c.lb + " " + c.group
		if c.group == "" {
			served = map[string]string{"HAProxy group": "no " + labelHAProxyGroup, "nixy realm": "no " + labelNixyRealm}[c.lb]
		}
		v.report(v.ctxOf(c.d), []any{"labels", c.key}, "%s %q is also claimed by %s (%s, label %s) in cluster %s (%s); a host can route to one app only",
			c.key, c.host, f.d.id, f.d.app.Source, f.key, c.cluster, served)
	}
}

// hostClaims lists the hosts every deployment claims, per cluster and load
// balancer: each HAPROXY_{n}_VHOST host per HAProxy group of port n, each
// subdomain host in the app's nixy realm.
func (v *validator) hostClaims() []hostClaim {
	claims := make([]hostClaim, 0, len(v.apps))
	for _, d := range v.apps {
		labels := asMap(d.app.merged[d.env.Name]["labels"])
		for key, raw := range labels {
			var hosts, groups, lb, sep string
			if n, suffix, ok := cutPortIndex(strings.TrimPrefix(key, "HAPROXY_")); ok && suffix == "VHOST" && strings.HasPrefix(key, "HAPROXY_") {
				lb, sep, hosts = "HAProxy group", ",", asString(raw)
				var buf [32]byte
				g, ok := labels[string(appendHAProxyLabel(buf[:0], n, "GROUP"))] // no allocation
				if !ok {
					g = labels[labelHAProxyGroup]
				}
				groups = asString(g)
			} else if key == labelSubdomain {
				lb, sep, hosts = "nixy realm", " ", asString(raw)
				groups = asString(labels[labelNixyRealm])
			} else {
				continue
			}
			for _, cluster := range d.env.Clusters {
				for host := range strings.SplitSeq(hosts, sep) {
					if host = strings.TrimSpace(host); host == "" {
						continue
					}
					host = strings.ToLower(host)
					if lb == "nixy realm" || strings.Trim(groups, ", \t") == "" {
						claims = append(claims, hostClaim{cluster, lb, strings.TrimSpace(groups), host, d, key})
						continue
					}
					for grp := range strings.SplitSeq(groups, ",") {
						if grp = strings.TrimSpace(grp); grp != "" {
							claims = append(claims, hostClaim{cluster, lb, grp, host, d, key})
						}
					}
				}
			}
		}
	}
	return claims
}

// appendHAProxyLabel appends HAPROXY_{n}_{suffix} to b.
func appendHAProxyLabel(b []byte, n int, suffix string) []byte {
	b = append(b, "HAPROXY_"...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '_')
	return append(b, suffix...)
}

func (v *validator) ctxOf(d *deployment) appCtx {
	def := at(d.group.node, "spec", "defaults")
	if !has(d.group.node, "spec", "defaults") {
		def = nil
	}
	return appCtx{g: d.group, e: d.env, a: d.app, def: def}
}
