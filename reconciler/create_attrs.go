package reconciler

import "strings"

// createdPaths are the top-level fields of a new app that the text plan
// shows under its create line (nested: container.docker.image, ...).
var createdPaths = [][]string{
	{"instances"}, {"cpus"}, {"mem"}, {"disk"}, {"gpus"},
	{"cmd"}, {"args"},
	{"container", "docker", "image"}, {"container", "docker", "network"},
	{"container", "docker", "portMappings"}, {"container", "portMappings"},
	{"portDefinitions"}, {"ports"}, {"networks"},
	{"env"}, {"secrets"}, {"labels"},
	{"constraints"}, {"dependencies"}, {"healthChecks"},
}

// createAttributes are the key fields of a new app as "add" changes, in
// the paths and rendering of an update's changes (and masked the same
// way, by NewPlan): what a reviewer wants to see of an app that does not
// exist yet. pacer's own labels (pacer.dev/managed-by, source, revision,
// cluster) are left out: every app pacer creates has them.
func createAttributes(def map[string]any) []Change {
	picked := map[string]any{}
	for _, p := range createdPaths {
		v, ok := lookupPath(def, p)
		if !ok || isEmptyValue(v) {
			continue
		}
		if p[0] == "labels" {
			v = withoutOwnLabels(v)
			if isEmptyValue(v) {
				continue
			}
		}
		setPath(picked, p, v)
	}
	return Diff(map[string]any{}, picked)
}

func lookupPath(m map[string]any, p []string) (any, bool) {
	var cur any = m
	for _, k := range p {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func setPath(m map[string]any, p []string, v any) {
	for _, k := range p[:len(p)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[p[len(p)-1]] = v
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func withoutOwnLabels(v any) any {
	labels, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, val := range labels {
		if !strings.HasPrefix(k, "pacer.dev/") || k == LabelProtect {
			out[k] = val
		}
	}
	return out
}
