package marathonsim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
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
// 1.4.13's AppDefinition.validAppDefinition and validBasicAppDefinition do
// (state/AppDefinition.scala:509-705); prefix is the JSON path of the app
// inside a group body ("" for /v2/apps). Rules of the JSON readers (400) are
// in reads.go.
func validateApp(a *App, rawID string, prefix string, v *violations) {
	p := func(s string) string { return prefix + s }
	if rawID == "" || a.ID == "/" {
		v.add(p("/id"), "Path must contain at least one path element")
	} else if badSegments(rawID) {
		v.add(p("/id"), idSegmentError)
	}
	if !containsCmdArgsOrContainer(a) {
		v.add(p("/"), "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.")
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
		for _, f := range []struct {
			name string
			val  *float64
		}{{"minimumHealthCapacity", us.MinimumHealthCapacity}, {"maximumOverCapacity", us.MaximumOverCapacity}} {
			// UpgradeStrategy.updateStrategyValidator: `is between(0.0,
			// 1.0)` (state/UpgradeStrategy.scala:25-28), whose text
			// AppDefinitionTest pins (api/v2/json/AppDefinitionTest.scala:
			// 294-324 at v1.4.13); the RAML example's "is greater than 1" is
			// older.
			if f.val != nil && (*f.val > 1 || *f.val < 0) {
				v.add(p("/upgradeStrategy/"+f.name), fmt.Sprintf("got %s, expected between 0.0 and 1.0", fmtFloat(*f.val)))
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
	validateContainer(a, p, v)
	for i, f := range a.Fetch {
		// appDef.fetch is every(fetchUriIsValid) (AppDefinition.scala:683).
		if uriInvalid(f.URI) {
			v.add(p(fmt.Sprintf("/fetch(%d)", i)), "URI has invalid syntax.")
		}
	}
	validateHealthChecks(a, p, v)
	for _, c := range a.Constraints {
		if msg := constraintRule(c); msg != "" {
			v.add(p("/constraints"), msg)
		}
	}
	validateLabelRules(a, p, v)
}

// containsCmdArgsOrContainer is AppDefinition.containsCmdArgsOrContainer
// (AppDefinition.scala:548-559): exactly one of cmd and args, or neither
// with a container that runs an image (Docker, Mesos with docker or appc;
// a bare MESOS container does not count).
func containsCmdArgsOrContainer(a *App) bool {
	cmd := a.Cmd != nil && *a.Cmd != ""
	args := len(a.Args) > 0
	if cmd != args {
		return true
	}
	if cmd && args {
		return false
	}
	var ct struct {
		Type   string          `json:"type"`
		Docker json.RawMessage `json:"docker"`
		AppC   json.RawMessage `json:"appc"`
	}
	if isNull(a.Container) || json.Unmarshal(a.Container, &ct) != nil {
		return false
	}
	return ct.Type == "DOCKER" || !isNull(ct.Docker) || !isNull(ct.AppC)
}

// constraintRule is AppDefinition.complyWithConstraintRules
// (AppDefinition.scala:603-656) for a constraint the reader accepted
// (field, known operator, optional value); "" when it complies.
func constraintRule(c []string) string {
	if len(c) < 2 {
		return "Missing field and operator"
	}
	hasValue := len(c) == 3
	value := ""
	if hasValue {
		value = c[2]
	}
	switch c[1] {
	case "UNIQUE":
		if value != "" {
			return "Value specified but not used"
		}
	case "CLUSTER":
	case "GROUP_BY":
		if hasValue && !isInt(value) {
			return "Value was specified but is not a number"
		}
	case "LIKE", "UNLIKE":
		if !hasValue {
			return "A regular expression value must be provided"
		}
		if _, err := regexp.Compile(value); err != nil {
			return fmt.Sprintf("'%s' is not a valid regular expression", value)
		}
	case "MAX_PER":
		if !isInt(value) {
			return "Value was not specified or is not a number"
		}
	default:
		return "Operator must be one of UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER or UNLIKE"
	}
	return ""
}

// isInt is Scala's Try(value.toInt).isSuccess: an optional sign and digits
// that fit an Int.
func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

// validateLabelRules holds the object-level rules Marathon derives from
// labels and resources (AppDefinition.scala:561-601).
func validateLabelRules(a *App, p func(string) string, v *violations) {
	if a.Labels["MARATHON_SINGLE_INSTANCE_APP"] == "true" && a.instances() > 1 {
		v.add(p("/"), "Single instance app may only have one instance")
	}
	if ver, ok := a.Labels["DCOS_MIGRATION_API_VERSION"]; ok && ver != "" &&
		(ver != "v1" || a.Labels["DCOS_PACKAGE_FRAMEWORK_NAME"] == "" || a.Labels["DCOS_MIGRATION_API_PATH"] == "") {
		v.add(p("/"), "DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH must be defined when using DCOS_MIGRATION_API_VERSION")
	}
	if a.GPUs != nil && *a.GPUs > 0 {
		if containerType(a.Container) == "DOCKER" {
			v.add(p("/"), "GPU resources only work with the Mesos containerizer")
		}
		// The simulator runs like a Marathon started without
		// --enable_features gpu_resources (Validation.featureEnabled).
		v.add(p("/"), "Feature gpu_resources is not enabled. Enable with --enable_features gpu_resources)")
	}
}

// validateContainer is Container.validContainer for Docker containers
// (state/Container.scala:72-75, 122-125 at v1.4.13): docker.image is
// notEmpty, port mapping names match PortNamePattern and are unique. The
// validator sees the Docker case class, so paths have no "docker" segment:
// "/container/portMappings(0)" (AppDefinitionTest.scala:121-215).
func validateContainer(a *App, p func(string) string, v *violations) {
	if isNull(a.Container) {
		return
	}
	var ct struct {
		Docker *struct {
			Image *string `json:"image"`
		} `json:"docker"`
	}
	if json.Unmarshal(a.Container, &ct) == nil && ct.Docker != nil && ct.Docker.Image != nil && *ct.Docker.Image == "" {
		v.add(p("/container/image"), "must not be empty")
	}
	seen := map[string]bool{}
	for i, pm := range containerPortMappings(a.Container) {
		name, _ := pm["name"].(string)
		if name == "" {
			continue
		}
		if !portName.MatchString(name) {
			v.add(p(fmt.Sprintf("/container/portMappings(%d)/name", i)), portNameError)
		}
		if seen[name] {
			v.add(p("/container/portMappings"), "Port names must be unique.")
		}
		seen[name] = true
	}
}

// portName is PortAssignment.PortNamePattern (state/PortAssignment.scala:22
// at v1.4.13), applied with matchRegexFully.
var portName = regexp.MustCompile(`^[a-z0-9-]+$`)

const portNameError = "must fully match regular expression '^[a-z0-9-]+$'"

// uriInvalid is java.net.URI's refusal, which fetchUriIsValid turns into
// "URI has invalid syntax." (api/v2/Validation.scala): characters RFC 2396
// does not allow unescaped (controls, space, "<>\^`{|} and a bad %
// escape). Java accepts more than this check refuses in a few corner cases
// (DEVIATIONS.md).
func uriInvalid(u string) bool {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c <= ' ' || c == 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0:
			return true
		case c == '%':
			if i+2 >= len(u) || !isHex(u[i+1]) || !isHex(u[i+2]) {
				return true
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validateHealthChecks checks each health check's protocol and port, and
// haveAtMostOneMesosHealthCheck (AppDefinition.scala:658-665, 707-716).
func validateHealthChecks(a *App, p func(string) string, v *violations) {
	ports := len(servicePortsOf(a))
	mesos, mesosCommand := 0, 0
	for i, h := range a.HealthChecks {
		hp := p(fmt.Sprintf("/healthChecks(%d)", i))
		switch h.Protocol {
		case "HTTP", "HTTPS", "TCP", "COMMAND":
		case "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP":
			mesos++
		default:
			v.add(hp+"/protocol", "error.expected.validenumvalue")
		}
		if h.Protocol == "COMMAND" {
			mesos++
			mesosCommand++
			if isNull(h.Command) {
				v.add(hp+"/command", "is empty")
			}
			continue
		}
		ok := h.Port != nil || ports == 1
		if h.PortIndex != nil {
			ok = *h.PortIndex >= 0 && *h.PortIndex < ports
		}
		if !ok {
			v.add(hp, "Health check port indices must address an element of the ports array or container port mappings.")
		}
	}
	if mesos-mesosCommand > 1 {
		v.add(p("/"), "AppDefinition can contain at most one Mesos health check")
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
		if pd.Name != "" && !portName.MatchString(pd.Name) {
			// PortDefinition.portDefinitionValidator (state/PortDefinition.scala:16-20).
			v.add(p(fmt.Sprintf("/portDefinitions(%d)/name", i)), portNameError)
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

// containerType is container.type ("" without a container).
func containerType(c json.RawMessage) string {
	var ct struct {
		Type string `json:"type"`
	}
	if isNull(c) || json.Unmarshal(c, &ct) != nil {
		return ""
	}
	return ct.Type
}
