package reconciler

import (
	"encoding/json"
	"sort"
	"strings"
)

// Normalization turns an app definition, desired or live, into a canonical
// tree of map[string]any / []any / float64 / string / bool that two
// equivalent definitions share exactly:
//
//   - server-set fields are dropped (version, versionInfo, tasks, counts,
//     deployments, lastTaskFailure, taskStats, readinessCheckResults);
//   - the defaults Marathon 1.4.13 fills in (BEHAVIOUR.md §6) are filled in,
//     on both sides, so writing a default explicitly or leaving it out is the
//     same; health checks, readiness checks, port definitions, port mappings,
//     fetch entries and upgradeStrategy get their own defaults;
//   - legacy forms are folded into one: ports into portDefinitions, uris into
//     fetch;
//   - sets are sorted (constraints, acceptedResourceRoles, dependencies,
//     healthChecks, which Marathon stores as a set);
//   - null, empty lists and empty maps are removed, so nil and empty are alike;
//   - numbers become float64, so 1 and 1.0 are equal;
//   - volatile ownership labels (source, revision) are removed.
//
// Live definitions are also normalized against the desired one: service
// ports Marathon assigned where the desired definition asked for port 0 are
// reset to 0.

// serverFields are set by Marathon, never by the user.
var serverFields = []string{
	"version", "versionInfo", "tasks", "tasksStaged", "tasksRunning", "tasksHealthy",
	"tasksUnhealthy", "deployments", "lastTaskFailure", "taskStats",
	"readinessCheckResults", "readiness", "counts",
}

func isServerField(key string) bool {
	switch key {
	case "version", "versionInfo", "tasks", "tasksStaged", "tasksRunning", "tasksHealthy",
		"tasksUnhealthy", "deployments", "lastTaskFailure", "taskStats",
		"readinessCheckResults", "readiness", "counts":
		return true
	}
	return false
}

// topDefaults are Marathon 1.4.13's scalar defaults for an app.
var topDefaults = map[string]any{
	"instances":             1.0,
	"cpus":                  1.0,
	"mem":                   128.0,
	"disk":                  0.0,
	"gpus":                  0.0,
	"executor":              "",
	"requirePorts":          false,
	"backoffSeconds":        1.0,
	"backoffFactor":         1.15,
	"maxLaunchDelaySeconds": 3600.0,
	"killSelection":         "YOUNGEST_FIRST",
}

// healthCheckDefaults are the 1.4.13 code defaults (HealthCheck.scala), not
// the older documentation's.
var healthCheckDefaults = map[string]any{
	"protocol":               "HTTP",
	"gracePeriodSeconds":     300.0,
	"intervalSeconds":        60.0,
	"timeoutSeconds":         20.0,
	"maxConsecutiveFailures": 3.0,
	"delaySeconds":           15.0,
	"ignoreHttp1xx":          false,
}

var readinessCheckDefaults = map[string]any{
	"name":                    "readinessCheck",
	"protocol":                "HTTP",
	"path":                    "/",
	"portName":                "http-api",
	"intervalSeconds":         30.0,
	"timeoutSeconds":          10.0,
	"httpStatusCodesForReady": []any{200.0},
	"preserveLastResponse":    false,
}

// residencyDefaults are Residency.defaultResidency (state/Residency.scala:8-13).
var residencyDefaults = map[string]any{"relaunchEscalationTimeoutSeconds": 3600.0, "taskLostBehavior": "WAIT_FOREVER"}

var (
	portDefinitionDefaults = map[string]any{"port": 0.0, "protocol": "tcp"}
	fetchDefaults          = map[string]any{"extract": true, "executable": false, "cache": false}
)

// normalizeDesired returns the canonical form of a desired definition.
func normalizeDesired(def map[string]any) map[string]any {
	app := deepCopy(def).(map[string]any)
	normalizeApp(app)
	return app
}

// normalizeLive returns the canonical form of a live definition, reset
// against desired (which may be nil) where Marathon chose values itself.
func normalizeLive(live, desired map[string]any) map[string]any {
	return normalizeLiveInPlace(deepCopy(live).(map[string]any), hintsOf(desired))
}

