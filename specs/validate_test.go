package specs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// group wraps app and environment YAML into a ServiceGroup document; the apps
// start at line 9, the environments at line 7.
func group(envs, apps string) string {
	return `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata:
  name: web
  parent: /services
spec:
  environments:` + envs + `
  apps:` + apps
}

const prodAMS = `
    production: {clusters: [ams]}`

// clusterFRA is a Cluster whose load balancers serve the realms and groups
// internal and external.
const clusterFRA = `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: fra}
spec:
  marathon: {urls: ["http://m1.fra:8080"]}
  loadBalancers: {nixyRealms: [internal, external], haproxyGroups: [internal, external]}
`

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "valid",
			files: map[string]string{"g.yaml": group(prodAMS, "\n    app: {cmd: run}\n")},
		},
		{
			name: "unknown field with suggestion",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app: {cmd: run, cpu: 2}
`)},
			want: []string{`g.yaml:10:21: spec.apps.app: unknown field "cpu"; did you mean "cpus"?`},
		},
		{
			name: "wrong types",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app:
      cmd: [run]
      instances: "3"
      cpus: fast
      requirePorts: yes
`)},
			want: []string{
				"g.yaml:11:12: spec.apps.app.cmd: must be a string, got a list",
				"g.yaml:12:18: spec.apps.app.instances: must be an integer, got a string",
				"g.yaml:13:13: spec.apps.app.cpus: must be a number, got a string",
				"g.yaml:14:21: spec.apps.app.requirePorts: must be a boolean (true or false), got a string",
			},
		},
		{
			name: "labels must be strings",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app: {cmd: run, labels: {PORT: 8080, ENABLED: true}}
`)},
			want: []string{
				`g.yaml:10:36: spec.apps.app.labels.PORT: must be a string, got an integer; quote it: "8080"`,
				`g.yaml:10:51: spec.apps.app.labels.ENABLED: must be a string, got a boolean; quote it: "true"`,
			},
		},
		{
			name: "duplicate keys",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app:
      cmd: run
      cmd: walk
`)},
			want: []string{`g.yaml:12:7: spec.apps.app: duplicate key "cmd" (first at line 11)`},
		},
		{
			name:  "missing required fields",
			files: map[string]string{"g.yaml": "apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {parent: /x}\nspec: {}\n"},
			want: []string{
				`g.yaml:3:11: metadata: missing required field "name"`,
				`g.yaml:4:7: spec: missing required field "apps"`,
				`g.yaml:4:7: spec: missing required field "environments"`,
			},
		},
		{
			name:  "unknown kind and apiVersion",
			files: map[string]string{"a.yaml": "apiVersion: v1\nkind: Pod\n", "b.yaml": "apiVersion: v2\nkind: Cluster\nmetadata: {name: x}\nspec: {marathon: {urls: [http://m:8080]}}\n"},
			want: []string{
				`a.yaml:2:7: kind: unknown kind "Pod"; want Cluster or ServiceGroup`,
				`b.yaml:1:13: apiVersion: must be one of pacer.dev/v1, got "v2"`,
			},
		},
		{
			name: "bad ids",
			files: map[string]string{"g.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: Web_1, parent: services/}
spec:
  environments:
    -prod: {clusters: [ams]}
  apps:
    App: {cmd: run}
`},
			want: []string{
				`g.yaml:3:18: metadata.name: must be lowercase letters, digits and dashes, not starting or ending with a dash (^[a-z0-9]([a-z0-9-]*[a-z0-9])?$), got "Web_1"`,
				`g.yaml:3:33: metadata.parent: must be an absolute path starting with /, got "services/"`,
				`g.yaml:6:5: spec.environments.-prod: environment name must be lowercase letters, digits and dashes, not starting or ending with a dash (^[a-z0-9]([a-z0-9-]*[a-z0-9])?$), got "-prod"`,
				`g.yaml:8:5: spec.apps.App: app name must be lowercase letters, digits and dashes, not starting or ending with a dash (^[a-z0-9]([a-z0-9-]*[a-z0-9])?$), got "App"`,
			},
		},
		{
			name: "duplicate app ids across files",
			files: map[string]string{
				"a.yaml": group(prodAMS, "\n    app: {cmd: run}\n"),
				"b.yaml": group(prodAMS, "\n    app: {cmd: run}\n"),
			},
			want: []string{"b.yaml:4:9: metadata.name: service group /services/web is already defined at a.yaml:1:1"},
		},
		{
			name: "group and app id collision",
			files: map[string]string{
				"a.yaml": group(prodAMS, "\n    api: {cmd: run}\n"),
				"b.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: production, parent: /services/web}
spec:
  environments: {api: {clusters: [ams]}}
  apps: {worker: {cmd: run}}
`,
			},
			want: []string{"a.yaml:10:10: spec.apps.api: app id /services/web/production/api is also the id of a group holding other apps; Marathon does not allow both"},
		},
		{
			name: "unknown cluster and environment",
			files: map[string]string{"g.yaml": group(`
    production: {clusters: [ams, fra]}`, `
    app: {cmd: run, environments: {staging: {instances: 1}}}
`)},
			want: []string{
				`g.yaml:8:34: spec.environments.production.clusters[1]: unknown cluster "fra"; known: ams`,
				`g.yaml:10:36: spec.apps.app.environments: unknown environment "staging"; the group defines production`,
			},
		},
		{
			name: "resource ranges",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app: {cmd: run, instances: -1, cpus: 0, mem: 16, disk: -5}
    big: {cmd: run, instances: 20000, cpus: 512, mem: 2000000}
`)},
			want: []string{
				"g.yaml:10:32: spec.apps.app.instances: must be at least 0, got -1",
				"g.yaml:10:42: spec.apps.app.cpus: cpus must be greater than 0 and at most 128, got 0",
				"g.yaml:10:50: spec.apps.app.mem: mem must be between 32 and 1048576 MiB, got 16",
				"g.yaml:10:60: spec.apps.app.disk: must be at least 0, got -5",
				"g.yaml:11:32: spec.apps.big.instances: must be at most 10000, got 20000",
				"g.yaml:11:45: spec.apps.big.cpus: cpus must be greater than 0 and at most 128, got 512",
				"g.yaml:11:55: spec.apps.big.mem: mem must be between 32 and 1048576 MiB, got 2000000",
			},
		},
		{
			name: "health check port index",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app:
      container: {type: DOCKER, docker: {image: "x:1", network: BRIDGE, portMappings: [{containerPort: 80}]}}
      healthChecks: [{protocol: HTTP, portIndex: 1}, {protocol: COMMAND, command: {value: "true"}}]
    host:
      cmd: run
      portDefinitions: [{port: 0}, {port: 0}]
      healthChecks: [{portIndex: 2}]
      environments:
        production: {portDefinitions: []}
`)},
			want: []string{
				"g.yaml:12:50: spec.apps.app.healthChecks[0].portIndex: health check portIndex 1 is out of range: the app has 1 port(s) (container.docker.portMappings)",
				"g.yaml:16:34: spec.apps.host.healthChecks[0].portIndex: health check portIndex 2 is out of range: the app has 0 port(s) (portDefinitions)",
			},
		},
		{
			name: "dependencies missing and cyclic",
			files: map[string]string{"g.yaml": group(prodAMS, `
    a: {cmd: run, dependencies: [b, ghost]}
    b: {cmd: run, dependencies: [/services/web/production/c]}
    c: {cmd: run, dependencies: [../production/a]}
`)},
			want: []string{
				"g.yaml:10:34: spec.apps.a.dependencies[0]: dependency cycle: /services/web/production/a -> /services/web/production/b -> /services/web/production/c -> /services/web/production/a",
				"g.yaml:10:37: spec.apps.a.dependencies[1]: dependency /services/web/production/ghost is not an app in the specs",
			},
		},
		{
			name: "dependency not deployed to the same clusters",
			files: map[string]string{
				"fra.yaml": strings.ReplaceAll(clusterAMS, "ams", "fra"),
				"g.yaml": group(`
    production: {clusters: [ams, fra]}
    test: {clusters: [ams]}`, `
    app: {cmd: run, dependencies: [../test/db], environments: {test: {dependencies: []}}}
    db: {cmd: run}
`)},
			want: []string{"g.yaml:11:36: spec.apps.app.dependencies[0]: dependency /services/web/test/db is not deployed to cluster fra"},
		},
		{
			name: "cluster without marathon urls",
			files: map[string]string{"c.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: zrh}
spec: {loadBalancers: {nixyRealms: [internal]}}
---
apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: fra}
spec: {marathon: {urls: []}}
---
apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ber}
spec: {marathon: {urls: ["marathon:8080"]}}
`},
			want: []string{
				`c.yaml:4:7: spec: missing required field "marathon"`,
				"c.yaml:9:25: spec.marathon.urls: must not be empty",
				`c.yaml:14:26: spec.marathon.urls[0]: must be an http or https URL such as http://marathon.example:8080, got "marathon:8080"`,
			},
		},
		{
			name: "inline routing key refused",
			files: map[string]string{"g.yaml": group(`
    production:
      clusters: [ams]
      alerting: {urgency: high, routingKey: R0UT1NGK3Y, for: {Unhealthy: soon, Flapping: 5m}}`, `
    app: {cmd: run}
`)},
			want: []string{
				"g.yaml:10:45: spec.environments.production.alerting.routingKey: routing keys are secrets and must not be written in specs; use {fromEnv: VAR} or {fromFile: path}",
				`g.yaml:10:74: spec.environments.production.alerting.for.Unhealthy: must be a positive duration such as 5m or 1h30m, got "soon"`,
				`g.yaml:10:80: spec.environments.production.alerting.for: unknown alert condition "Flapping"; want one of CrashLooping, DeploymentStuck, OutOfSync, SyncFailed, Underprovisioned, Unhealthy`,
			},
		},
		{
			name: "app needs a command and reserved labels",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app: {instances: 1, labels: {pacer.dev/source: x, pacer.dev/protect: "yes"}}
`)},
			want: []string{
				"g.yaml:10:10: spec.apps.app: an app needs cmd, args or a container with an image (container.docker)",
				`g.yaml:10:52: spec.apps.app.labels.pacer.dev/source: label "pacer.dev/source" is reserved: pacer sets pacer.dev/* labels itself (only pacer.dev/protect may be set)`,
				`g.yaml:10:74: spec.apps.app.labels.pacer.dev/protect: label pacer.dev/protect must be "true" or "false", got "yes"`,
			},
		},
		{
			name: "load balancer labels the cluster does not serve",
			files: map[string]string{
				"fra.yaml": clusterFRA,
				"g.yaml": group(`
    production: {clusters: [ams, fra]}`, `
    app: {cmd: run, labels: {HAPROXY_GROUP: "internal,extrenal", NIXY_REALM: intenral, HAPROXY_0_GROUP: "*"}}
    api: {cmd: run, labels: {HAPROXY_0_GROUP: public, NIXY_REALM: external, HAPROXY_0_ENABLED: "true"}}
`)},
			want: []string{
				`g.yaml:10:45: spec.apps.app.labels.HAPROXY_GROUP: HAPROXY_GROUP "extrenal": no load balancer of cluster fra serves HAProxy group "extrenal" (haproxyGroups: internal, external); did you mean "external"?`,
				`g.yaml:10:78: spec.apps.app.labels.NIXY_REALM: NIXY_REALM "intenral": no load balancer of cluster fra serves nixy realm "intenral" (nixyRealms: internal, external); did you mean "internal"?`,
				`g.yaml:11:47: spec.apps.api.labels.HAPROXY_0_GROUP: HAPROXY_0_GROUP "public": no load balancer of cluster fra serves HAProxy group "public" (haproxyGroups: internal, external)`,
			},
		},
		{
			name: "load balancer labels in an overlay and a cluster serving no group",
			files: map[string]string{
				"fra.yaml": clusterFRA,
				"zrh.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: zrh}
spec: {marathon: {urls: ["http://m1.zrh:8080"]}, loadBalancers: {haproxyGroups: []}}
`,
				"g.yaml": group(`
    production: {clusters: [zrh]}
    test: {clusters: [fra]}`, `
    app:
      cmd: run
      labels: {HAPROXY_GROUP: internal, NIXY_REALM: anything}
      environments:
        test: {labels: {NIXY_REALM: Internal}}
`)},
			want: []string{
				`g.yaml:13:31: spec.apps.app.labels.HAPROXY_GROUP: HAPROXY_GROUP "internal": no load balancer of cluster zrh serves it (its haproxyGroups list is empty)`,
				`g.yaml:15:37: spec.apps.app.environments.test.labels.NIXY_REALM: NIXY_REALM "Internal": no load balancer of cluster fra serves nixy realm "Internal" (nixyRealms: internal, external); did you mean "internal"?`,
			},
		},
		{
			name: "server-set fields refused",
			files: map[string]string{"g.yaml": group(prodAMS, `
    app: {cmd: run, id: /x, version: "2017"}
`)},
			want: []string{
				"g.yaml:10:21: spec.apps.app.id: the app id is derived from the ServiceGroup and the app's key; remove it",
				"g.yaml:10:29: spec.apps.app.version: version is set by Marathon; remove it",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"clusters.yaml": clusterAMS}
			for k, v := range tc.files {
				files[k] = v
			}
			got := problemLines(t, mapFS(files))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
