package reconciler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// liveCounters are the server fields of a live app (normalize.go) that
// change with its tasks, not its definition; MaskDefinition drops them and
// keeps version and versionInfo.
var liveCounters = []string{"tasks", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments",
	"lastTaskFailure", "taskStats", "readinessCheckResults", "readiness", "counts"}

// MaskDefinition returns a live Marathon app definition for people, as
// indented JSON, with its env and secrets values and the values of docker
// env parameters (key env or e) masked as plans mask them (the same salted
// hash, so a value on the status page matches the plan's). Env keys
// matching show stay readable. Task lists and counters are dropped.
func MaskDefinition(salt, cluster, app string, show []string, raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var def map[string]any
	if err := dec.Decode(&def); err != nil {
		return nil, fmt.Errorf("mask definition of %s: %w", app, err)
	}
	m := newMasker(salt, cluster, app, show)
	for _, f := range liveCounters {
		delete(def, f)
	}
	for _, f := range []string{"env", "secrets"} {
		if v, ok := def[f]; ok && v != nil {
			def[f] = m.maskObject(f, v)
		}
	}
	if c, ok := def["container"].(map[string]any); ok {
		if d, ok := c["docker"].(map[string]any); ok {
			if ps, ok := d["parameters"].([]any); ok {
				for i, p := range ps {
					ps[i] = m.maskEnvParameter(p)
				}
			}
		}
	}
	out, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mask definition of %s: %w", app, err)
	}
	return out, nil
}

// maskEnvParameter masks the value of a docker parameter {key: env|e,
// value: NAME=VALUE} as maskParameter does in a plan.
func (m masker) maskEnvParameter(p any) any {
	e, ok := p.(map[string]any)
	if !ok || (e["key"] != "env" && e["key"] != "e") {
		return p
	}
	s, ok := e["value"].(string)
	name, _, found := strings.Cut(s, "=")
	if !ok || !found || m.shown(name) {
		if ok && !found {
			e["value"] = m.hash("env", "", s) // not NAME=VALUE: hide it all
		}
		return e
	}
	e["value"] = name + "=" + m.hash("env", name, s)
	return e
}