// liveHints are the facts about a desired definition that normalizing its
// live counterpart needs: kept instead of the definition between passes.
type liveHints struct {
	// desired is false when there is no desired definition.
	desired bool
	// usesURIs: the desired app lists bare uris and no fetch.
	usesURIs bool
	// zeroPorts[i]: the desired port definition i asks for port 0 (any port).
	zeroPorts []bool
	// zeroServicePorts[i]: the desired port mapping i asks for service port 0.
	zeroServicePorts []bool
	// mappedPorts: the desired container lists port mappings, so the
	// app's ports are Marathon's business (see normalizePorts), even where
	// Marathon then drops the mappings (a HOST network).
	mappedPorts bool
}

func hintsOf(desired map[string]any) liveHints {
	if desired == nil {
		return liveHints{}
	}
	h := liveHints{desired: true, usesURIs: usesURIs(desired), mappedPorts: hasPortMappings(desired)}
	dDefs, _ := desired["portDefinitions"].([]any)
	if dDefs == nil {
		if ports, ok := desired["ports"].([]any); ok {
			for _, p := range ports {
				dDefs = append(dDefs, map[string]any{"port": p})
			}
		} else if isNull(desired["ipAddress"]) {
			dDefs = []any{map[string]any{}} // the default single port 0
		}
	}
	for _, d := range dDefs {
		dp, _ := d.(map[string]any)
		h.zeroPorts = append(h.zeroPorts, dp != nil && isZero(dp["port"]))
	}
	for _, d := range portMappings(desired) {
		dp, _ := d.(map[string]any)
		h.zeroServicePorts = append(h.zeroServicePorts, dp != nil && isZero(dp["servicePort"]))
	}
	return h
}

// normalizeLiveInPlace canonicalizes a live definition the caller owns.
func normalizeLiveInPlace(app map[string]any, h liveHints) map[string]any {
	// Both "ports" and "portDefinitions" are written by Marathon: compare
	// portDefinitions only.
	if _, ok := app["portDefinitions"]; ok {
		delete(app, "ports")
	}
	// Marathon writes uris derived from fetch; compare fetch only.
	if f, ok := app["fetch"].([]any); ok && len(f) > 0 {
		delete(app, "uris")
	}
	if h.usesURIs {
		// The desired app gave bare uris: the fetch options Marathon
		// derived for them (extract, executable, cache) are its choice.
		forEachObject(app["fetch"], func(f map[string]any) {
			for k := range f {
				if k != "uri" {
					delete(f, k)
				}
			}
		})
	}
	if h.desired {
		resetAssignedPorts(app, h)
	}
	normalizeAppPorts(app, h.mappedPorts)
	return app
}

// normalizeApp canonicalizes app in place.
func normalizeApp(app map[string]any) { normalizeAppPorts(app, false) }

// normalizeAppPorts canonicalizes app in place; mapped says that its ports
// come from port mappings even if it lists none itself (the live
// counterpart of a desired app that lists some).
func normalizeAppPorts(app map[string]any, mapped bool) {
	for _, f := range serverFields {
		delete(app, f)
	}
	toFloats(app)
	if id, ok := app["id"].(string); ok {
		app["id"] = canonicalID(id)
	}
	if !isNull(app["ipAddress"]) {
		// Not written for an IP-per-task app (api/v2/json/Formats.scala:1223-1240).
		delete(app, "requirePorts")
	}
	for k, v := range topDefaults {
		if isNull(app[k]) {
			app[k] = v
		}
	}
	// Marathon 1.4.13 gives an app with persistent volumes the default
	// residency, then the resident defaults of upgradeStrategy (also for
	// external volumes) and unreachableStrategy
	// (api/v2/json/Formats.scala:1023-1031, 1083; state/Residency.scala:8-13).
	persistent, external := volumeKinds(app)
	if persistent && isNull(app["residency"]) {
		app["residency"] = map[string]any{}
	}
	if r, ok := app["residency"].(map[string]any); ok {
		fillDefaults(r, residencyDefaults)
	}
	normalizeUpgradeStrategy(app, !isNull(app["residency"]) || external)
	if isNull(app["unreachableStrategy"]) {
		if persistent {
			app["unreachableStrategy"] = "disabled"
		} else {
			app["unreachableStrategy"] = map[string]any{"inactiveAfterSeconds": 0.0, "expungeAfterSeconds": 0.0}
		}
	}
	mapped = mapped || hasPortMappings(app)
	normalizeContainer(app)
	normalizePorts(app, mapped)
	normalizeFetch(app)
	normalizeHealthChecks(app)
	forEachObject(app["readinessChecks"], func(rc map[string]any) {
		fillDefaults(rc, readinessCheckDefaults)
		// A Set[Int] in Marathon (api/v2/json/Formats.scala:858): its order is not kept.
		codes, _ := rc["httpStatusCodesForReady"].([]any)
		sort.SliceStable(codes, func(i, j int) bool {
			a, _ := codes[i].(float64)
			b, _ := codes[j].(float64)
			return a < b
		})
	})
	normalizeConstraints(app)
	sortStrings(app, "acceptedResourceRoles")
	if _, ok := app["dependencies"].([]any); ok {
		id, _ := app["id"].(string)
		var deps []any
		for _, d := range dependencies(id, app) {
			deps = append(deps, d)
		}
		app["dependencies"] = deps
		sortStrings(app, "dependencies")
	}
	if labels, ok := app["labels"].(map[string]any); ok {
		for _, l := range volatileLabels {
			delete(labels, l)
		}
	}
	dropEmpty(app)
}

