package marathonsim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// violation is one entry of a 422 body's details.
type violation struct {
	Path   string   `json:"path"`
	Errors []string `json:"errors"`
}

type violations []violation

func (v *violations) add(path, msg string) {
	for i := range *v {
		if (*v)[i].Path == path {
			(*v)[i].Errors = append((*v)[i].Errors, msg)
			return
		}
	}
	*v = append(*v, violation{Path: path, Errors: []string{msg}})
}

func (v violations) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	return &apiError{status: 422, body: map[string]any{"message": "Object is not valid", "details": []violation(v)}}
}

// validateApp checks an app definition (defaults applied) the way Marathon
// 1.4's AppDefinition validator does; prefix is the JSON path of the app
// inside a group body ("" for /v2/apps).
func validateApp(a *App, rawID string, prefix string, v *violations) {
	p := func(s string) string { return prefix + s }
	if rawID == "" || a.ID == "/" {
		v.add(p("/id"), "Path must contain at least one path element")
	} else if badSegments(rawID) {
		v.add(p("/id"), idSegmentError)
	}
	hasCmd := a.Cmd != nil
	hasArgs := len(a.Args) > 0
	if (!hasCmd && !hasArgs && a.Container == nil) || (hasCmd && hasArgs) {
		v.add(p("/"), "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.")
	}
	if a.Cmd != nil && *a.Cmd == "" {
		v.add(p("/cmd"), "must not be empty")
	}
	if a.instances() < 0 {
		v.add(p("/instances"), fmt.Sprintf("got %d, expected 0 or more", a.instances()))
	}
	nonNeg := func(path string, f *float64) {
		if f != nil && *f < 0 {
			v.add(p(path), fmt.Sprintf("got %s, expected 0.0 or more", fmtFloat(*f)))
		}
	}
	nonNeg("/cpus", a.CPUs)
	nonNeg("/mem", a.Mem)
	nonNeg("/disk", a.Disk)
	if a.GPUs != nil && *a.GPUs < 0 {
		v.add(p("/gpus"), fmt.Sprintf("got %d, expected 0 or more", *a.GPUs))
	}
	if a.BackoffSeconds != nil && *a.BackoffSeconds < 0 {
		v.add(p("/backoffSeconds"), fmt.Sprintf("got %d, expected 0 or more", *a.BackoffSeconds))
	}
	if a.BackoffFactor != nil && *a.BackoffFactor < 1 {
		v.add(p("/backoffFactor"), fmt.Sprintf("got %s, expected 1.0 or more", fmtFloat(*a.BackoffFactor)))
	}
	if us := a.UpgradeStrategy; us != nil {
		for name, f := range map[string]*float64{"minimumHealthCapacity": us.MinimumHealthCapacity, "maximumOverCapacity": us.MaximumOverCapacity} {
			switch {
			case f == nil:
			case *f > 1:
				v.add(p("/upgradeStrategy/"+name), "is greater than 1")
			case *f < 0:
				v.add(p("/upgradeStrategy/"+name), "is less than 0")
			}
		}
	}
	if a.KillSelection != "YOUNGEST_FIRST" && a.KillSelection != "OLDEST_FIRST" {
		v.add(p("/killSelection"), "error.expected.validenumvalue")
	}
	for i, d := range a.Dependencies {
		if badSegments(d) {
			v.add(p(fmt.Sprintf("/dependencies(%d)", i)), idSegmentError)
		}
	}
	validatePorts(a, p, v)
	for i, h := range a.HealthChecks {
		hp := p(fmt.Sprintf("/healthChecks(%d)", i))
		switch h.Protocol {
		case "HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP":
		default:
			v.add(hp+"/protocol", "error.expected.validenumvalue")
		}
		if h.Protocol == "COMMAND" && isNull(h.Command) {
			v.add(hp+"/command", "is empty")
		}
		if h.PortIndex != nil && (*h.PortIndex < 0 || *h.PortIndex >= len(servicePortsOf(a))) && a.IPAddress == nil {
			v.add(hp, "Health check port indices must address an element of the ports array or container port mappings.")
		}
	}
	if a.AcceptedResourceRoles != nil && len(a.AcceptedResourceRoles) == 0 {
		v.add(p("/acceptedResourceRoles"), "must not be empty")
	}
}

func validatePorts(a *App, p func(string) string, v *violations) {
	seenPort := map[int]bool{}
	seenName := map[string]bool{}
	for i, pd := range a.PortDefinitions {
		if pd.Port < 0 || pd.Port > 65535 {
			v.add(p(fmt.Sprintf("/portDefinitions(%d)/port", i)), fmt.Sprintf("got %d, expected between 0 and 65535", pd.Port))
		}
		if pd.Port != 0 && seenPort[pd.Port] {
			v.add(p("/portDefinitions"), "Ports must be unique.")
		}
		if pd.Name != "" && seenName[pd.Name] {
			v.add(p("/portDefinitions"), "Port names must be unique.")
		}
		seenPort[pd.Port] = true
		seenName[pd.Name] = true
	}
}

// cyclicDependencies is Marathon's text for a root group whose dependency
// graph has a cycle: RootGroup.noCyclicDependencies, an isTrue validator on
// the root (mesosphere/marathon src/main/scala/mesosphere/marathon/state/
// RootGroup.scala; Group.scala in 1.4), so the 422 detail path is "/".
const cyclicDependencies = "Dependency graph has cyclic dependencies."

// validateTree checks constraints over the whole root: an app and a group
// may not share an id, and app dependencies (group dependencies expanded to
// their apps) have no cycle.
func validateTree(t *tree, v *violations) {
	if hasDependencyCycle(t) {
		v.add("/", cyclicDependencies)
	}
	ids := make([]string, 0)
	for id := range t.apps {
		if _, ok := t.groups[id]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		sort.Strings(ids)
		v.add("/", "Groups and Applications may not have the same identifier.")
	}
}

func fmtFloat(f float64) string {
	s := fmt.Sprintf("%g", f)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// jsonTypeError turns a decoding error into Marathon's 400 body.
func jsonTypeError(err error) *apiError {
	var te *json.UnmarshalTypeError
	if as(err, &te) {
		path := "/" + strings.ReplaceAll(te.Field, ".", "/")
		path = indexPath(path)
		want := map[string]string{"string": "error.expected.jsstring", "bool": "error.expected.jsboolean", "slice": "error.expected.jsarray", "map": "error.expected.jsobject", "struct": "error.expected.jsobject"}[te.Type.Kind().String()]
		if want == "" {
			want = "error.expected.jsnumber"
		}
		return &apiError{status: 400, body: map[string]any{"message": "Invalid JSON", "details": []violation{{Path: path, Errors: []string{want}}}}}
	}
	return &apiError{status: 400, body: map[string]any{"message": "Invalid JSON", "details": err.Error()}}
}

// indexPath rewrites "/healthChecks/0/port" as "/healthChecks(0)/port".
func indexPath(p string) string {
	parts := strings.Split(p, "/")
	var out []string
	for _, s := range parts {
		if s != "" && strings.Trim(s, "0123456789") == "" && len(out) > 0 {
			out[len(out)-1] += "(" + s + ")"
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, "/")
}
