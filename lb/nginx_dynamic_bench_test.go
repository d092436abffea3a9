package lb

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"pacer.dev/pacer/internal/loopback"
)

// nginxBench is a pipeline in front of a real nginx with dynamic upstreams
// (--nginx-api) serving benchApps(1000, 10): 1,000 apps, 10,000 tasks.
type nginxBench struct {
	p        *Pipeline
	stream   *fakeStream
	statuses chan Status
	clock    *jumpClock
}

func startNginxBench(b *testing.B, minReload time.Duration, deb Debounce) *nginxBench {
	b.Helper()
	nginx := requireBinary(b, "nginx")
	mods := requireLua(b)
	apps := benchApps(1000, 10)
	prefix := b.TempDir()
	// Its own loopback address: the 200 TCP service ports (10000 up) are
	// bound there, clear of other tests' LBs.
	addr := loopback.Addr(b)
	opts := RenderOptions{ListenHTTP: loopback.HostPort(addr, loopback.Port(b, addr)), Bind: addr,
		StreamModule: DetectStreamModule(), NginxAPI: "unix:" + filepath.Join(prefix, "api.sock"), LuaModules: mods}
	renderer := NginxRenderer{Options: opts}
	sink := &FileSink{Path: filepath.Join(prefix, "nginx.conf"), Validate: []string{nginx, "-t", "-q", "-p", prefix, "-c", FilePlaceholder}}
	// nginx starts on the config the pipeline would write, so the
	// pipeline's first pass finds it in place and running.
	sel := Backends(b.Context(), apps, SelectOptions{Flavor: FlavorNixy}, nil)
	cfg, err := renderer.Render(sel.Backends)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sink.Apply(b.Context(), cfg); err != nil {
		b.Fatal(err)
	}
	pid := startServer(b, nginx, "-p", prefix, "-c", sink.Path, "-e", "stderr", "-g", "daemon off;")
	sink.Reload = []string{"kill", "-HUP", strconv.Itoa(pid)}
	rt := &NginxRuntime{API: opts.NginxAPI}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := rt.NginxUpstreams(b.Context()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("nginx's upstream API did not answer within 30s")
		}
		<-time.After(50 * time.Millisecond) // poll
	}
	nb := &nginxBench{stream: &fakeStream{ch: make(chan Event)}, statuses: make(chan Status, 1024), clock: &jumpClock{}}
	nb.p = &Pipeline{
		Clock: nb.clock, MinReloadInterval: minReload, Debounce: deb,
		Source:   &Source{Lister: &fakeLister{apps: apps}, Events: nb.stream, State: &LiveState{}, Resync: time.Hour},
		Select:   SelectOptions{Flavor: FlavorNixy},
		Health:   NewHealthMemory(time.Minute, time.Now),
		Renderer: renderer, Sink: sink, FastPath: true, Runtime: rt,
		OnStatus: func(s Status) { nb.statuses <- s },
	}
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- nb.p.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	if st := <-nb.statuses; st.Err != nil || st.Changed {
		b.Fatalf("first pass: %+v, want the config in place unchanged", st)
	}
	return nb
}

// BenchmarkEventToRuntimeNginx measures one task health change on a
// 1,000-app, 10,000-task cluster served by a real nginx with dynamic
// upstreams: from the event entering the pipeline to the running nginx
// updated through pacer's upstream API and the config file rewritten (no
// validation, no reload).
func BenchmarkEventToRuntimeNginx(b *testing.B) {
	nb := startNginxBench(b, time.Second, Debounce{})
	// Task 0 of app 2 (HTTP, health-checked) flips between unhealthy and healthy.
	apps := benchApps(3, 10)
	id := apps[2].Tasks[0].ID
	lat := make([]time.Duration, 0, b.N)
	runtime := 0
	b.ResetTimer()
	for i := range b.N {
		nb.clock.jump(time.Second)
		start := time.Now()
		nb.stream.ch <- healthEv(apps[2].ID, id, i%2 == 1)
		st := <-nb.statuses
		lat = append(lat, time.Since(start))
		if st.Err != nil || !st.Changed || st.Reloaded {
			b.Fatalf("pass %d: %+v", i, st)
		}
		if st.Runtime {
			runtime++
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(runtime)/float64(b.N), "runtime-ratio")
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
	lists, err := nb.p.Runtime.(*NginxRuntime).NginxUpstreams(b.Context())
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