func normalizeUpgradeStrategy(app map[string]any, resident bool) {
	us, _ := app["upgradeStrategy"].(map[string]any)
	if us == nil {
		us = map[string]any{}
	}
	minHC, maxOC := 1.0, 1.0
	if resident {
		minHC, maxOC = 0.5, 0.0
	}
	fillDefaults(us, map[string]any{"minimumHealthCapacity": minHC, "maximumOverCapacity": maxOC})
	app["upgradeStrategy"] = us
}

// normalizePorts folds the legacy "ports" into portDefinitions and fills
// the default single port when the app asks for none.
//
// An app whose container has port mappings has no ports of its own in
// Marathon 1.4.13: its service ports are the mappings'
// (state/AppDefinition.scala:280-284, hostPorts and servicePorts use the
// portMappings whenever there are any), GroupManagerActor.scala:238-298
// (assignDynamicServicePorts) merges those service ports into whatever
// portDefinitions were given, padding them with random port definitions,
// and api/v2/json/Formats.scala:1224-1238 writes "ports" as the service
// ports and "portDefinitions" zipped with them, all tcp. So the
// portDefinitions and ports written back are Marathon's, derived from the
// mappings, whatever the app gave: they are dropped on both sides, or a
// spec giving both would be written again on every pass.
//
// mapped says whether the app, as given, lists port mappings.
func normalizePorts(app map[string]any, mapped bool) {
	if mapped {
		delete(app, "ports")
		delete(app, "portDefinitions")
		return
	}
	_, hasDefs := app["portDefinitions"]
	ports, hasPorts := app["ports"].([]any)
	delete(app, "ports")
	switch {
	case hasDefs && !isNull(app["portDefinitions"]):
	case hasPorts:
		defs := make([]any, 0, len(ports))
		for _, p := range ports {
			defs = append(defs, map[string]any{"port": p})
		}
		app["portDefinitions"] = defs
	case !isNull(app["ipAddress"]):
		delete(app, "portDefinitions")
	default:
		app["portDefinitions"] = []any{map[string]any{"port": 0.0, "protocol": "tcp", "name": "default"}}
	}
	forEachObject(app["portDefinitions"], func(pd map[string]any) {
		fillDefaults(pd, portDefinitionDefaults)
	})
}

// normalizeFetch folds uris into fetch entries with Marathon's defaults.
func normalizeFetch(app map[string]any) {
	uris, _ := app["uris"].([]any)
	delete(app, "uris")
	if f, ok := app["fetch"].([]any); (!ok || len(f) == 0) && len(uris) > 0 {
		fetch := make([]any, 0, len(uris))
		for _, u := range uris {
			s, _ := u.(string)
			fetch = append(fetch, map[string]any{"uri": s})
		}
		app["fetch"] = fetch
	}
	forEachObject(app["fetch"], func(f map[string]any) {
		fillDefaults(f, fetchDefaults)
	})
}

