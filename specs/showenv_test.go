package specs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const clusterWithPlan = `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon:
    urls: ["http://m1.ams:8080"]
    expect: {frameworkId: 20170101-000000-ams-0000, zk: "zk://zk-1.ams:2181/marathon", name: marathon}
  plan: {showEnv: [SERVICE]}
`

func TestRenderShowEnvAndClusterLabel(t *testing.T) {
	for _, tc := range []struct {
		name, cluster, group string
		want                 []string
	}{
		{"cluster and group", clusterWithPlan, "plan: {showEnv: [LOG_*, REGION]}", []string{"SERVICE", "LOG_*", "REGION"}},
		{"cluster only", clusterWithPlan, "", []string{"SERVICE"}},
		{"group only", clusterAMS, "plan: {showEnv: [LOG_*]}", []string{"LOG_*"}},
		{"neither", clusterAMS, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Load(mapFS(map[string]string{"clusters.yaml": tc.cluster, "g.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web}
spec:
  ` + tc.group + `
  environments: {production: {clusters: [ams]}}
  apps: {app: {cmd: run, env: {DB_PASSWORD: x}}}
`}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			apps, err := set.Render("ams", "")
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if d := cmp.Diff(tc.want, apps[0].ShowEnv); d != "" {
				t.Errorf("ShowEnv (-want +got):\n%s", d)
			}
			if !strings.Contains(string(apps[0].Definition), `"pacer.dev/cluster":"ams"`) {
				t.Errorf("definition %s lacks the cluster label", apps[0].Definition)
			}
		})
	}
}

func TestClusterExpect(t *testing.T) {
	set, err := Load(mapFS(map[string]string{"clusters.yaml": clusterWithPlan}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &MarathonExpect{Name: "marathon", FrameworkID: "20170101-000000-ams-0000", ZK: "zk://zk-1.ams:2181/marathon"}
	if d := cmp.Diff(want, set.Clusters[0].Expect); d != "" {
		t.Errorf("Expect (-want +got):\n%s", d)
	}
	plain, err := Load(mapFS(map[string]string{"clusters.yaml": clusterAMS}))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Clusters[0].Expect != nil {
		t.Errorf("Expect = %+v without spec.marathon.expect; want nil", plain.Clusters[0].Expect)
	}
}

func TestShowEnvErrors(t *testing.T) {
	for _, tc := range []struct{ name, plan, want string }{
		{"malformed pattern", "plan: {showEnv: [LOG_*, \"[A-\"]}", `g.yaml:5:27: spec.plan.showEnv: malformed pattern "[A-"`},
		{"not a list", "plan: {showEnv: SERVICE}", "g.yaml:5:19: spec.plan.showEnv"},
		{"unknown field", "plan: {show: [A]}", `g.yaml:5:10: spec.plan: unknown field "show"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(mapFS(map[string]string{"clusters.yaml": clusterAMS, "g.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web}
spec:
  ` + tc.plan + `
  environments: {production: {clusters: [ams]}}
  apps: {app: {cmd: run}}
`}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load error %v; want it to contain %q", err, tc.want)
			}
		})
	}
}
