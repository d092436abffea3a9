package marathonsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// Marathon 1.4.13 reads an app body with Play JSON readers
// (api/v2/json/Formats.scala, AppDefinitionReads and AppUpdateReads). A body
// those readers refuse never reaches the validator: Json.parse(body).as[...]
// throws JsResultException, which MarathonExceptionMapper answers with 400
// {"message":"Invalid JSON","details":[{"path":..,"errors":[..]}]}, the path
// written by JsPath.toString ("/constraints(0)", "/labels/KEY", "" for the
// object itself). readsViolations checks the rules of those readers that Go's
// decoding does not, on the raw body, so their paths are Marathon's.

// constraintOperators is Operator.values() of marathon.proto, in enum order
// (src/main/proto/marathon.proto:13-26 at v1.4.13).
var constraintOperators = []string{"UNIQUE", "LIKE", "CLUSTER", "GROUP_BY", "UNLIKE", "MAX_PER"}

// Texts of Formats.scala ConstraintFormat (lines 922-939 at v1.4.13).
const (
	constraintShapeError    = "Constraint definition must be an array of strings in format: <key>, <operator>[, value]"
	constraintOperatorError = "Constraint operator must be one of the following: [UNIQUE, LIKE, CLUSTER, GROUP_BY, UNLIKE, MAX_PER]"
)

// executorPattern is AppDefinitionReads' Reads.pattern for "executor"
// (Formats.scala:971, 983), "^(//cmd)|(/?[^/]+(/[^/]+)*)|$". Play's pattern
// reader needs the whole value to match (Regex.unapplySeq), so the value is
// "//cmd", a path, or empty.
var executorPattern = regexp.MustCompile(`^(?://cmd|/?[^/]+(?:/[^/]+)*|)$`)

// readsViolations returns the reader errors of one app body (a full
// definition or an AppUpdate; both readers share these rules), with prefix
// the JSON path of the app inside a group body. They come in the reader's
// stages (Formats.scala:969-1090 at v1.4.13), each reported only when the
// ones before it passed: a non-string env value throws at once; the first
// block of fields (cmd, executor, constraints) accumulates its errors and
// must succeed before flatMap reads the extra fields (ports, labels,
// acceptedResourceRoles); then the ExtraFields filters run one after the
// other, the first failing one reported.
func readsViolations(body map[string]json.RawMessage, prefix string) violations {
	var v violations
	if readEnv(body["env"], &v); len(v) > 0 {
		return v
	}
	p := func(s string) string { return prefix + s }
	if raw, ok := body["cmd"]; ok && !isNull(raw) {
		var cmd string
		if json.Unmarshal(raw, &cmd) == nil && cmd == "" {
			// (__ \ "cmd").readNullable[String](Reads.minLength(1)), Formats.scala:974.
			v.add(p("/cmd"), "error.minLength")
		}
	}
	if raw, ok := body["executor"]; ok && !isNull(raw) {
		var ex string
		if json.Unmarshal(raw, &ex) == nil && !executorPattern.MatchString(ex) {
			v.add(p("/executor"), "error.pattern")
		}
	}
	if readConstraints(body["constraints"], p("/constraints"), &v); len(v) > 0 {
		return v
	}
	ports, hasPorts := intList(body["ports"])
	if hasPorts && !uniqueNonZero(ports) {
		// uniquePorts, Formats.scala:194-197, line 1039.
		v.add(p("/ports"), "Ports must be unique.")
	}
	readStringMap(body["labels"], p("/labels"), &v)
	if raw, ok := body["acceptedResourceRoles"]; ok && !isNull(raw) {
		var roles []string
		if json.Unmarshal(raw, &roles) == nil && len(roles) == 0 {
			// readNullable[Set[String]](nonEmpty), Formats.scala:199-200, 1044.
			v.add(p("/acceptedResourceRoles"), "set must not be empty")
		}
	}
	if len(v) > 0 {
		return v
	}
	// The filters on ExtraFields (Formats.scala:1054-1064) fail the object
	// itself: their JsPath is the root, written as "" (prefix in a group).
	pdPorts, hasPDs := portDefinitionPorts(body["portDefinitions"])
	switch {
	case nonEmptyList(body["uris"]) && nonEmptyList(body["fetch"]):
		v.add(prefix, "You cannot specify both uris and fetch fields")
	case !isNull(body["ipAddress"]) && (len(ports) > 0 || len(pdPorts) > 0):
		v.add(prefix, "You cannot specify both an IP address and ports")
	case hasPorts && hasPDs && !equalInts(ports, pdPorts):
		v.add(prefix, "You cannot specify both ports and port definitions")
	}
	return v
}

