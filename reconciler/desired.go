package reconciler

import (
	"encoding/json"
	"fmt"
	"strings"

	"pacer.dev/pacer/internal/marathon"
)

// Ownership labels pacer puts on every app it writes.
const (
	// LabelManagedBy marks an app as managed by pacer; only such apps are
	// ever updated by default or pruned.
	LabelManagedBy = "pacer.dev/managed-by"
	// ManagedByValue is the value of LabelManagedBy.
	ManagedByValue = "pacer"
	// LabelSource is the spec file an app comes from.
	LabelSource = "pacer.dev/source"
	// LabelRevision is the git revision of the specs last written.
	LabelRevision = "pacer.dev/revision"
	// LabelProtect set to "true" keeps an app from ever being deleted.
	LabelProtect = "pacer.dev/protect"
)

// volatileLabels are written with every change but never compared: a new
// git revision or a moved spec file alone must not restart every app
// (Marathon restarts tasks when labels change).
var volatileLabels = []string{LabelSource, LabelRevision}

// DesiredApp is one app as git wants it. cmd builds it from specs.App.
type DesiredApp struct {
	// ID is the absolute Marathon app id, e.g. /services/autofill/production/app.
	ID string
	// Definition is the Marathon app definition JSON, as rendered.
	Definition json.RawMessage
	// IgnoreDifferences are RFC 6901 JSON pointers (e.g. /instances,
	// /env/LOG_LEVEL) whose live value is kept: never shown as a difference,
	// and sent back unchanged on writes.
	IgnoreDifferences []string
	// Source is where the app comes from (file:line), for messages and the
	// pacer.dev/source label.
	Source string
	// Revision is the git revision of the spec tree (pacer.dev/revision label).
	Revision string
	// Locate, if set, maps an RFC 6901 pointer into Definition (e.g.
	// /container/docker/image) to the spec location that sets it
	// ("file:line"), or "" when unknown. It places Marathon's 422 errors.
	Locate func(pointer string) string
	// ShowEnv are the env keys (exact or path.Match patterns such as LOG_*)
	// whose values a plan may print; every other env value, and every
	// secrets entry, is masked (mask.go).
	ShowEnv []string
}

// decodeObject decodes a JSON object keeping numbers as json.Number, so that
// a definition re-encoded for writing keeps its numbers exactly.
func decodeObject(data []byte) (map[string]any, error) {
	return marathon.DecodeObject(data, nil)
}

// decodeLive decodes a live app definition like decodeObject, but skips the
// values of the fields Marathon sets (tasks above all), which normalization
// drops anyway, without building them.
func decodeLive(data []byte) (map[string]any, error) {
	return marathon.DecodeObject(data, isServerField)
}

// desiredDefinition returns d's definition as an object with the id set and
// the ownership labels added: what pacer writes to Marathon.
func (d DesiredApp) desiredDefinition() (map[string]any, error) {
	m, err := decodeObject(d.Definition)
	if err != nil {
		return nil, fmt.Errorf("app %s: definition: %w", d.ID, err)
	}
	m["id"] = canonicalID(d.ID)
	labels, _ := m["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
	}
	labels[LabelManagedBy] = ManagedByValue
	if d.Source != "" {
		labels[LabelSource] = d.Source
	}
	if d.Revision != "" {
		labels[LabelRevision] = d.Revision
	}
	m["labels"] = labels
	return m, nil
}

// canonicalID makes an app id absolute and drops a trailing slash.
func canonicalID(id string) string {
	if len(id) > 1 && id[0] == '/' && id[1] != '/' && id[len(id)-1] != '/' {
		return id // already canonical: no allocation
	}
	return "/" + strings.Trim(id, "/")
}

// dependencies returns the absolute ids an app definition depends on.
// Relative ids are resolved against the app's group, as Marathon does.
func dependencies(id string, def map[string]any) []string {
	raw, _ := def["dependencies"].([]any)
	group := id[:strings.LastIndex(id, "/")+1]
	var deps []string
	for _, r := range raw {
		s, ok := r.(string)
		if !ok || s == "" {
			continue
		}
		if !strings.HasPrefix(s, "/") {
			s = resolvePath(group + s)
		}
		deps = append(deps, canonicalID(s))
	}
	return deps
}

// resolvePath resolves . and .. segments of an absolute path.
func resolvePath(p string) string {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}
