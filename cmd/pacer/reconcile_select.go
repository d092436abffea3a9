package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// resolveApps turns the --app values into absolute Marathon app ids.
//
// An id starting with "/" is absolute (/services/shop/production/api). Any
// other id is relative to an environment group of the cluster, the group
// a ServiceGroup's environment deploys to (/services/shop/production), so
// "api" or "worker" name the app as the spec's apps: key does; with
// --environment only that environment's groups are tried. A relative id that
// matches in several groups is an error naming them. An id must be an app
// the specs render for the cluster or an app Marathon has (a selected
// managed app git no longer has is deleted with --prune).
func resolveApps(values []string, set *specs.Set, cluster, environment string, apps []specs.App, live []marathon.App) ([]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	known := map[string]bool{}
	for _, a := range apps {
		known[canonical(a.ID)] = true
	}
	for _, l := range live {
		known[canonical(l.ID)] = true
	}
	groups := appGroups(set, cluster, environment)
	var out []string
	for _, v := range values {
		id, err := resolveApp(v, known, groups)
		if err != nil {
			return nil, fmt.Errorf("--app %q: %w", v, err)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func resolveApp(v string, known map[string]bool, groups []string) (string, error) {
	if strings.TrimSpace(v) == "" || strings.Trim(v, "/") == "" {
		return "", fmt.Errorf("empty app id")
	}
	if strings.HasPrefix(v, "/") {
		id := canonical(v)
		if known[id] {
			return id, nil
		}
		return "", unknownApp(v, known)
	}
	var matches []string
	for _, g := range groups {
		if id := canonical(g + "/" + v); known[id] && !slices.Contains(matches, id) {
			matches = append(matches, id)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", unknownApp(v, known)
	}
	sort.Strings(matches)
	return "", fmt.Errorf("matches %d apps, give the absolute id (or --environment): %s", len(matches), strings.Join(matches, ", "))
}

// unknownApp names up to five known ids close to v.
func unknownApp(v string, known map[string]bool) error {
	const hint = "ids starting with / are absolute, others are relative to an environment group such as /services/NAME/ENVIRONMENT"
	close := closeMatches(v, known, 5)
	if len(close) == 0 {
		return fmt.Errorf("no such app in the specs for this cluster or in Marathon (%s)", hint)
	}
	return fmt.Errorf("no such app in the specs for this cluster or in Marathon; did you mean %s? (%s)", strings.Join(close, ", "), hint)
}

// closeMatches ranks the known ids by the edit distance (a transposition
// counts as one edit) between v's last path segment and the id's, then
// between v and the id's tail of as many segments as v has (the whole id
// for an absolute v), then by id. It keeps the ids whose last segment is
// within a third of its length (at least 1 edit) or contains v's.
func closeMatches(v string, known map[string]bool, n int) []string {
	type scored struct {
		id         string
		last, full int
	}
	q := strings.Trim(v, "/")
	qLast := q[strings.LastIndex(q, "/")+1:]
	segs := strings.Count(q, "/") + 1
	var cands []scored
	for id := range known {
		tail := strings.Trim(id, "/")
		parts := strings.Split(tail, "/")
		last := parts[len(parts)-1]
		if !strings.HasPrefix(v, "/") && len(parts) > segs {
			tail = strings.Join(parts[len(parts)-segs:], "/")
		}
		d := editDistance(qLast, last)
		if d <= max(1, len(qLast)/3) || strings.Contains(last, qLast) {
			cands = append(cands, scored{id, d, editDistance(q, tail)})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.last != b.last {
			return a.last < b.last
		}
		if a.full != b.full {
			return a.full < b.full
		}
		return a.id < b.id
	})
	var out []string
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, c.id)
	}
	return out
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and adjacent transpositions.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// appGroups are the environment groups of the cluster (of --environment
// only, when given).
func appGroups(set *specs.Set, cluster, environment string) []string {
	var groups []string
	for _, g := range set.Groups {
		for _, e := range g.Environments {
			if (environment == "" || e.Name == environment) && slices.Contains(e.Clusters, cluster) {
				groups = append(groups, g.Path()+"/"+e.Name)
			}
		}
	}
	sort.Strings(groups)
	return groups
}

func canonical(id string) string { return "/" + strings.Trim(id, "/") }
