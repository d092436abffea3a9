package specs

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// The rules below are those of Marathon 1.4.13's app validator that a spec
// can break and the decoder's shapes do not already enforce; each cites the
// Marathon source it mirrors (paths under src/main/scala/mesosphere/marathon
// at tag v1.4.13). docs/validation.md lists them all.

// constraintOperators are Marathon 1.4's Constraint.Operator values
// (src/main/proto/marathon.proto:13-27; Formats.scala:926-935).
var constraintOperators = []string{"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER"}

// portNameRE is PortAssignment.PortNamePattern (state/PortAssignment.scala:22).
var portNameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// Labels Marathon itself interprets (state/AppDefinition.scala:561-581).
const (
	labelSingleInstance     = "MARATHON_SINGLE_INSTANCE_APP"
	labelMigrationVersion   = "DCOS_MIGRATION_API_VERSION"
	labelMigrationFramework = "DCOS_PACKAGE_FRAMEWORK_NAME"
	labelMigrationPath      = "DCOS_MIGRATION_API_PATH"
)

// marathonRules checks one merged app definition against Marathon's own
// validator.
func (v *validator) marathonRules(c appCtx, m map[string]any) {
	v.commandRules(c, m)
	v.constraintRules(c, m)
	v.portRules(c, m)
	v.containerRules(c, m)
	v.healthCheckRules(c, m)
	v.envSecretRules(c, m)
	v.residencyRules(c, m)
	v.readinessRules(c, m)
	v.miscRules(c, m)
}

func (v *validator) commandRules(c appCtx, m map[string]any) {
	cmd, hasCmd := m["cmd"].(string)
	args, hasArgs := m["args"].([]any)
	if hasCmd && cmd == "" {
		// Formats.scala:974 (Reads.minLength(1))
		v.report(c, []any{"cmd"}, "cmd must not be empty; remove it or give a command")
	}
	if hasCmd && hasArgs && len(args) > 0 {
		// AppDefinition.scala:548-559 (containsCmdArgsOrContainer)
		v.report(c, []any{"args"}, "cmd and args cannot both be set: Marathon runs cmd in a shell and args without one; keep one of them")
	}
}

func (v *validator) constraintRules(c appCtx, m map[string]any) {
	list, _ := m["constraints"].([]any)
	for i, raw := range list {
		parts := asStrings(raw)
		keys := []any{"constraints", i}
		if len(parts) < 2 || len(parts) > 3 {
			// Formats.scala:928-937
			v.report(c, keys, "a constraint is [field, operator] or [field, operator, value], got %d element(s)", len(parts))
			continue
		}
		op := parts[1]
		value, hasValue := "", len(parts) == 3
		if hasValue {
			value = parts[2]
		}
		opKeys := append(slices.Clone(keys), 1)
		valKeys := append(slices.Clone(keys), 2)
		switch op {
		case "UNIQUE":
			if value != "" {
				// AppDefinition.scala:610-615
				v.report(c, valKeys, "UNIQUE takes no value, got %q", value)
			}
		case "CLUSTER":
		case "GROUP_BY":
			if hasValue && !isJavaInt(value) {
				// AppDefinition.scala:618-626
				v.report(c, valKeys, "GROUP_BY takes no value or an integer (the minimum number of groups), got %q", value)
			}
		case "MAX_PER":
			if !isJavaInt(value) {
				// AppDefinition.scala:641-649
				v.report(c, constraintValueKeys(keys, valKeys, hasValue), "MAX_PER needs an integer value (the most tasks per %s), got %s", parts[0], describeValue(value, hasValue))
			}
		case "LIKE", "UNLIKE":
			if !hasValue {
				// AppDefinition.scala:638-640
				v.report(c, keys, "%s needs a regular expression value", op)
			} else if p := regexProblem(value); p != "" {
				// AppDefinition.scala:628-637
				v.report(c, valKeys, "%s value %q is not a valid regular expression: %s", op, value, p)
			}
		default:
			msg := fmt.Sprintf("unknown constraint operator %q; want one of %s", op, strings.Join(constraintOperators, ", "))
			if best := ClosestName(op, constraintOperators); best != "" {
				msg += fmt.Sprintf("; did you mean %q?", best)
			}
			// Formats.scala:930-935
			v.report(c, opKeys, "%s", msg)
		}
	}
}

func constraintValueKeys(keys, valKeys []any, hasValue bool) []any {
	if hasValue {
		return valKeys
	}
	return keys
}

func describeValue(value string, has bool) string {
	if !has {
		return "none"
	}
	return strconv.Quote(value)
}

// isJavaInt reports whether Java's String.toInt accepts s.
func isJavaInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

// regexProblem says why Java's Pattern.compile would refuse re, as far as
// Go's parser can tell: constructs RE2 lacks but Java has (lookaround,
// backreferences, possessive quantifiers) are not reported.
func regexProblem(re string) string {
	_, err := syntax.Parse(re, syntax.Perl)
	var se *syntax.Error
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &se):
		return err.Error()
	case se.Code == syntax.ErrInvalidPerlOp, se.Code == syntax.ErrInvalidRepeatOp, se.Code == syntax.ErrInvalidEscape:
		return "" // maybe Java-only syntax (lookaround, possessive, \p{javaX}): let Marathon judge
	}
	return string(se.Code)
}

