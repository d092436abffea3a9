package lb

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"pacer.dev/pacer/internal/loopback"
)

func startNginxBench(b *testing.B, minReload time.Duration, deb Debounce) *runtimeBench {
	b.Helper()
	nginx := requireBinary(b, "nginx")
	mods := requireLua(b)
	prefix := b.TempDir()
	// Its own loopback address: the 200 TCP service ports (10000 up) are
	// bound there, clear of other tests' LBs.
	addr := loopback.Addr(b)
	opts := RenderOptions{ListenHTTP: loopback.HostPort(addr, loopback.Port(b, addr)), Bind: addr,
		StreamModule: DetectStreamModule(), NginxAPI: "unix:" + filepath.Join(prefix, "api.sock"), LuaModules: mods}
	sink := &FileSink{Path: filepath.Join(prefix, "nginx.conf"), Validate: []string{nginx, "-t", "-q", "-p", prefix, "-c", FilePlaceholder}}
	rt := &NginxRuntime{API: opts.NginxAPI}
	return startRuntimeBench(b, lbUnderBench{
		sel:      SelectOptions{Flavor: FlavorNixy},
		renderer: NginxRenderer{Options: opts},
		sink:     sink,
		start: func() []string {
			pid := startServer(b, nginx, "-p", prefix, "-c", sink.Path, "-e", "stderr", "-g", "daemon off;")
			return []string{"kill", "-HUP", strconv.Itoa(pid)}
		},
		runtime: rt,
		ready:   func() error { _, err := rt.Lists(b.Context()); return err },
	}, minReload, deb)
}

// BenchmarkEventToRuntimeNginx measures one task health change on a
// 1,000-app, 10,000-task cluster served by a real nginx with dynamic
// upstreams: from the event entering the pipeline to the running nginx
// updated through pacer's upstream API and the config file rewritten (no
// validation, no reload).
func BenchmarkEventToRuntimeNginx(b *testing.B) {
	nb := startNginxBench(b, time.Second, Debounce{})
	// Task 0 of app 2 (HTTP, health-checked) flips between unhealthy and healthy.
	nb.eventToRuntime(b, benchApps(3, 10)[2])
}

// BenchmarkRollingDeployNginxDynamic replaces 1,000 tasks (10 tasks of each
// of 100 HTTP apps without health checks) through the pipeline in front of
// a real nginx with dynamic upstreams, with the default debounce (20ms/1s)
// and minimum reload interval (1s), and counts reloads and upstream API
// updates per deploy. Compare BenchmarkRollingDeployReloads (static
// upstreams: one reload per interval).
func BenchmarkRollingDeployNginxDynamic(b *testing.B) {
	nb := startNginxBench(b, time.Second, Debounce{Min: 20 * time.Millisecond, Max: time.Second})
	apps := benchApps(1000, 10)
	var idx []int
	for i := 1; len(idx) < 100; i += 2 {
		if i%5 != 0 { // TCP apps are static upstreams in the stream block
			idx = append(idx, i)
		}
	}
	var d deployFigures
	for n := range b.N {
		d = rollingDeploy(b, nb.stream, nb.statuses, apps, idx, n)
	}
	b.StopTimer()
	lists, err := nb.p.Runtime.(*NginxRuntime).Lists(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	servers := 0
	for _, i := range idx {
		servers += len(lists[backendName(apps[i].ID, 0)])
	}
	if servers != 1000 {
		b.Errorf("nginx holds %d servers for the deployed apps, want 1000", servers)
	}
	d.report(b)
}
