package specs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBenchTree writes groups ServiceGroups of 8 apps each, shaped like the
// autofill service, one file per group in 20 directories.
func writeBenchTree(b *testing.B, dir string, groups int) {
	b.Helper()
	// The test environment runs on its own cluster: on one cluster and
	// HAProxy group, production and test would claim the same vhosts.
	clusters := clusterAMS + "---\n" + strings.ReplaceAll(clusterAMS, "ams", "ams-test")
	if err := os.WriteFile(filepath.Join(dir, "clusters.yaml"), []byte(clusters), 0o644); err != nil {
		b.Fatal(err)
	}
	apps := []string{"app", "checks", "fluentd", "memcached", "mms", "mongo", "statsd", "telegraf"}
	for g := range groups {
		var sb strings.Builder
		fmt.Fprintf(&sb, `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: svc-%d, parent: /team-%d}
spec:
  environments:
    production: {clusters: [ams], alerting: {urgency: high, routingKey: {fromEnv: PD_%d}}, sync: {policy: automated, prune: true}}
    test: {clusters: [ams-test], alerting: {urgency: low, routingKey: {fromEnv: PD_%d}}}
  defaults:
    env: {SERVICE: svc-%d}
  apps:
`, g, g%20, g, g, g)
		for i, a := range apps {
			fmt.Fprintf(&sb, `    %s:
      instances: %d
      cpus: 1
      mem: 1024
      container:
        type: DOCKER
        docker:
          image: registry.example/svc-%d/%s:3fb4278
          network: BRIDGE
          portMappings: [{containerPort: 8080, hostPort: 0, protocol: tcp, name: http}]
      env: {MONGO_URL: "mongodb://mongo:27017/db", STATSD: "statsd:8125"}
      labels: {HAPROXY_GROUP: internal, NIXY_REALM: internal, HAPROXY_0_VHOST: %s.svc-%d.example.com}
      healthChecks: [{protocol: HTTP, path: /health, portIndex: 0, gracePeriodSeconds: 60}]
      upgradeStrategy: {minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2}
      environments: {test: {instances: 1}}
`, a, i+1, g, a, a, g)
			if a == "app" {
				sb.WriteString("      dependencies: [mongo, memcached]\n")
			}
		}
		sub := filepath.Join(dir, fmt.Sprintf("team-%d", g%20))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("svc-%d.yaml", g)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadValidateRender loads, validates and renders 2,000
// ServiceGroups × 8 apps (16,000 apps, 32,000 with both environments, each
// environment on its own cluster).
func BenchmarkLoadValidateRender(b *testing.B) {
	dir := b.TempDir()
	writeBenchTree(b, dir, 2000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set, err := LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := set.Validate(); err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, cluster := range []string{"ams", "ams-test"} {
			apps, err := set.Render(cluster, "")
			if err != nil {
				b.Fatal(err)
			}
			n += len(apps)
		}
		if n != 32000 {
			b.Fatalf("rendered %d apps, want 32000", n)
		}
	}
}
