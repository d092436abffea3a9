package specs

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checksGroup has a checks app, an app with a named port and the checks of
// every kind; test overrides the exec check.
const checksGroup = `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: autofill, parent: /services}
spec:
  environments:
    production: {clusters: [ams], alerting: {urgency: high, routingKey: {fromEnv: PD_PROD}}}
    test: {clusters: [ams], alerting: {urgency: low, routingKey: {fromEnv: PD_TEST}}}
  apps:
    app: {cmd: run, portDefinitions: [{port: 0, name: http}]}
    checks: {cmd: pacer agent, env: {A: b}}
  checks:
    afquery:
      exec: {app: checks, command: [/usr/lib/nagios/plugins/check_tcp, -H, localhost, -p, "80"], timeout: 3s}
      interval: 30s
      for: 3
      clearFor: 2
      tip: afquery fails; look at the app's logs
      runbook: https://wiki.example/autofill
      environments:
        test: {page: false, interval: 5m}
    app-http:
      http: {app: app, portName: http, path: /health, expect: {status: [200], body: OK}, failing: {critical: "50%"}}
    mongo:
      tcp: {app: app, portIndex: 0, timeout: 1s, failing: {warning: "1", critical: "2"}}
      environments:
        test: {enabled: false}
    errors:
      prometheus: {url: "http://prom:9090", query: "sum(rate(errors[5m]))", warning: 1, critical: 5, noData: ok}
`