// usesURIs reports whether an app definition lists bare uris and no fetch.
func usesURIs(app map[string]any) bool {
	f, _ := app["fetch"].([]any)
	u, _ := app["uris"].([]any)
	return len(f) == 0 && len(u) > 0
}

func normalizeContainer(app map[string]any) {
	c, _ := app["container"].(map[string]any)
	if c == nil {
		return
	}
	fillDefaults(c, map[string]any{"type": "DOCKER"})
	forEachObject(c["volumes"], func(v map[string]any) {
		if p, ok := v["persistent"].(map[string]any); ok {
			// PersistentVolumeInfoReader, api/v2/json/Formats.scala:263-268.
			fillDefaults(p, map[string]any{"type": "root"})
		}
	})
	d, _ := c["docker"].(map[string]any)
	if d == nil {
		return
	}
	if c["type"] == "MESOS" {
		// A Docker image under the Mesos containerizer (MesosDocker):
		// Marathon 1.4.13 writes image, credential and forcePullImage
		// only and drops privileged (api/v2/json/Formats.scala:330-349,
		// 426-437; network, parameters and portMappings are refused).
		for k := range d {
			if k != "image" && k != "credential" && k != "forcePullImage" {
				delete(d, k)
			}
		}
		fillDefaults(d, map[string]any{"forcePullImage": false})
		return
	}
	fillDefaults(d, map[string]any{"privileged": false, "forcePullImage": false})
	bridge := d["network"] == "BRIDGE"
	if !bridge && d["network"] != "USER" {
		// Marathon 1.4.13 keeps port mappings only for a Docker container
		// in BRIDGE or USER mode and drops them otherwise
		// (state/Container.scala:47-69, Docker.withDefaultPortMappings).
		delete(d, "portMappings")
	}
	forEachObject(d["portMappings"], func(pm map[string]any) {
		fillDefaults(pm, map[string]any{"containerPort": 0.0, "protocol": "tcp", "servicePort": 0.0})
		if bridge {
			fillDefaults(pm, map[string]any{"hostPort": 0.0})
		}
	})
}

// healthCheckFields are the fields Marathon 1.4.13 reads and writes back
// for each health check protocol; it drops the others silently
// (api/v2/json/Formats.scala:733-855: TCP and HTTP checks have no
// delaySeconds, only HTTP and HTTPS have ignoreHttp1xx, COMMAND has no
// port, path only for the HTTP kinds).
var healthCheckFields = func() map[string]map[string]bool {
	set := func(groups ...[]string) map[string]bool {
		m := map[string]bool{}
		for _, g := range groups {
			for _, f := range g {
				m[f] = true
			}
		}
		return m
	}
	basic := []string{"protocol", "gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures"}
	ports := []string{"portIndex", "port"}
	return map[string]map[string]bool{
		"HTTP":        set(basic, ports, []string{"path", "ignoreHttp1xx"}),
		"HTTPS":       set(basic, ports, []string{"path", "ignoreHttp1xx"}),
		"TCP":         set(basic, ports),
		"COMMAND":     set(basic, []string{"delaySeconds", "command"}),
		"MESOS_TCP":   set(basic, ports, []string{"delaySeconds"}),
		"MESOS_HTTP":  set(basic, ports, []string{"path", "delaySeconds"}),
		"MESOS_HTTPS": set(basic, ports, []string{"path", "delaySeconds"}),
	}
}()

func normalizeHealthChecks(app map[string]any) {
	forEachObject(app["healthChecks"], func(hc map[string]any) {
		proto, _ := hc["protocol"].(string)
		if proto == "" {
			proto = "HTTP"
		}
		proto = strings.ToUpper(proto)
		hc["protocol"] = proto
		if fields := healthCheckFields[proto]; fields != nil {
			for k := range hc {
				if !fields[k] {
					delete(hc, k)
				}
			}
			for k, v := range healthCheckDefaults {
				if fields[k] && isNull(hc[k]) {
					hc[k] = v
				}
			}
		}
		switch proto {
		case "HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS":
			fillDefaults(hc, map[string]any{"path": "/"})
		}
		// Marathon adds portIndex 0 when neither port nor portIndex is given
		// (whether it does so for an app without ports varies; filling it
		// on both sides makes that moot).
		if proto != "COMMAND" && isNull(hc["port"]) && isNull(hc["portIndex"]) {
			hc["portIndex"] = 0.0
		}
	})
	sortByJSON(app, "healthChecks")
}