// Mesos health checks, of which Marathon 1.4 allows one per app
// (AppDefinition.scala:658-664); COMMAND checks do not count.
var mesosHealthProtocols = []string{"MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"}

func (v *validator) healthCheckRules(c appCtx, m map[string]any) {
	checks, _ := m["healthChecks"].([]any)
	mesos := 0
	for i, raw := range checks {
		hc := asMap(raw)
		proto := asString(hc["protocol"])
		if slices.Contains(mesosHealthProtocols, proto) {
			mesos++
			if mesos == 2 {
				v.report(c, []any{"healthChecks", i, "protocol"}, "an app can have at most one Mesos health check (MESOS_HTTP, MESOS_HTTPS, MESOS_TCP)")
			}
		}
		proto = cmpOr(proto, "HTTP")
		for _, f := range sortedKeys(hc) {
			if !slices.Contains(healthCheckFields[proto], f) {
				v.report(c, []any{"healthChecks", i, f}, "%s has no effect on %s health checks: Marathon 1.4 does not read it (Formats.scala:760-811), so the app would not read back as written; remove it", f, proto)
			}
		}
		if proto == "COMMAND" {
			if hc["command"] == nil {
				// Formats.scala:800-804
				v.report(c, []any{"healthChecks", i}, "a COMMAND health check needs command: {value: ...}")
			}
			continue
		}
		if hc["port"] != nil && hc["portIndex"] != nil {
			// HealthCheck.scala:71-74
			v.report(c, []any{"healthChecks", i, "port"}, "a health check takes a port or a portIndex, not both")
		}
	}
}

// healthCheckFields are the fields Marathon 1.4 reads for each health check
// protocol (api/v2/json/Formats.scala:733-740 for the common ones, 760-811
// per protocol); it drops any other.
var healthCheckFields = func() map[string][]string {
	basic := []string{"protocol", "gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures"}
	with := func(extra ...string) []string { return append(slices.Clone(basic), extra...) }
	return map[string][]string{
		"HTTP":        with("portIndex", "port", "path", "ignoreHttp1xx"),
		"HTTPS":       with("portIndex", "port", "path", "ignoreHttp1xx"),
		"TCP":         with("portIndex", "port"),
		"MESOS_HTTP":  with("portIndex", "port", "path", "delaySeconds"),
		"MESOS_HTTPS": with("portIndex", "port", "path", "delaySeconds"),
		"MESOS_TCP":   with("portIndex", "port", "delaySeconds"),
		"COMMAND":     with("command", "delaySeconds"),
	}
}()

func (v *validator) envSecretRules(c appCtx, m map[string]any) {
	secrets := asMap(m["secrets"])
	for k, raw := range asMap(m["env"]) { // problems are sorted later
		if k == "" {
			// EnvVarValue.scala:55-58
			v.report(c, []any{"env"}, "an environment variable name must not be empty")
		}
		ref := asMap(raw)
		if ref == nil {
			continue
		}
		name := asString(ref["secret"])
		if _, ok := secrets[name]; !ok {
			// EnvVarValue.scala:81-88
			v.report(c, []any{"env", k, "secret"}, "env %s references an undefined secret named %q; define it under secrets%s", k, name, knownNames(secrets))
		}
	}
	for k, sec := range secrets {
		if asString(asMap(sec)["source"]) == "" {
			// Secret.scala:16-22
			v.report(c, []any{"secrets", k, "source"}, "secret %s needs a non-empty source", k)
		}
	}
}

func knownNames(m map[string]any) string {
	if len(m) == 0 {
		return " (none is defined)"
	}
	return " (defined: " + strings.Join(sortedKeys(m), ", ") + ")"
}

