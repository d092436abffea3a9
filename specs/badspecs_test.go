package specs

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// badSpec is one row of the "Bad specs" table of docs/reliability.md: an
// input and every line pacer validate prints for it. app is one line of
// spec.apps in the ServiceGroup of group(prodAMS, ...), at line 10; files
// replace that tree (next to clusters.yaml) when the input is not an app.
type badSpec struct {
	name  string
	app   string
	input string // shown instead of app when files are used
	files map[string]string
	want  []string
}

var badSpecs = []badSpec{
	// Marathon's app validator.
	{name: "cmd and args", app: `app: {cmd: run, args: [run]}`,
		want: []string{"g.yaml:10:27: spec.apps.app.args: cmd and args cannot both be set: Marathon runs cmd in a shell and args without one; keep one of them"}},
	{name: "empty cmd", app: `app: {cmd: ""}`,
		want: []string{"g.yaml:10:16: spec.apps.app.cmd: cmd must not be empty; remove it or give a command"}},
	{name: "nothing to run", app: `app: {container: {type: MESOS}}`,
		want: []string{"g.yaml:10:10: spec.apps.app: an app needs cmd, args or a container with an image (container.docker)"}},
	{name: "misspelt constraint operator", app: `app: {cmd: run, constraints: [[hostname, UNIQE]]}`,
		want: []string{`g.yaml:10:46: spec.apps.app.constraints[0][1]: unknown constraint operator "UNIQE"; want one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER; did you mean "UNIQUE"?`}},
	{name: "lower-case constraint operator", app: `app: {cmd: run, constraints: [[hostname, unique]]}`,
		want: []string{`g.yaml:10:46: spec.apps.app.constraints[0][1]: unknown constraint operator "unique"; want one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER; did you mean "UNIQUE"?`}},
	{name: "one-element constraint", app: `app: {cmd: run, constraints: [[hostname]]}`,
		want: []string{"g.yaml:10:35: spec.apps.app.constraints[0]: a constraint is [field, operator] or [field, operator, value], got 1 element(s)"}},
	{name: "four-element constraint", app: `app: {cmd: run, constraints: [[rack, GROUP_BY, "2", x]]}`,
		want: []string{"g.yaml:10:35: spec.apps.app.constraints[0]: a constraint is [field, operator] or [field, operator, value], got 4 element(s)"}},
	{name: "UNIQUE with a value", app: `app: {cmd: run, constraints: [[hostname, UNIQUE, "1"]]}`,
		want: []string{`g.yaml:10:54: spec.apps.app.constraints[0][2]: UNIQUE takes no value, got "1"`}},
	{name: "GROUP_BY not a number", app: `app: {cmd: run, constraints: [[rack, GROUP_BY, two]]}`,
		want: []string{`g.yaml:10:52: spec.apps.app.constraints[0][2]: GROUP_BY takes no value or an integer (the minimum number of groups), got "two"`}},
	{name: "MAX_PER without a value", app: `app: {cmd: run, constraints: [[rack, MAX_PER]]}`,
		want: []string{"g.yaml:10:35: spec.apps.app.constraints[0]: MAX_PER needs an integer value (the most tasks per rack), got none"}},
	{name: "LIKE without a value", app: `app: {cmd: run, constraints: [[rack, LIKE]]}`,
		want: []string{"g.yaml:10:35: spec.apps.app.constraints[0]: LIKE needs a regular expression value"}},
	{name: "UNLIKE with a bad regex", app: `app: {cmd: run, constraints: [[rack, UNLIKE, "rack-[1-"]]}`,
		want: []string{`g.yaml:10:50: spec.apps.app.constraints[0][2]: UNLIKE value "rack-[1-" is not a valid regular expression: missing closing ]`}},
	{name: "Java-only regex left to Marathon", app: `app: {cmd: run, constraints: [[rack, LIKE, "rack-(?!1)"]]}`,
		want: nil},
	{name: "app name longer than a DNS label", app: `app-` + strings.Repeat("x", 60) + `: {cmd: run}`,
		want: []string{"g.yaml:10:5: spec.apps.app-" + strings.Repeat("x", 60) + ": app name must be at most 63 characters (a DNS label), got 64"}},
	{name: "app name with a dot", app: `app.v2: {cmd: run}`,
		want: []string{`g.yaml:10:5: spec.apps.app.v2: app name must be lowercase letters, digits and dashes, not starting or ending with a dash (^[a-z0-9]([a-z0-9-]*[a-z0-9])?$), got "app.v2"`}},
	{name: "label value not a string", app: `app: {cmd: run, labels: {PORT: 8080}}`,
		want: []string{`g.yaml:10:36: spec.apps.app.labels.PORT: must be a string, got an integer; quote it: "8080"`}},
	{name: "negative instances", app: `app: {cmd: run, instances: -1}`,
		want: []string{"g.yaml:10:32: spec.apps.app.instances: must be at least 0, got -1"}},
	{name: "fractional backoffSeconds", app: `app: {cmd: run, backoffSeconds: 0.5}`,
		want: []string{"g.yaml:10:37: spec.apps.app.backoffSeconds: must be an integer, got a number"}},
	{name: "negative disk", app: `app: {cmd: run, disk: -1}`,
		want: []string{"g.yaml:10:27: spec.apps.app.disk: must be at least 0, got -1"}},
	{name: "upgradeStrategy out of range", app: `app: {cmd: run, upgradeStrategy: {minimumHealthCapacity: 1.5}}`,
		want: []string{"g.yaml:10:62: spec.apps.app.upgradeStrategy.minimumHealthCapacity: must be at most 1, got 1.5"}},
	// The write loop of issue 12 and the dropped mappings of issue 21.
	{name: "BRIDGE portMappings with portDefinitions", app: `app: {container: {docker: {image: "x:1", network: BRIDGE, portMappings: [{containerPort: 80}]}}, portDefinitions: [{port: 0}]}`,
		want: []string{"g.yaml:10:119: spec.apps.app.portDefinitions: portDefinitions cannot be combined with container.docker.portMappings on a BRIDGE network: Marathon 1.4 derives the ports from the portMappings and writes its own portDefinitions, so the app would never converge; remove portDefinitions"}},
	{name: "BRIDGE portMappings with legacy ports", app: `app: {container: {docker: {image: "x:1", network: BRIDGE, portMappings: [{containerPort: 80}]}}, ports: [0]}`,
		want: []string{"g.yaml:10:109: spec.apps.app.ports: ports cannot be combined with container.docker.portMappings on a BRIDGE network: Marathon 1.4 derives the ports from the portMappings and writes its own, so the app would never converge; remove ports"}},
	{name: "USER portMappings with portDefinitions", app: `app: {container: {docker: {image: "x:1", network: USER, portMappings: [{containerPort: 80}]}}, portDefinitions: [{port: 0}]}`,
		want: []string{"g.yaml:10:117: spec.apps.app.portDefinitions: portDefinitions cannot be combined with container.docker.portMappings on a USER network: Marathon 1.4 derives the ports from the portMappings and writes its own portDefinitions, so the app would never converge; remove portDefinitions"}},
	{name: "portMappings without a network", app: `app: {container: {docker: {image: "x:1", portMappings: [{containerPort: 80}]}}}`,
		want: []string{"g.yaml:10:60: spec.apps.app.container.docker.portMappings: container.docker.portMappings need container.docker.network BRIDGE or USER: without a network Marathon 1.4 drops them, so the app would never converge"}},
	{name: "HOST network with portMappings", app: `app: {container: {docker: {image: "x:1", network: HOST, portMappings: [{containerPort: 80}]}}}`,
		want: []string{"g.yaml:10:75: spec.apps.app.container.docker.portMappings: container.docker.portMappings are ignored on the HOST network: Marathon 1.4 drops them (they only apply to BRIDGE and USER), so the app would never converge; remove them or use portDefinitions"}},
	{name: "ports and portDefinitions disagree", app: `app: {cmd: run, ports: [8080], portDefinitions: [{port: 9090}]}`,
		want: []string{"g.yaml:10:28: spec.apps.app.ports: ports and portDefinitions cannot both be set; keep portDefinitions"}},
	{name: "ipAddress with portDefinitions", app: `app: {cmd: run, ipAddress: {networkName: dcos}, portDefinitions: [{port: 0}]}`,
		want: []string{"g.yaml:10:70: spec.apps.app.portDefinitions: portDefinitions cannot be combined with ipAddress: with IP-per-task networking the ports come from ipAddress.discovery.ports"}},
	{name: "ipAddress discovery on BRIDGE", app: `app: {container: {docker: {image: "x:1", network: BRIDGE}}, ipAddress: {discovery: {ports: []}}}`,
		want: []string{"g.yaml:10:88: spec.apps.app.ipAddress.discovery: ipAddress.discovery is not allowed for Docker containers on a BRIDGE network; declare the ports in container.docker.portMappings"}},
	{name: "duplicate port names", app: `app: {cmd: run, portDefinitions: [{port: 0, name: http}, {port: 0, name: http}]}`,
		want: []string{`g.yaml:10:78: spec.apps.app.portDefinitions[1].name: port name "http" is already used by portDefinitions[0]; port names must be unique`}},
	{name: "port name not lower-case", app: `app: {cmd: run, portDefinitions: [{port: 0, name: HTTP}]}`,
		want: []string{`g.yaml:10:55: spec.apps.app.portDefinitions[0].name: port name must be lowercase letters, digits and dashes (^[a-z0-9-]+$), got "HTTP"`}},
	{name: "duplicate ports", app: `app: {cmd: run, portDefinitions: [{port: 8080}, {port: 8080}]}`,
		want: []string{"g.yaml:10:60: spec.apps.app.portDefinitions[1].port: port 8080 is already used by portDefinitions[0]; ports must be unique (0 lets Marathon assign one)"}},
	{name: "duplicate legacy ports", app: `app: {cmd: run, ports: [8080, 8080]}`,
		want: []string{"g.yaml:10:35: spec.apps.app.ports[1]: port 8080 is listed twice (ports[0]); ports must be unique"}},
	{name: "empty image", app: `app: {container: {docker: {image: ""}}}`,
		want: []string{"g.yaml:10:39: spec.apps.app.container.docker.image: container.docker.image must not be empty"}},
	{name: "Mesos containerizer with a Docker network", app: `app: {container: {type: MESOS, docker: {image: "x:1", network: BRIDGE}}}`,
		want: []string{"g.yaml:10:68: spec.apps.app.container.docker.network: the Mesos containerizer (container.type MESOS) does not support container.docker.network"}},
	{name: "Docker containerizer with a credential", app: `app: {container: {docker: {image: "x:1", credential: {principal: p}}}}`,
		want: []string{"g.yaml:10:58: spec.apps.app.container.docker.credential: the Docker containerizer does not support container.docker.credential; use container.type MESOS"}},
	{name: "GPUs in a Docker container", app: `app: {gpus: 1, container: {docker: {image: "x:1"}}}`,
		want: []string{"g.yaml:10:17: spec.apps.app.gpus: GPU resources only work with the Mesos containerizer (container.type MESOS)"}},
	{name: "two Mesos health checks", app: `app: {cmd: run, healthChecks: [{protocol: MESOS_HTTP}, {protocol: MESOS_TCP}]}`,
		want: []string{"g.yaml:10:71: spec.apps.app.healthChecks[1].protocol: an app can have at most one Mesos health check (MESOS_HTTP, MESOS_HTTPS, MESOS_TCP)"}},
	{name: "COMMAND health check without a command", app: `app: {cmd: run, healthChecks: [{protocol: COMMAND}]}`,
		want: []string{"g.yaml:10:36: spec.apps.app.healthChecks[0]: a COMMAND health check needs command: {value: ...}"}},
	{name: "path on a TCP health check", app: `app: {cmd: run, healthChecks: [{protocol: TCP, path: /health}]}`,
		want: []string{"g.yaml:10:58: spec.apps.app.healthChecks[0].path: path has no effect on TCP health checks: Marathon 1.4 does not read it (Formats.scala:760-811), so the app would not read back as written; remove it"}},
	{name: "command on an HTTP health check", app: `app: {cmd: run, healthChecks: [{path: /, command: {value: "true"}}]}`,
		want: []string{"g.yaml:10:55: spec.apps.app.healthChecks[0].command: command has no effect on HTTP health checks: Marathon 1.4 does not read it (Formats.scala:760-811), so the app would not read back as written; remove it"}},
	{name: "health check with port and portIndex", app: `app: {cmd: run, healthChecks: [{port: 8080, portIndex: 0}]}`,
		want: []string{"g.yaml:10:43: spec.apps.app.healthChecks[0].port: a health check takes a port or a portIndex, not both"}},
	{name: "health check portIndex out of range", app: `app: {cmd: run, healthChecks: [{portIndex: 1}]}`,
		want: []string{"g.yaml:10:48: spec.apps.app.healthChecks[0].portIndex: health check portIndex 1 is out of range: the app has 1 port(s) (Marathon's default port definition)"}},
	{name: "health check on a BRIDGE app without port mappings", app: `app: {container: {docker: {image: "x:1", network: BRIDGE}}, portDefinitions: [], healthChecks: [{protocol: TCP}]}`,
		want: []string{"g.yaml:10:101: spec.apps.app.healthChecks[0]: health check portIndex 0 is out of range: the app has 0 port(s) (portDefinitions)"}},
	{name: "env references an undefined secret", app: `app: {cmd: run, env: {DB_PASSWORD: {secret: db}}}`,
		want: []string{`g.yaml:10:49: spec.apps.app.env.DB_PASSWORD.secret: env DB_PASSWORD references an undefined secret named "db"; define it under secrets (none is defined)`}},
	{name: "secret without a source", app: `app: {cmd: run, secrets: {db: {source: ""}}}`,
		want: []string{"g.yaml:10:44: spec.apps.app.secrets.db.source: secret db needs a non-empty source"}},
	{name: "residency without persistent volumes", app: `app: {cmd: run, residency: {taskLostBehavior: WAIT_FOREVER}}`,
		want: []string{"g.yaml:10:32: spec.apps.app.residency: residency needs persistent volumes (container.volumes[].persistent)"}},
	{name: "persistent volume path with a slash", app: `app: {cmd: run, container: {type: MESOS, volumes: [{containerPath: /data, mode: RW, persistent: {size: 10}}]}}`,
		want: []string{`g.yaml:10:72: spec.apps.app.container.volumes[0].containerPath: a persistent volume's containerPath is a name relative to the sandbox, without "/", got "/data"`}},
	{name: "persistent volume of size 0", app: `app: {cmd: run, container: {type: MESOS, volumes: [{containerPath: data, mode: RW, persistent: {size: 0}}]}}`,
		want: []string{"g.yaml:10:107: spec.apps.app.container.volumes[0].persistent.size: a persistent volume's size must be greater than 0 MiB"}},
	{name: "resident app with roles other than *", app: `app: {cmd: run, acceptedResourceRoles: [prod], container: {type: MESOS, volumes: [{containerPath: data, mode: RW, persistent: {size: 1}}]}}`,
		want: []string{`g.yaml:10:44: spec.apps.app.acceptedResourceRoles: an app with persistent volumes must have acceptedResourceRoles ["*"]`}},
	{name: "two readiness checks", app: `app: {cmd: run, readinessChecks: [{name: a}, {name: b}]}`,
		want: []string{
			"g.yaml:10:39: spec.apps.app.readinessChecks[0]: readiness check portName \"http-api\" names no port of the app (port names: default)",
			"g.yaml:10:50: spec.apps.app.readinessChecks[1]: an app can have at most one readiness check, got 2",
			"g.yaml:10:50: spec.apps.app.readinessChecks[1]: readiness check portName \"http-api\" names no port of the app (port names: default)",
		}},
	{name: "readiness check timeout not below interval", app: `app: {cmd: run, readinessChecks: [{portName: default, intervalSeconds: 5, timeoutSeconds: 10}]}`,
		want: []string{"g.yaml:10:39: spec.apps.app.readinessChecks[0]: readiness check timeoutSeconds (10) must be greater than 0 and less than intervalSeconds (5)"}},
	{name: "single-instance app with two instances", app: `app: {cmd: run, instances: 2, labels: {MARATHON_SINGLE_INSTANCE_APP: "true"}}`,
		want: []string{
			"g.yaml:10:10: spec.apps.app: an app labelled MARATHON_SINGLE_INSTANCE_APP=true needs upgradeStrategy {minimumHealthCapacity: 0, maximumOverCapacity: 0}",
			"g.yaml:10:32: spec.apps.app.instances: an app labelled MARATHON_SINGLE_INSTANCE_APP=true may only have one instance, got 2",
		}},
	{name: "migration API label without its companions", app: `app: {cmd: run, labels: {DCOS_MIGRATION_API_VERSION: v2}}`,
		want: []string{`g.yaml:10:58: spec.apps.app.labels.DCOS_MIGRATION_API_VERSION: DCOS_MIGRATION_API_VERSION must be "v1" and needs the labels DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH`}},
	{name: "bad Mesos role", app: `app: {cmd: run, acceptedResourceRoles: ["-prod"]}`,
		want: []string{`g.yaml:10:45: spec.apps.app.acceptedResourceRoles[0]: Mesos role "-prod": a role name must not start with '-'`}},
	{name: "unreachable timeouts reversed", app: `app: {cmd: run, unreachableStrategy: {inactiveAfterSeconds: 600, expungeAfterSeconds: 60}}`,
		want: []string{"g.yaml:10:65: spec.apps.app.unreachableStrategy.inactiveAfterSeconds: unreachableStrategy.inactiveAfterSeconds (600) must not exceed expungeAfterSeconds (60)"}},
	{name: "uris and fetch", app: `app: {cmd: run, uris: ["http://a/x.tgz"], fetch: [{uri: "http://a/y.tgz"}]}`,
		want: []string{"g.yaml:10:54: spec.apps.app.fetch: uris and fetch cannot both be set; keep fetch"}},
	{name: "store URL without a scheme", app: `app: {cmd: run, storeUrls: [artifacts/x.tgz]}`,
		want: []string{`g.yaml:10:33: spec.apps.app.storeUrls[0]: storeUrls entry "artifacts/x.tgz" is not a URL with a scheme`}},
	{name: "executor with an empty segment", app: `app: {cmd: run, executor: "a//b"}`,
		want: []string{`g.yaml:10:31: spec.apps.app.executor: executor must be empty, //cmd or a path without empty segments, got "a//b"`}},
	{name: "discovery port without a name, twice the same number", app: `app: {cmd: run, ipAddress: {discovery: {ports: [{number: 80, name: http}, {number: 80}]}}}`,
		want: []string{"g.yaml:10:79: spec.apps.app.ipAddress.discovery.ports[1]: a discovery port needs a name",
			"g.yaml:10:88: spec.apps.app.ipAddress.discovery.ports[1].number: port 80/tcp is listed twice in ipAddress.discovery.ports"}},
	{name: "constraint on a root persistent volume", app: `app: {cmd: run, container: {type: MESOS, volumes: [{containerPath: data, mode: RW, persistent: {size: 1, constraints: [[path, LIKE, "/mnt/ssd.*"]]}}]}}`,
		want: []string{"g.yaml:10:124: spec.apps.app.container.volumes[0].persistent.constraints[0]: constraints on root volumes are not supported (persistent.type is root)"}},
	// Load balancer labels.
	{name: "misspelt HAPROXY_GROUP", app: `app: {cmd: run, labels: {HAPROXY_GRUOP: internal}}`,
		want: []string{`g.yaml:10:45: spec.apps.app.labels.HAPROXY_GRUOP: unknown marathon-lb label "HAPROXY_GRUOP"; did you mean "HAPROXY_GROUP"?`}},
	{name: "misspelt per-port label", app: `app: {cmd: run, labels: {HAPROXY_0_VHSOT: web.example.com}}`,
		want: []string{`g.yaml:10:47: spec.apps.app.labels.HAPROXY_0_VHSOT: unknown marathon-lb per-port label "HAPROXY_0_VHSOT"; did you mean "HAPROXY_0_VHOST"?`}},
	{name: "misspelt NIXY_REALM", app: `app: {cmd: run, labels: {NIXY_RELAM: internal}}`,
		want: []string{`g.yaml:10:42: spec.apps.app.labels.NIXY_RELAM: unknown nixy label "NIXY_RELAM"; did you mean "NIXY_REALM"?`}},
	{name: "misspelt subdomain", app: `app: {cmd: run, labels: {subdomian: web}}`,
		want: []string{`g.yaml:10:41: spec.apps.app.labels.subdomian: label "subdomian" is not a load balancer label; did you mean "subdomain"?`}},
	{name: "per-port label for a port the app lacks", app: `app: {cmd: run, labels: {HAPROXY_1_VHOST: admin.example.com}}`,
		want: []string{"g.yaml:10:47: spec.apps.app.labels.HAPROXY_1_VHOST: HAPROXY_1_VHOST is for service port index 1, but the app has 1 port(s) (Marathon's default port definition); marathon-lb ignores it"}},
	{name: "NIXY_PROTOCOL not tcp, udp or http", app: `app: {cmd: run, labels: {NIXY_PROTOCOL: sctp}}`,
		want: []string{`g.yaml:10:45: spec.apps.app.labels.NIXY_PROTOCOL: NIXY_PROTOCOL must be tcp, udp or http, got "sctp"; the load balancer would skip the app`}},
	{name: "one vhost on two apps", app: "a: {cmd: run, labels: {HAPROXY_GROUP: external, HAPROXY_0_VHOST: web.example.com}}\n    b: {cmd: run, labels: {HAPROXY_GROUP: external, HAPROXY_0_VHOST: web.example.com}}",
		want: []string{`g.yaml:11:70: spec.apps.b.labels.HAPROXY_0_VHOST: HAPROXY_0_VHOST "web.example.com" is also claimed by /services/web/production/a (g.yaml:10:5, label HAPROXY_0_VHOST) in cluster ams (HAProxy group external); a host can route to one app only`}},
	{name: "one nixy subdomain on two apps", app: "a: {cmd: run, labels: {subdomain: web}}\n    b: {cmd: run, labels: {subdomain: \"www web\"}}",
		want: []string{`g.yaml:11:39: spec.apps.b.labels.subdomain: subdomain "web" is also claimed by /services/web/production/a (g.yaml:10:5, label subdomain) in cluster ams (no NIXY_REALM); a host can route to one app only`}},
	{name: "one vhost on two apps through an overlay", app: "a: {cmd: run, labels: {HAPROXY_0_VHOST: web.example.com}}\n    b: {cmd: run, labels: {HAPROXY_0_VHOST: b.example.com}, environments: {production: {labels: {HAPROXY_0_VHOST: WEB.example.com}}}}",
		want: []string{`g.yaml:11:115: spec.apps.b.environments.production.labels.HAPROXY_0_VHOST: HAPROXY_0_VHOST "web.example.com" is also claimed by /services/web/production/a (g.yaml:10:5, label HAPROXY_0_VHOST) in cluster ams (no HAPROXY_GROUP); a host can route to one app only`}},
	{name: "one subdomain on three apps", app: "a: {cmd: run, labels: {subdomain: web}}\n    b: {cmd: run, labels: {subdomain: web}}\n    c: {cmd: run, labels: {subdomain: web}}",
		want: []string{
			`g.yaml:11:39: spec.apps.b.labels.subdomain: subdomain "web" is also claimed by /services/web/production/a (g.yaml:10:5, label subdomain) in cluster ams (no NIXY_REALM); a host can route to one app only`,
			`g.yaml:12:39: spec.apps.c.labels.subdomain: subdomain "web" is also claimed by /services/web/production/a (g.yaml:10:5, label subdomain) in cluster ams (no NIXY_REALM); a host can route to one app only`,
		}},
	{name: "one vhost on two HAProxy groups", app: "a: {cmd: run, labels: {HAPROXY_GROUP: internal, HAPROXY_0_VHOST: web.example.com}}\n    b: {cmd: run, labels: {HAPROXY_GROUP: external, HAPROXY_0_VHOST: web.example.com}}",
		want: nil},
	{name: "unknown label of the user's own", app: `app: {cmd: run, labels: {team: search, HAPROXY_0_VHOST: web.example.com}}`,
		want: nil},
	// Secrets in env: warnings, validate still exits 0.
	{name: "literal password in env", app: `app: {cmd: run, env: {DB_PASSWORD: hunter2}}`,
		want: []string{"g.yaml:10:40: warning: spec.apps.app.env.DB_PASSWORD: env DB_PASSWORD looks like a secret and holds a literal value, which ends up in git and in Marathon's app definition; use a Marathon secret (env: {DB_PASSWORD: {secret: name}} with secrets: {name: {source: ...}}) or a file or env reference (e.g. DB_PASSWORD_FILE: /run/secrets/...)"}},
	{name: "literal token in camelCase env", app: `app: {cmd: run, env: {apiToken: abc123}}`,
		want: []string{"g.yaml:10:37: warning: spec.apps.app.env.apiToken: env apiToken looks like a secret and holds a literal value, which ends up in git and in Marathon's app definition; use a Marathon secret (env: {apiToken: {secret: name}} with secrets: {name: {source: ...}}) or a file or env reference (e.g. apiToken_FILE: /run/secrets/...)"}},
	{name: "secret file reference and settings in env", app: `app: {cmd: run, env: {DB_PASSWORD_FILE: /run/secrets/db, KEYSPACE: autofill, CACHE_KEY_PREFIX: s, TOKEN_TTL: "3600", DB_PASS: "${DB_PASS}"}}`,
		want: nil},
	{name: "literal API key in env", app: `app: {cmd: run, env: {STRIPE_API_KEY: sk_live_x}}`,
		want: []string{"g.yaml:10:43: warning: spec.apps.app.env.STRIPE_API_KEY: env STRIPE_API_KEY looks like a secret and holds a literal value, which ends up in git and in Marathon's app definition; use a Marathon secret (env: {STRIPE_API_KEY: {secret: name}} with secrets: {name: {source: ...}}) or a file or env reference (e.g. STRIPE_API_KEY_FILE: /run/secrets/...)"}},
	{name: "portDefinitions added by an overlay to a BRIDGE app", app: `app: {container: {docker: {image: "x:1", network: BRIDGE, portMappings: [{containerPort: 80}]}}, environments: {production: {portDefinitions: [{port: 0}]}}}`,
		want: []string{"g.yaml:10:147: spec.apps.app.environments.production.portDefinitions: portDefinitions cannot be combined with container.docker.portMappings on a BRIDGE network: Marathon 1.4 derives the ports from the portMappings and writes its own portDefinitions, so the app would never converge; remove portDefinitions"}},
	// YAML.
	{name: "alias to an anchor of an earlier document", input: "`---` between `a: &x ...` and `b: *x` in one file",
		files: map[string]string{"c.yaml": "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: fra}\nspec: {marathon: &m {urls: [\"http://m1.fra:8080\"]}}\n---\napiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: zrh}\nspec: {marathon: *m}\n"},
		want:  []string{"c.yaml:9:18: spec.marathon: alias *m refers to the anchor &m of an earlier document (line 4); YAML anchors are scoped to their document, define the anchor in this one"}},
	{name: "duplicate key", app: `app: {cmd: run, cmd: walk}`,
		want: []string{`g.yaml:10:21: spec.apps.app: duplicate key "cmd" (first at line 10)`}},
	{name: "unknown field", app: `app: {cmd: run, memory: 512}`,
		want: []string{`g.yaml:10:21: spec.apps.app: unknown field "memory"`}},
	// Custom checks (spec.checks at line 10, the group has the app app).
	{name: "check command as a shell string", input: "`spec.checks`: `c: {exec: {app: app, command: \"check_tcp -H x\"}}`",
		files: map[string]string{"g.yaml": checkGroup(`c: {exec: {app: app, command: "check_tcp -H x"}}`)},
		want:  []string{"g.yaml:10:35: spec.checks.c.exec.command: must be a list, got a string"}},
	{name: "check of an unknown app", input: "`spec.checks`: `c: {tcp: {app: mongo}}`",
		files: map[string]string{"g.yaml": checkGroup(`c: {tcp: {app: mongo}}`)},
		want:  []string{`g.yaml:10:20: spec.checks.c.tcp.app: unknown app "mongo"; the group's apps are app`}},
	{name: "check of an unknown port name", input: "`spec.checks`: `c: {http: {app: app, portName: admin}}`",
		files: map[string]string{"g.yaml": checkGroup(`c: {http: {app: app, portName: admin}}`)},
		want:  []string{`g.yaml:10:36: spec.checks.c.http.portName: app app has no port named "admin" in its portMappings or portDefinitions`}},
}