// readConstraints applies ConstraintFormat to every element.
func readConstraints(raw json.RawMessage, path string, v *violations) {
	if isNull(raw) {
		return
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		v.add(path, "error.expected.jsarray")
		return
	}
	for i, item := range items {
		var seq []string
		ip := fmt.Sprintf("%s(%d)", path, i)
		switch {
		case json.Unmarshal(item, &seq) != nil || len(seq) < 2 || len(seq) > 3:
			v.add(ip, constraintShapeError)
		case !contains(constraintOperators, seq[1]):
			v.add(ip, constraintOperatorError)
		}
	}
}

// readEnv applies EnvVarValueFormat (Formats.scala:951-966 at v1.4.13): a
// value that is not a string is read with json.as[EnvVarSecretRef], which
// throws its own JsResultException from inside the app's reader, so the
// error's path is relative to the value ("/secret"), not the body's.
func readEnv(raw json.RawMessage, v *violations) {
	if isNull(raw) {
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return // Go's decoder reports the type error
	}
	for _, val := range m {
		b := bytes.TrimSpace(val)
		if len(b) > 0 && b[0] == '"' {
			continue
		}
		var ref map[string]json.RawMessage
		if json.Unmarshal(b, &ref) != nil {
			v.add("/secret", "error.path.missing")
			return
		}
		sec, ok := ref["secret"]
		if !ok {
			v.add("/secret", "error.path.missing")
			return
		}
		if s := bytes.TrimSpace(sec); len(s) == 0 || s[0] != '"' {
			v.add("/secret", "error.expected.jsstring")
			return
		}
	}
}

// readStringMap applies Reads[Map[String, String]]: every value a string.
func readStringMap(raw json.RawMessage, path string, v *violations) {
	if isNull(raw) {
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		v.add(path, "error.expected.jsobject")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b := bytes.TrimSpace(m[k]); len(b) == 0 || b[0] != '"' {
			v.add(path+"/"+k, "error.expected.jsstring")
		}
	}
}

func intList(raw json.RawMessage) ([]int, bool) {
	if isNull(raw) {
		return nil, false
	}
	var out []int
	if json.Unmarshal(raw, &out) != nil {
		return nil, false
	}
	return out, true
}

func nonEmptyList(raw json.RawMessage) bool {
	var l []json.RawMessage
	return !isNull(raw) && json.Unmarshal(raw, &l) == nil && len(l) > 0
}

func portDefinitionPorts(raw json.RawMessage) ([]int, bool) {
	if isNull(raw) {
		return nil, false
	}
	var pds []struct {
		Port int `json:"port"`
	}
	if json.Unmarshal(raw, &pds) != nil {
		return nil, false
	}
	out := make([]int, len(pds))
	for i, pd := range pds {
		out[i] = pd.Port
	}
	return out, true
}

func uniqueNonZero(ports []int) bool {
	seen := map[int]bool{}
	for _, p := range ports {
		if p != 0 && seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// invalidJSON is the 400 body of a JsResultException.
func (v violations) invalidJSON() *apiError {
	if len(v) == 0 {
		return nil
	}
	return &apiError{status: 400, body: map[string]any{"message": "Invalid JSON", "details": []violation(v)}}
}
