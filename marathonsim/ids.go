package marathonsim

import (
	"regexp"
	"strings"
)

// idSegment is PathId.ID_PATH_SEGMENT_PATTERN (state/PathId.scala:114-115 at
// v1.4.13), applied with matchRegexFully, i.e. Java's Matcher.matches: the
// whole segment must match one alternative, so the pattern is wrapped.
var idSegment = regexp.MustCompile(`^(?:^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$)$`)

const idSegmentError = `must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$'`

// canonicalID resolves id against base ("/" or a group path): relative ids
// are made absolute, "." and ".." are resolved, extra slashes are dropped.
func canonicalID(id, base string) string {
	var parts []string
	if !strings.HasPrefix(id, "/") {
		parts = splitID(base)
	}
	for _, seg := range strings.Split(id, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, seg)
		}
	}
	return "/" + strings.Join(parts, "/")
}

func splitID(id string) []string {
	var out []string
	for _, s := range strings.Split(id, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parentID returns the enclosing group of id ("/" for top-level ids).
func parentID(id string) string {
	i := strings.LastIndex(id, "/")
	if i <= 0 {
		return "/"
	}
	return id[:i]
}

// ancestors returns the groups enclosing id, root first, excluding "/".
func ancestors(id string) []string {
	var out []string
	for p := parentID(id); p != "/"; p = parentID(p) {
		out = append([]string{p}, out...)
	}
	return out
}

// isUnder reports whether id is group or inside it.
func isUnder(id, group string) bool {
	if group == "/" {
		return true
	}
	return id == group || strings.HasPrefix(id, group+"/")
}

// badSegments returns the segments of a raw id that Marathon rejects.
func badSegments(raw string) bool {
	for _, s := range strings.Split(raw, "/") {
		if s != "" && !idSegment.MatchString(s) {
			return true
		}
	}
	return false
}

// safeID is the app id as Marathon writes it into task ids: "/a/b" → "a_b".
func safeID(id string) string {
	return strings.Join(splitID(id), "_")
}

// canonicalDependencies makes a's dependencies absolute against base.
func canonicalDependencies(a *App, base string) {
	for i, d := range a.Dependencies {
		a.Dependencies[i] = canonicalID(d, base)
	}
}
