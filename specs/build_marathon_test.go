package specs

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClusterMarathonAccess(t *testing.T) {
	const head = "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: ams}\nspec:\n  marathon:\n    urls: [\"https://m1.ams:8443\"]\n"
	for _, tc := range []struct {
		name     string
		extra    string
		want     MarathonAccess
		problems []string
	}{
		{name: "unset", want: MarathonAccess{}},
		{name: "timeout and basic auth from env", extra: "    timeout: 45s\n    basicAuth: {fromEnv: MARATHON_AUTH}\n",
			want: MarathonAccess{Timeout: 45 * time.Second, BasicAuth: SecretRef{FromEnv: "MARATHON_AUTH"}}},
		{name: "token from file", extra: "    token: {fromFile: /run/secrets/dcos-token}\n",
			want: MarathonAccess{Token: SecretRef{FromFile: "/run/secrets/dcos-token"}}},
		{name: "bad timeout", extra: "    timeout: soon\n",
			problems: []string{`c.yaml:7:14: spec.marathon.timeout: must be a positive duration such as 30s or 1m, got "soon"`}},
		{name: "negative timeout", extra: "    timeout: -1s\n",
			problems: []string{`c.yaml:7:14: spec.marathon.timeout: must be a positive duration such as 30s or 1m, got "-1s"`}},
		{name: "inline credentials", extra: "    basicAuth: alice:s3cret\n",
			problems: []string{"c.yaml:7:16: spec.marathon.basicAuth: Marathon credentials are secrets and must not be written in specs; use {fromEnv: VAR} or {fromFile: path}"}},
		{name: "both sources", extra: "    token: {fromEnv: A, fromFile: /b}\n",
			problems: []string{"c.yaml:7:12: spec.marathon.token: set exactly one of fromEnv or fromFile"}},
		{name: "bad env name", extra: "    token: {fromEnv: my-token}\n",
			problems: []string{`c.yaml:7:22: spec.marathon.token.fromEnv: must be an environment variable name, got "my-token"`}},
		{name: "basic auth and token", extra: "    basicAuth: {fromEnv: A}\n    token: {fromEnv: B}\n",
			problems: []string{"c.yaml:8:5: spec.marathon.token: set basicAuth or token, not both"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Load(mapFS(map[string]string{"c.yaml": head + tc.extra}))
			if err == nil && set != nil {
				err = set.Validate()
			}
			if diff := cmp.Diff(tc.problems, lines(t, err)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if tc.problems != nil {
				return
			}
			if diff := cmp.Diff(tc.want, set.Clusters[0].Marathon); diff != "" {
				t.Errorf("access (-want +got):\n%s", diff)
			}
		})
	}
}