func (b badSpec) tree() map[string]string {
	files := map[string]string{"clusters.yaml": clusterAMS}
	if b.files != nil {
		for k, v := range b.files {
			files[k] = v
		}
		return files
	}
	files["g.yaml"] = group(prodAMS, "\n    "+b.app+"\n")
	return files
}

// problemAndWarningLines is what pacer validate prints: problems, then
// warnings.
func problemAndWarningLines(t *testing.T, files map[string]string) []string {
	t.Helper()
	set, err := Load(mapFS(files))
	if set == nil {
		t.Fatalf("Load: %v", err)
	}
	got := lines(t, set.Validate())
	for _, w := range set.Warnings() {
		got = append(got, w.Error())
	}
	return got
}

// TestBadSpecs checks every row of the "Bad specs" table and that
// docs/reliability.md shows exactly these rows (go test ./specs -run
// TestBadSpecs -update rewrites the table).
func TestBadSpecs(t *testing.T) {
	for _, b := range badSpecs {
		t.Run(b.name, func(t *testing.T) {
			got := problemAndWarningLines(t, b.tree())
			if diff := cmp.Diff(b.want, got); diff != "" {
				t.Errorf("validate output (-want +got):\n%s", diff)
			}
		})
	}
	const doc = "../docs/reliability.md"
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- bad-specs:begin (generated by TestBadSpecs) -->\n", "<!-- bad-specs:end -->\n"
	i, j := bytes.Index(data, []byte(begin)), bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", doc, begin, end)
	}
	table := badSpecsTable()
	current := string(data[i+len(begin) : j])
	if current == table {
		return
	}
	if *update {
		out := append(append(append([]byte{}, data[:i+len(begin)]...), table...), data[j:]...)
		if err := os.WriteFile(doc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the Bad specs table of %s is out of date; run go test ./specs -run TestBadSpecs -update (-doc +want):\n%s", doc, cmp.Diff(current, table))
}

func badSpecsTable() string {
	var b strings.Builder
	b.WriteString("| # | Input (`spec.apps` of a ServiceGroup at line 10 of g.yaml) | What `pacer validate` says |\n| --- | --- | --- |\n")
	for i, r := range badSpecs {
		input := r.input
		if input == "" {
			input = "`" + strings.ReplaceAll(r.app, "\n    ", "` `") + "`"
		}
		says := "nothing: accepted (exit 0)"
		if len(r.want) > 0 {
			quoted := make([]string, len(r.want))
			for k, w := range r.want {
				quoted[k] = "`" + w + "`"
			}
			says = strings.Join(quoted, "<br>")
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", i+1, cell(input), cell(says))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