func TestChecksRender(t *testing.T) {
	set, err := Load(mapFS(map[string]string{"clusters.yaml": clusterAMS, "autofill.yaml": checksGroup}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := set.Checks("ams", "test")
	if err != nil {
		t.Fatal(err)
	}
	src := func(line, col int) Source { return Source{File: "autofill.yaml", Line: line, Col: col} }
	fifty := Threshold{Percent: 50, Share: true}
	warn, crit := 1.0, 5.0
	want := []Check{
		{ID: "/services/autofill/test:afquery", Name: "afquery", Kind: CheckExec, ServiceGroup: "/services/autofill",
			Environment: "test", Group: "/services/autofill/test", Cluster: "ams", Urgency: "low",
			Settings: CheckSettings{Enabled: true, Page: false, Interval: 5 * time.Minute, For: 3, ClearFor: 2},
			Tip:      "afquery fails; look at the app's logs", Runbook: "https://wiki.example/autofill",
			Exec: &ExecCheck{App: "/services/autofill/test/checks", Command: []string{"/usr/lib/nagios/plugins/check_tcp", "-H", "localhost", "-p", "80"},
				Timeout: 3 * time.Second, Tasks: TasksOne},
			Source: src(12, 5)},
		{ID: "/services/autofill/test:app-http", Name: "app-http", Kind: CheckHTTP, ServiceGroup: "/services/autofill",
			Environment: "test", Group: "/services/autofill/test", Cluster: "ams", Urgency: "low",
			Settings: CheckSettings{Enabled: true, Page: true, Interval: DefaultCheckInterval, For: 1, ClearFor: 1},
			Probe: &Probe{App: "/services/autofill/test/app", PortName: "http", Timeout: DefaultProbeTimeout, Critical: fifty,
				Scheme: "http", Path: "/health", ExpectStatus: []int{200}, ExpectBody: "OK"},
			Source: src(21, 5)},
		{ID: "/services/autofill/test:errors", Name: "errors", Kind: CheckPrometheus, ServiceGroup: "/services/autofill",
			Environment: "test", Group: "/services/autofill/test", Cluster: "ams", Urgency: "low",
			Settings: CheckSettings{Enabled: true, Page: true, Interval: DefaultCheckInterval, For: 1, ClearFor: 1},
			Query: &PrometheusQuery{URL: "http://prom:9090", Query: "sum(rate(errors[5m]))", Warning: &warn, Critical: &crit,
				NoData: NoDataOK, Timeout: DefaultQueryTimeout},
			Source: src(27, 5)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Checks(ams, test) (-want +got):\n%s", diff)
	}
	prod, err := set.Checks("ams", "production")
	if err != nil {
		t.Fatal(err)
	}
	if len(prod) != 4 || prod[0].Settings.Interval != 30*time.Second || !prod[0].Settings.Page {
		t.Errorf("production keeps the check's own settings and the tcp check, got %+v", prod)
	}
	if p := prod[3].Probe; prod[3].Name != "mongo" || p.Warning != (Threshold{Count: 1}) || p.Critical != (Threshold{Count: 2}) {
		t.Errorf("mongo thresholds = %+v", prod[3])
	}
}

// TestChecksAgentEnv: the app running exec checks carries them and their
// hash in its env, so a change of checks is a change of the app; other apps
// do not.
func TestChecksAgentEnv(t *testing.T) {
	render := func(group string) map[string]map[string]any {
		t.Helper()
		set, err := Load(mapFS(map[string]string{"clusters.yaml": clusterAMS, "autofill.yaml": group}))
		if err != nil {
			t.Fatal(err)
		}
		apps, err := set.Render("ams", "test")
		if err != nil {
			t.Fatal(err)
		}
		envs := map[string]map[string]any{}
		for _, a := range apps {
			if shown := slices.Contains(a.ShowEnv, EnvAgentChecks); shown != strings.HasSuffix(a.ID, "/checks") {
				t.Errorf("%s: plans may print %s: %t", a.ID, EnvAgentChecks, shown)
			}
			var def struct{ Env map[string]any }
			if err := json.Unmarshal(a.Definition, &def); err != nil {
				t.Fatal(err)
			}
			envs[a.ID] = def.Env
		}
		return envs
	}
	envs := render(checksGroup)
	agent := envs["/services/autofill/test/checks"]
	var list []Check
	if err := json.Unmarshal([]byte(agent[EnvAgentChecks].(string)), &list); err != nil {
		t.Fatalf("%s: %v", EnvAgentChecks, err)
	}
	if len(list) != 1 || list[0].ID != "/services/autofill/test:afquery" || list[0].Exec.Command[0] != "/usr/lib/nagios/plugins/check_tcp" {
		t.Errorf("agent checks = %+v", list)
	}
	if agent["A"] != "b" {
		t.Errorf("the app's own env is kept, got %v", agent)
	}
	if _, ok := envs["/services/autofill/test/app"][EnvAgentChecks]; ok {
		t.Errorf("an app without exec checks got %s", EnvAgentChecks)
	}
	changed := render(replaceOnce(t, checksGroup, `"80"]`, `"81"]`))
	if agent[EnvAgentChecksHash] == changed["/services/autofill/test/checks"][EnvAgentChecksHash] {
		t.Errorf("changing a check's command leaves %s unchanged", EnvAgentChecksHash)
	}
	// What only the leader reads does not redeploy the agent: the tip, a
	// comment line above the check (its source position), paging.
	leaderOnly := replaceOnce(t, checksGroup, "look at the app's logs", "see the dashboard")
	leaderOnly = replaceOnce(t, leaderOnly, "  checks:\n", "  # the checks\n  checks:\n")
	leaderOnly = replaceOnce(t, leaderOnly, "test: {page: false, interval: 5m}", "test: {page: true, interval: 5m}")
	if got := render(leaderOnly)["/services/autofill/test/checks"][EnvAgentChecksHash]; got != agent[EnvAgentChecksHash] {
		t.Errorf("editing the tip, the lines above the check or paging changed %s", EnvAgentChecksHash)
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	i := strings.Index(s, old)
	if i < 0 {
		t.Fatalf("%q not in the spec", old)
	}
	return s[:i] + new + s[i+len(old):]
}

// checkGroup is a ServiceGroup whose spec.checks is checks (written at line
// 10 of g.yaml, indented by 4).
func checkGroup(checks string) string {
	return `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
  apps:
    app: {cmd: run, portDefinitions: [{port: 0, name: http}]}
  checks:
    ` + checks + "\n"
}

func TestBadCheckSpecs(t *testing.T) {
	tests := []struct {
		name, check string
		want        []string
	}{
		{"no kind", `c: {interval: 1m}`,
			[]string{"g.yaml:10:8: spec.checks.c: a check needs exactly one of exec, http, tcp or prometheus"}},
		{"two kinds", `c: {tcp: {app: app}, http: {app: app}}`,
			[]string{"g.yaml:10:9: spec.checks.c: a check has exactly one of exec, http, tcp or prometheus, got http and tcp"}},
		{"shell string command", `c: {exec: {app: app, command: "check_tcp -H x"}}`,
			[]string{`g.yaml:10:35: spec.checks.c.exec.command: must be a list, got a string`}},
		{"empty argv", `c: {exec: {app: app, command: []}}`,
			[]string{"g.yaml:10:35: spec.checks.c.exec.command: must not be empty"}},
		{"unknown app", `c: {exec: {app: chekcs, command: [/bin/true]}}`,
			[]string{`g.yaml:10:21: spec.checks.c.exec.app: unknown app "chekcs"; the group's apps are app`}},
		{"bad interval", `c: {tcp: {app: app}, interval: 30}`,
			[]string{`g.yaml:10:36: spec.checks.c.interval: must be a string, got an integer; quote it: "30"`}},
		{"zero duration", `c: {tcp: {app: app, timeout: 0s}}`,
			[]string{`g.yaml:10:34: spec.checks.c.tcp.timeout: must be a positive duration such as 30s or 5m, got "0s"`}},
		{"for below 1", `c: {tcp: {app: app}, for: 0}`,
			[]string{"g.yaml:10:31: spec.checks.c.for: must be at least 1, got 0"}},
		{"bad threshold", `c: {tcp: {app: app, failing: {critical: "half"}}}`,
			[]string{`g.yaml:10:45: spec.checks.c.tcp.failing.critical: must be a number of tasks such as 2 or a share such as 50%, got "half"`}},
		{"unknown port name", `c: {http: {app: app, portName: admin}}`,
			[]string{`g.yaml:10:36: spec.checks.c.http.portName: app app has no port named "admin" in its portMappings or portDefinitions`}},
		{"port index and name", `c: {http: {app: app, portIndex: 0, portName: http}}`,
			[]string{"g.yaml:10:50: spec.checks.c.http.portName: set portIndex or portName, not both"}},
		{"http without app or url", `c: {http: {path: /health}}`,
			[]string{"g.yaml:10:15: spec.checks.c.http: an http check needs app (probe its tasks) or url"}},
		{"http with app and url", `c: {http: {app: app, url: "http://web.example/health"}}`,
			[]string{"g.yaml:10:31: spec.checks.c.http.url: set app or url, not both"}},
		{"http url with a path", `c: {http: {url: "http://web.example", path: /health}}`,
			[]string{"g.yaml:10:49: spec.checks.c.http.path: path has no effect with url; write it into the url"}},
		{"relative http path", `c: {http: {app: app, path: health}}`,
			[]string{`g.yaml:10:32: spec.checks.c.http.path: must start with /, got "health"`}},
		{"unknown override environment", `c: {tcp: {app: app}, environments: {prod: {page: false}}}`,
			[]string{`g.yaml:10:41: spec.checks.c.environments: unknown environment "prod"; the group's environments are production`}},
		{"prometheus without thresholds", `c: {prometheus: {url: "http://p:9090", query: up}}`,
			[]string{"g.yaml:10:21: spec.checks.c.prometheus: a prometheus check needs warning, critical or both"}},
		{"prometheus thresholds out of order", `c: {prometheus: {url: "http://p:9090", query: up, warning: 5, critical: 1}}`,
			[]string{"g.yaml:10:64: spec.checks.c.prometheus.warning: the warning threshold must come before the critical one (warning 5, critical 1, below: false)"}},
		{"bad noData", `c: {prometheus: {url: "http://p:9090", query: up, critical: 1, noData: zero}}`,
			[]string{`g.yaml:10:76: spec.checks.c.prometheus.noData: must be one of ok, warning, critical, unknown, got "zero"`}},
		{"misspelt field", `c: {tcp: {app: app}, clear_for: 2}`,
			[]string{`g.yaml:10:26: spec.checks.c: unknown field "clear_for"; did you mean "clearFor"?`}},
		{"check name with a capital", `Afquery: {tcp: {app: app}}`,
			[]string{`g.yaml:10:5: spec.checks.Afquery: check name must be lowercase letters, digits and dashes, not starting or ending with a dash (^[a-z0-9]([a-z0-9-]*[a-z0-9])?$), got "Afquery"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problemLines(t, mapFS(map[string]string{"clusters.yaml": clusterAMS, "g.yaml": checkGroup(tc.check)}))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChecksRenderURLProbe(t *testing.T) {
	group := checkGroup(`vhost: {http: {url: "http://web.example.com/health", expect: {body: OK}}}`)
	set, err := Load(mapFS(map[string]string{"clusters.yaml": clusterAMS, "g.yaml": group}))
	if err != nil {
		t.Fatal(err)
	}
	list, err := set.Checks("ams", "production")
	if err != nil || len(list) != 1 {
		t.Fatalf("Checks = %+v, %v", list, err)
	}
	if p := list[0].Probe; p.URL != "http://web.example.com/health" || p.App != "" || list[0].App() != "" || p.ExpectBody != "OK" {
		t.Errorf("url probe rendered as %+v", p)
	}
}
