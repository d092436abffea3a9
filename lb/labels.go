package lb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Labels pacer reads. nixy: NIXY_REALM, subdomain, moxy_subdomain; ours:
// NIXY_PROTOCOL; marathon-lb: HAPROXY_GROUP and HAPROXY_{n}_*.
const (
	labelNixyRealm     = "NIXY_REALM"
	labelNixyProtocol  = "NIXY_PROTOCOL"
	labelSubdomain     = "subdomain"
	labelMoxySubdomain = "moxy_subdomain"
	labelHAProxyGroup  = "HAPROXY_GROUP"
)

// Label values end up inside nginx and HAProxy configs, so everything is
// checked against a strict pattern: a bad label skips its app (mlb#234: one
// bad label made the whole HAProxy config invalid) and can never inject config.
var (
	appIDSegment = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
	hostPattern  = regexp.MustCompile(`^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$`)
	pathPattern  = regexp.MustCompile(`^/[A-Za-z0-9._~!$&()*+,=:@%/-]*$`)
	balancePat   = regexp.MustCompile(`^[a-z][a-z_-]*(\([A-Za-z0-9_.-]+\))?$`)
)

// haproxyLabel is the name of the marathon-lb per-port label HAPROXY_{n}_{key}.
func haproxyLabel(n int, key string) string {
	return "HAPROXY_" + strconv.Itoa(n) + "_" + key
}

func validAppID(id string) error {
	if !strings.HasPrefix(id, "/") || len(id) < 2 {
		return fmt.Errorf("app id %q is not absolute", id)
	}
	for _, seg := range strings.Split(id[1:], "/") {
		if !appIDSegment.MatchString(seg) {
			return fmt.Errorf("app id %q has an invalid segment %q", id, seg)
		}
	}
	return nil
}

// backendName is the app id without the leading slash, "/" replaced by "_",
// then the port index. Marathon ids have no "_", so names are unique.
func backendName(appID string, portIndex int) string {
	return strings.ReplaceAll(strings.TrimPrefix(appID, "/"), "/", "_") + "_" + strconv.Itoa(portIndex)
}

// reversedID turns "/services/autofill/production/app" into
// "app.production.autofill.services" (nixy's default host).
func reversedID(appID string) string {
	segs := strings.Split(strings.Trim(appID, "/"), "/")
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return strings.Join(segs, ".")
}

// parseHosts splits a host list on sep (or whitespace when sep is ""),
// lower-cases, validates and de-duplicates it.
func parseHosts(value, sep, label string) ([]string, error) {
	var fields []string
	if sep == "" {
		fields = strings.Fields(value)
	} else {
		fields = strings.Split(value, sep)
	}
	hosts := make([]string, 0, len(fields))
	have := make(map[string]bool, len(fields))
	for _, f := range fields {
		h := strings.ToLower(strings.TrimSpace(f))
		if h == "" {
			continue
		}
		if !hostPattern.MatchString(h) {
			return nil, fmt.Errorf("label %s: invalid host %q", label, f)
		}
		if !have[h] {
			have[h] = true
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("label %s: no host in %q", label, value)
	}
	return hosts, nil
}

func parsePaths(value, label string) ([]string, error) {
	var paths []string
	for _, p := range strings.Fields(value) {
		if !pathPattern.MatchString(p) {
			return nil, fmt.Errorf("label %s: invalid path %q", label, p)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func parsePort(value, label string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("label %s: invalid port %q", label, value)
	}
	return p, nil
}

// splitGroups splits a comma-separated HAPROXY_GROUP value.
func splitGroups(value string) []string {
	var groups []string
	for _, g := range strings.Split(value, ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return groups
}

// hasGroup is marathon-lb's has_group: the LB's "*" matches every app (with
// or without a group), an LB without groups serves apps without groups, else
// the sets must intersect. pacer extension: an app group "*" matches every LB.
func hasGroup(lbGroups, appGroups []string) bool {
	for _, g := range lbGroups {
		if g == "*" {
			return true
		}
	}
	if len(lbGroups) == 0 && len(appGroups) == 0 {
		return true
	}
	for _, a := range appGroups {
		if a == "*" {
			return true
		}
		for _, g := range lbGroups {
			if a == g {
				return true
			}
		}
	}
	return false
}
