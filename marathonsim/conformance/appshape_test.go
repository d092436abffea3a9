package conformance

import "testing"

// The recorded app examples (app_list.json and everything built on it) are
// 0.x-era JSON; BEHAVIOUR.md §3 ("JSON field order when writing an app") and
// §6 (defaults) list what the 1.4.13 code writes. These patches turn the
// recorded app into the 1.4.13 shape; each gives its reason.
var appDefPatches = []patch{
	del("$.acceptedResourceRoles", "§3/§6: acceptedResourceRoles is not written when empty (the example shows null)"),
	set("$.gpus", 0, "§6: gpus (1.3/1.4 field) is always written, default 0"),
	set("$.fetch", []any{}, "§6: uris and fetch are both written (uris derived from fetch)"),
	set("$.portDefinitions", []any{map[string]any{"port": 0, "protocol": "tcp", "labels": map[string]any{}}},
		"§3/§6: portDefinitions is written next to ports; built from `ports`, they carry no name (only the "+
			"default portDefinitions of an app without ports is named \"default\")"),
	set("$.readinessChecks", []any{}, "§6: readinessChecks default []"),
	set("$.ipAddress", nil, "§3/§6: ipAddress is written, null by default"),
	set("$.residency", nil, "§3/§6: residency is written, null by default"),
	set("$.secrets", map[string]any{}, "§6: secrets default {}"),
	set("$.taskKillGracePeriodSeconds", nil, "§6: taskKillGracePeriodSeconds default null"),
	set("$.unreachableStrategy", map[string]any{"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
		"§6/§9: unreachableStrategy is written from 1.4 (0/0 in 1.4.9-1.4.13)"),
	set("$.killSelection", "YOUNGEST_FIRST", "§6/§9: killSelection is written from 1.4"),
}

// appFreeForm are the app fields whose keys are data.
var appFreeForm = []string{"env", "labels", "secrets"}

// freeForm prefixes the app's free-form fields with the app's path.
func freeForm(appPath string) []string {
	out := []string{appPath + ".portDefinitions[].labels"}
	for _, f := range appFreeForm {
		out = append(out, appPath+"."+f)
	}
	return out
}

// appInfoShape is an app of GET /v2/apps as 1.4.13 writes it: the app
// definition, versionInfo, counts and deployments.
func appInfoShape(t *testing.T) any {
	t.Helper()
	apps := recorded(t, examples+"app_list.json").(map[string]any)["apps"].([]any)
	return applyPatches(t, apps[0], appDefPatches)
}

// appDefShape is a stored app definition (groups, queue, versions): the
// AppInfo fields removed.
func appDefShape(t *testing.T) any {
	t.Helper()
	return applyPatches(t, appInfoShape(t), []patch{
		del("$.tasksStaged", "AppInfo only"), del("$.tasksRunning", "AppInfo only"),
		del("$.tasksHealthy", "AppInfo only"), del("$.tasksUnhealthy", "AppInfo only"),
		del("$.deployments", "AppInfo only"),
	})
}

// myApp is the app of app_list.json as a POST body.
func myApp(id string) map[string]any {
	return map[string]any{
		"id":          id,
		"cmd":         "env && sleep 60",
		"env":         map[string]any{"LD_LIBRARY_PATH": "/usr/local/lib/myLib"},
		"instances":   1,
		"cpus":        0.1,
		"mem":         5,
		"disk":        0,
		"constraints": []any{[]any{"hostname", "UNIQUE", ""}},
		"uris":        []any{"https://raw.github.com/mesosphere/marathon/master/README.md"},
		"ports":       []any{0, 0},
	}
}