// portNames are the names readiness checks may refer to
// (AppDefinition.scala:362-370).
func portNames(m map[string]any) []string {
	docker, network := networkOf(m)
	var list []any
	switch {
	case network == "BRIDGE" || network == "USER":
		list, _ = docker["portMappings"].([]any)
	case m["ipAddress"] != nil:
		list, _ = asMap(asMap(m["ipAddress"])["discovery"])["ports"].([]any)
	default:
		if defs, ok := m["portDefinitions"].([]any); ok {
			list = defs
		} else if m["ports"] == nil {
			return []string{"default"} // AppDefinition.scala:455
		}
	}
	var names []string
	for _, raw := range list {
		if n := asString(asMap(raw)["name"]); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func (v *validator) readinessRules(c appCtx, m map[string]any) {
	checks, _ := m["readinessChecks"].([]any)
	if len(checks) > 1 {
		// AppDefinition.scala:583-586
		v.report(c, []any{"readinessChecks", 1}, "an app can have at most one readiness check, got %d", len(checks))
	}
	if len(checks) == 0 {
		return
	}
	names := portNames(m)
	for i, raw := range checks {
		rc := asMap(raw)
		keys := []any{"readinessChecks", i}
		// ReadinessCheck.scala:27-34 (defaults), 42-55 (rules)
		pn, ok := rc["portName"].(string)
		if !ok {
			pn = "http-api"
		}
		if !slices.Contains(names, pn) {
			k := keys
			if ok {
				k = append(slices.Clone(keys), "portName")
			}
			v.report(c, k, "readiness check portName %q names no port of the app (port names: %s)", pn, cmpOr(strings.Join(names, ", "), "none"))
		}
		interval, ok := rc["intervalSeconds"].(int64)
		if !ok {
			interval = 30
		}
		timeout, ok := rc["timeoutSeconds"].(int64)
		if !ok {
			timeout = 10
		}
		if timeout <= 0 || timeout >= interval {
			v.report(c, keys, "readiness check timeoutSeconds (%d) must be greater than 0 and less than intervalSeconds (%d)", timeout, interval)
		}
		if codes, ok := rc["httpStatusCodesForReady"].([]any); ok && len(codes) == 0 {
			v.report(c, append(keys, "httpStatusCodesForReady"), "httpStatusCodesForReady must not be empty")
		}
		for _, f := range []string{"name", "path", "portName"} {
			if s, ok := rc[f].(string); ok && s == "" {
				v.report(c, append(slices.Clone(keys), f), "readiness check %s must not be empty", f)
			}
		}
	}
}

// executorRE is AppDefinition's executor pattern, fully matched
// (state/AppDefinition.scala:679; Formats.scala:971).
var executorRE = regexp.MustCompile(`^(?://cmd|/?[^/]+(?:/[^/]+)*|)$`)

func (v *validator) miscRules(c appCtx, m map[string]any) {
	labels := asMap(m["labels"])
	if ex, ok := m["executor"].(string); ok && !executorRE.MatchString(ex) {
		v.report(c, []any{"executor"}, "executor must be empty, //cmd or a path without empty segments, got %q", ex)
	}
	v.discoveryRules(c, m)
	if len(asStrings(m["uris"])) > 0 {
		if f, _ := m["fetch"].([]any); len(f) > 0 {
			// Formats.scala:1054-1056
			v.report(c, []any{"fetch"}, "uris and fetch cannot both be set; keep fetch")
		}
	}
	for i, u := range asStrings(m["storeUrls"]) {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" {
			// Validation.scala:137-148 (java.net.URL)
			v.report(c, []any{"storeUrls", i}, "storeUrls entry %q is not a URL with a scheme", u)
		}
	}
	for i, role := range asStrings(m["acceptedResourceRoles"]) {
		if p := roleProblem(role); p != "" {
			// ResourceRole.scala:23-45
			v.report(c, []any{"acceptedResourceRoles", i}, "Mesos role %q: %s", role, p)
		}
	}
	if us := asMap(m["unreachableStrategy"]); us != nil {
		in, okIn := us["inactiveAfterSeconds"].(float64)
		ex, okEx := us["expungeAfterSeconds"].(float64)
		if okIn && okEx && in > ex {
			// UnreachableStrategy.scala:37-40
			v.report(c, []any{"unreachableStrategy", "inactiveAfterSeconds"}, "unreachableStrategy.inactiveAfterSeconds (%s) must not exceed expungeAfterSeconds (%s)", formatNum(in), formatNum(ex))
		}
	}
	if asString(labels[labelSingleInstance]) == "true" {
		// AppDefinition.scala:578-591, UpgradeStrategy.scala:35-38
		if n, ok := m["instances"].(int64); ok && n > 1 {
			v.report(c, []any{"instances"}, "an app labelled %s=true may only have one instance, got %d", labelSingleInstance, n)
		}
		us := asMap(m["upgradeStrategy"])
		minHC, _ := us["minimumHealthCapacity"].(float64)
		maxOC, _ := us["maximumOverCapacity"].(float64)
		if us == nil || minHC != 0 || maxOC != 0 {
			v.report(c, []any{"upgradeStrategy"}, "an app labelled %s=true needs upgradeStrategy {minimumHealthCapacity: 0, maximumOverCapacity: 0}", labelSingleInstance)
		}
	}
	if ver, ok := labels[labelMigrationVersion].(string); ok && ver != "" {
		// AppDefinition.scala:561-576
		if ver != "v1" || asString(labels[labelMigrationFramework]) == "" || asString(labels[labelMigrationPath]) == "" {
			v.report(c, []any{"labels", labelMigrationVersion}, "%s must be \"v1\" and needs the labels %s and %s", labelMigrationVersion, labelMigrationFramework, labelMigrationPath)
		}
	}
}

// roleProblem applies ResourceRole.validResourceRole.
func roleProblem(role string) string {
	switch {
	case role == "", role == ".", role == "..":
		return "a role name must not be empty, \".\" or \"..\""
	case strings.HasPrefix(role, "-"):
		return "a role name must not start with '-'"
	case strings.ContainsAny(role, "\t\n\v\f\r /\x7f"):
		return "a role name must not contain whitespace, '/' or DEL"
	}
	return ""
}

func asSlice(v any) []any { l, _ := v.([]any); return l }
