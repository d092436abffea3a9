package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func diffDefs(t *testing.T, desired, live string) []string {
	t.Helper()
	d, err := decodeObject([]byte(desired))
	if err != nil {
		t.Fatal(err)
	}
	l, err := decodeObject([]byte(live))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range Diff(normalizeLive(l, d), normalizeDesired(d)) {
		out = append(out, c.String())
	}
	return out
}

func TestNormalizeEquivalent(t *testing.T) {
	tests := []struct{ name, desired, live string }{
		{"1 vs 1.0", `{"id":"/a","cpus":1,"mem":128}`, `{"id":"/a","cpus":1.0,"mem":128.0}`},
		{"nil vs empty", `{"id":"/a","env":null,"labels":{},"args":[]}`, `{"id":"/a","args":null,"env":{},"constraints":[],"labels":{}}`},
		{"relative id", `{"id":"a"}`, `{"id":"/a"}`},
		{"server fields", `{"id":"/a"}`, `{"id":"/a","version":"v","versionInfo":{"lastScalingAt":"v"},"tasks":[{"id":"t"}],"tasksRunning":1,"deployments":[{"id":"d"}],"lastTaskFailure":{"taskId":"t"},"taskStats":{}}`},
		{"assigned service port", `{"id":"/a","portDefinitions":[{"port":0,"name":"http"}]}`, `{"id":"/a","ports":[10004],"portDefinitions":[{"port":10004,"protocol":"tcp","name":"http","labels":{}}]}`},
		{"legacy ports", `{"id":"/a","ports":[0,0]}`, `{"id":"/a","ports":[10000,10001],"portDefinitions":[{"port":10000,"protocol":"tcp","labels":{}},{"port":10001,"protocol":"tcp","labels":{}}]}`},
		{"default port", `{"id":"/a"}`, `{"id":"/a","ports":[10000],"portDefinitions":[{"port":10000,"protocol":"tcp","name":"default","labels":{}}]}`},
		{"port mappings make portDefinitions empty", `{"id":"/a","container":{"docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`,
			`{"id":"/a","container":{"type":"DOCKER","volumes":[],"docker":{"image":"x","network":"BRIDGE","privileged":false,"parameters":[],"forcePullImage":false,"portMappings":[{"containerPort":80,"hostPort":0,"servicePort":10002,"protocol":"tcp","labels":{}}]}},"ports":[],"portDefinitions":[]}`},
		// Marathon 1.4.13 writes a mapped app's ports and portDefinitions
		// from its port mappings, whatever was given
		// (api/v2/json/Formats.scala:1224-1238).
		{"port mappings and portDefinitions", `{"id":"/a","portDefinitions":[{"port":0,"name":"web"}],"container":{"docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0},{"containerPort":81,"protocol":"udp"}]}}}`,
			`{"id":"/a","container":{"type":"DOCKER","docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0,"servicePort":10000,"protocol":"tcp"},{"containerPort":81,"hostPort":0,"servicePort":10001,"protocol":"udp"}]}},"ports":[10000,10001],"portDefinitions":[{"port":10000,"protocol":"tcp","name":"web","labels":{}},{"port":10001,"protocol":"tcp","labels":{}}]}`},
		{"port mappings and legacy ports", `{"id":"/a","ports":[0],"container":{"docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0}]}}}`,
			`{"id":"/a","container":{"type":"DOCKER","docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0,"servicePort":10000,"protocol":"tcp"}]}},"ports":[10000],"portDefinitions":[{"port":10000,"protocol":"tcp","labels":{}}]}`},
		{"port mappings and portDefinitions, written empty", `{"id":"/a","portDefinitions":[{"port":0}],"container":{"docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0}]}}}`,
			`{"id":"/a","container":{"type":"DOCKER","docker":{"image":"x","network":"BRIDGE","portMappings":[{"containerPort":80,"hostPort":0,"servicePort":10000,"protocol":"tcp"}]}},"ports":[10000],"portDefinitions":[]}`},
		// state/Container.scala:47-69: mappings are kept for BRIDGE and USER only.
		{"port mappings of a HOST container are dropped", `{"id":"/a","container":{"docker":{"image":"x","network":"HOST","portMappings":[{"containerPort":80,"hostPort":0}]}}}`,
			`{"id":"/a","container":{"type":"DOCKER","docker":{"image":"x","network":"HOST","portMappings":[]}},"ports":[10000],"portDefinitions":[{"port":10000,"protocol":"tcp","name":"default","labels":{}}]}`},
		{"health check defaults, lower-case protocol, no ports", `{"id":"/a","portDefinitions":[],"healthChecks":[{"protocol":"http"}]}`,
			`{"id":"/a","portDefinitions":[],"healthChecks":[{"protocol":"HTTP","path":"/","portIndex":0,"gracePeriodSeconds":300,"intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3,"delaySeconds":15,"ignoreHttp1xx":false}]}`},
		// api/v2/json/Formats.scala:733-855: Marathon keeps only each
		// protocol's fields.
		{"health check fields of other protocols", `{"id":"/a","healthChecks":[{"protocol":"TCP","delaySeconds":0,"path":"/x","ignoreHttp1xx":true},{"protocol":"COMMAND","command":{"value":"true"},"portIndex":0,"ignoreHttp1xx":true},{"protocol":"HTTP","delaySeconds":1,"command":{"value":"x"}},{"protocol":"MESOS_HTTP","ignoreHttp1xx":true,"delaySeconds":2}]}`,
			`{"id":"/a","healthChecks":[{"protocol":"TCP","portIndex":0,"gracePeriodSeconds":300,"intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3},{"protocol":"COMMAND","command":{"value":"true"},"delaySeconds":15,"gracePeriodSeconds":300,"intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3},{"protocol":"HTTP","path":null,"portIndex":0,"ignoreHttp1xx":false,"gracePeriodSeconds":300,"intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3},{"protocol":"MESOS_HTTP","portIndex":0,"delaySeconds":2,"gracePeriodSeconds":300,"intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3}]}`},
		{"requirePorts is not written with an ipAddress", `{"id":"/a","ipAddress":{"networkName":"n"},"requirePorts":true}`, `{"id":"/a","ipAddress":{"networkName":"n","groups":[],"labels":{}}}`},
		{"readiness status codes are a set", `{"id":"/a","readinessChecks":[{"portName":"http","httpStatusCodesForReady":[204,200,302,301,500]}]}`,
			`{"id":"/a","readinessChecks":[{"name":"readinessCheck","protocol":"HTTP","path":"/","portName":"http","intervalSeconds":30,"timeoutSeconds":10,"httpStatusCodesForReady":[500,301,200,302,204],"preserveLastResponse":false}]}`},
		{"health checks are a set", `{"id":"/a","healthChecks":[{"protocol":"TCP"},{"path":"/h"}]}`, `{"id":"/a","healthChecks":[{"path":"/h"},{"protocol":"TCP","portIndex":0}]}`},
		{"constraints are a set, empty value", `{"id":"/a","constraints":[["rack","GROUP_BY"],["hostname","UNIQUE"]]}`, `{"id":"/a","constraints":[["hostname","UNIQUE",""],["rack","GROUP_BY"]]}`},
		{"uris become fetch", `{"id":"/a","uris":["http://x/a.tgz"]}`, `{"id":"/a","uris":["http://x/a.tgz"],"fetch":[{"uri":"http://x/a.tgz","extract":true,"executable":false,"cache":false}]}`},
		{"upgradeStrategy and unreachableStrategy defaults", `{"id":"/a","upgradeStrategy":{"minimumHealthCapacity":0.5}}`, `{"id":"/a","upgradeStrategy":{"minimumHealthCapacity":0.5,"maximumOverCapacity":1},"unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0},"killSelection":"YOUNGEST_FIRST"}`},
		// api/v2/json/Formats.scala:426-437: MesosDocker writes image,
		// credential and forcePullImage.
		{"Mesos containerizer drops privileged", `{"id":"/a","container":{"type":"MESOS","docker":{"image":"x","privileged":true}}}`,
			`{"id":"/a","container":{"type":"MESOS","volumes":[],"docker":{"image":"x","credential":null,"forcePullImage":false}}}`},
		// api/v2/json/Formats.scala:1023-1031: residency, upgradeStrategy and
		// unreachableStrategy of an app with a persistent volume.
		{"resident defaults", `{"id":"/a","container":{"type":"MESOS","volumes":[{"containerPath":"data","mode":"RW","persistent":{"size":10}}]}}`,
			`{"id":"/a","container":{"type":"MESOS","volumes":[{"containerPath":"data","mode":"RW","persistent":{"size":10,"type":"root","constraints":[]}}]},"residency":{"relaunchEscalationTimeoutSeconds":3600,"taskLostBehavior":"WAIT_FOREVER"},"upgradeStrategy":{"minimumHealthCapacity":0.5,"maximumOverCapacity":0},"unreachableStrategy":"disabled"}`},
		{"external volume upgrade defaults", `{"id":"/a","container":{"type":"MESOS","volumes":[{"containerPath":"data","mode":"RW","external":{"name":"v","provider":"dvdi"}}]}}`,
			`{"id":"/a","container":{"type":"MESOS","volumes":[{"containerPath":"data","mode":"RW","external":{"name":"v","provider":"dvdi"}}]},"upgradeStrategy":{"minimumHealthCapacity":0.5,"maximumOverCapacity":0},"unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0}}`},
		{"volatile labels", `{"id":"/a","labels":{"pacer.dev/revision":"new"}}`, `{"id":"/a","labels":{"pacer.dev/revision":"old","pacer.dev/source":"x"}}`},
		{"relative dependencies", `{"id":"/g/a","dependencies":["../h/b","c"]}`, `{"id":"/g/a","dependencies":["/g/c","/h/b"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := diffDefs(t, tc.desired, tc.live); len(got) != 0 {
				t.Errorf("want no changes, got %q", got)
			}
		})
	}
}

// TestRemovalsArePlanned: whatever the spec drops must show as a removal.
func TestRemovalsArePlanned(t *testing.T) {
	tests := []struct {
		name, desired, live string
		want                []string
	}{
		{"env var", `{"id":"/a","env":{"A":"1"}}`, `{"id":"/a","env":{"A":"1","B":"2"}}`, []string{`env.B: - "2"`}},
		{"label", `{"id":"/a"}`, `{"id":"/a","labels":{"HAPROXY_GROUP":"external"}}`, []string{`labels.HAPROXY_GROUP: - "external"`}},
		{"constraint", `{"id":"/a","constraints":[]}`, `{"id":"/a","constraints":[["hostname","UNIQUE"]]}`, []string{`constraints: - [["hostname","UNIQUE"]]`}},
		{"health check", `{"id":"/a"}`, `{"id":"/a","healthChecks":[{"protocol":"COMMAND","command":{"value":"true"}}]}`,
			[]string{`healthChecks: - [{"command":{"value":"true"},"delaySeconds":15,"gracePeriodSeconds":300,"intervalSeconds":60,"maxConsecutiveFailures":3,"protocol":"COMMAND","timeoutSeconds":20}]`}},
		{"port", `{"id":"/a","portDefinitions":[]}`, `{"id":"/a","portDefinitions":[{"port":10000,"protocol":"tcp"}]}`, []string{`portDefinitions: - [{"port":10000,"protocol":"tcp"}]`}},
		{"image and instances", `{"id":"/a","instances":14,"container":{"docker":{"image":"x:2"}}}`, `{"id":"/a","instances":12,"container":{"docker":{"image":"x:1"}}}`,
			[]string{`container.docker.image: "x:1" → "x:2"`, `instances: 12 → 14`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, diffDefs(t, tc.desired, tc.live)); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
		})
	}
}

func TestIsServerField(t *testing.T) {
	for _, f := range serverFields {
		if !isServerField(f) {
			t.Errorf("isServerField(%q) = false", f)
		}
	}
	if isServerField("cmd") {
		t.Error(`isServerField("cmd") = true`)
	}
}

func TestCanonicalID(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b": "/a/b", "a/b": "/a/b", "/a/b/": "/a/b", "//a//": "/a", "/": "/", "": "/", "/a": "/a", "a": "/a",
	} {
		if got := canonicalID(in); got != want {
			t.Errorf("canonicalID(%q) = %q, want %q", in, got, want)
		}
	}
}