// normalizeConstraints drops an empty trailing value (["hostname","UNIQUE",""]
// is ["hostname","UNIQUE"]) and sorts the set.
func normalizeConstraints(app map[string]any) {
	cs, _ := app["constraints"].([]any)
	for i, c := range cs {
		if parts, ok := c.([]any); ok && len(parts) == 3 && (parts[2] == "" || parts[2] == nil) {
			cs[i] = parts[:2]
		}
	}
	sortByJSON(app, "constraints")
}

// resetAssignedPorts sets the service ports Marathon assigned back to 0
// wherever the desired definition asked for 0 (or left the port out).
func resetAssignedPorts(live map[string]any, h liveHints) {
	lDefs, _ := live["portDefinitions"].([]any)
	for i := range min(len(h.zeroPorts), len(lDefs)) {
		if lp, _ := lDefs[i].(map[string]any); lp != nil && h.zeroPorts[i] {
			lp["port"] = 0.0
		}
	}
	lPM := portMappings(live)
	for i := range min(len(h.zeroServicePorts), len(lPM)) {
		if lp, _ := lPM[i].(map[string]any); lp != nil && h.zeroServicePorts[i] {
			lp["servicePort"] = 0.0
		}
	}
}

func portMappings(app map[string]any) []any {
	c, _ := app["container"].(map[string]any)
	d, _ := c["docker"].(map[string]any)
	pm, _ := d["portMappings"].([]any)
	return pm
}

func hasPortMappings(app map[string]any) bool { return len(portMappings(app)) > 0 }

// volumeKinds reports whether an app has persistent and external volumes.
func volumeKinds(app map[string]any) (persistent, external bool) {
	if c, ok := app["container"].(map[string]any); ok {
		forEachObject(c["volumes"], func(v map[string]any) {
			persistent = persistent || !isNull(v["persistent"])
			external = external || !isNull(v["external"])
		})
	}
	return persistent, external
}

func fillDefaults(m map[string]any, defaults map[string]any) {
	for k, v := range defaults {
		if isNull(m[k]) {
			m[k] = deepCopy(v)
		}
	}
}

func forEachObject(v any, f func(map[string]any)) {
	list, _ := v.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			f(m)
		}
	}
}

func isNull(v any) bool { return v == nil }

func isZero(v any) bool {
	switch n := v.(type) {
	case nil:
		return true
	case float64:
		return n == 0
	case json.Number:
		f, err := n.Float64()
		return err == nil && f == 0
	}
	return false
}

// toFloats turns every json.Number in v into a float64, in place.
func toFloats(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = toFloats(e)
		}
	case []any:
		for i, e := range t {
			t[i] = toFloats(e)
		}
	}
	return v
}

// dropEmpty removes nulls, empty lists and empty maps, recursively.
func dropEmpty(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			e = dropEmpty(e)
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = e
		}
		if len(t) == 0 {
			return nil
		}
	case []any:
		for i, e := range t {
			// Keep positions in lists: an element never disappears.
			if d := dropEmpty(e); d != nil {
				t[i] = d
			} else if _, isMap := e.(map[string]any); isMap {
				t[i] = map[string]any{}
			}
		}
		if len(t) == 0 {
			return nil
		}
	}
	return v
}

func sortStrings(app map[string]any, key string) {
	list, _ := app[key].([]any)
	sort.SliceStable(list, func(i, j int) bool {
		a, _ := list[i].(string)
		b, _ := list[j].(string)
		return a < b
	})
}

func sortByJSON(app map[string]any, key string) {
	list, _ := app[key].([]any)
	if len(list) < 2 {
		return // nothing to order
	}
	keys := make([]string, len(list))
	for i, e := range list {
		b, _ := json.Marshal(dropEmpty(deepCopy(e)))
		keys[i] = string(b)
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([]any, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
	}
	copy(list, sorted)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
