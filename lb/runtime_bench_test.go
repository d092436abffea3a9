package lb

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"

	"pacer.dev/pacer/internal/loopback"
)

// runtimeBench is a pipeline in front of a real load balancer with a
// runtime API (HAProxy's stats socket, nginx's upstream API) serving
// benchApps(1000, 10): 1,000 apps, 10,000 tasks.
type runtimeBench struct {
	p        *Pipeline
	stream   *fakeStream
	statuses chan Status
	clock    *jumpClock
	lister   *fakeLister
}

// lbUnderBench is what a benchmark needs of the load balancer: how it
// renders, validates and is reloaded, and its runtime API.
type lbUnderBench struct {
	sel      SelectOptions
	renderer Renderer
	sink     *FileSink
	// start runs the load balancer on the config in place and returns its
	// reload command (nil when it set the sink's Reloader).
	start   func() []string
	runtime RuntimeUpdater
	// ready answers nil once the runtime API answers.
	ready func() error
}

// startRuntimeBench puts the config the pipeline would write in place,
// starts the load balancer on it (so the pipeline's first pass finds it in
// place and running) and runs the pipeline until the benchmark ends.
func startRuntimeBench(b *testing.B, lb lbUnderBench, minReload time.Duration, deb Debounce) *runtimeBench {
	b.Helper()
	apps := benchApps(1000, 10)
	sel := Backends(b.Context(), apps, lb.sel, nil)
	cfg, err := lb.renderer.Render(sel.Backends)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lb.sink.Apply(b.Context(), cfg); err != nil {
		b.Fatal(err)
	}
	lb.sink.Reload = lb.start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := lb.ready()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the runtime API did not answer within 30s: %v", err)
		}
		<-time.After(50 * time.Millisecond) // poll
	}
	rb := &runtimeBench{stream: &fakeStream{ch: make(chan Event)}, statuses: make(chan Status, 1024), clock: &jumpClock{},
		lister: &fakeLister{apps: apps}}
	rb.p = &Pipeline{
		Clock: rb.clock, MinReloadInterval: minReload, Debounce: deb,
		Source:   &Source{Lister: rb.lister, Events: rb.stream, State: &LiveState{}, Resync: time.Hour},
		Select:   lb.sel,
		Health:   NewHealthMemory(time.Minute, time.Now),
		Renderer: lb.renderer, Sink: lb.sink, FastPath: true, Runtime: lb.runtime,
		OnStatus: func(s Status) { rb.statuses <- s },
	}
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- rb.p.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	if st := <-rb.statuses; st.Err != nil || st.Changed {
		b.Fatalf("first pass: %+v, want the config in place unchanged", st)
	}
	return rb
}

func startHAProxyBench(b *testing.B, minReload time.Duration, deb Debounce) *runtimeBench {
	b.Helper()
	haproxy := requireBinary(b, "haproxy")
	dir := b.TempDir()
	socket := filepath.Join(dir, "haproxy.sock")
	// Its own loopback address: the 1,000 service ports (10000 up) are
	// bound there, clear of other tests' LBs.
	addr := loopback.Addr(b)
	sink := &FileSink{Path: filepath.Join(dir, "haproxy.cfg"), Validate: []string{haproxy, "-c", "-f", FilePlaceholder}}
	return startRuntimeBench(b, lbUnderBench{
		sel:      SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}},
		renderer: HAProxyRenderer{Options: RenderOptions{ListenHTTP: loopback.HostPort(addr, loopback.Port(b, addr)), Bind: addr, StatsSocket: socket}},
		sink:     sink,
		start: func() []string {
			// Reloads confirmed through the master CLI (no reload command).
			master := filepath.Join(dir, "master.sock")
			startServer(b, haproxy, "-W", "-db", "-S", master, "-f", sink.Path)
			sink.Reloader = &HAProxyMaster{Socket: master}
			return nil
		},
		runtime: &HAProxyRuntime{Socket: socket},
		ready:   func() error { _, err := (&haproxyRig{socket: socket}).workerPid(); return err },
	}, minReload, deb)
}

// eventToRuntime flips the health of one task of app (health-checked) b.N
// times and reports the latency from the event to the end of the pass,
// which must take the runtime API.
func (rb *runtimeBench) eventToRuntime(b *testing.B, app marathon.Application) {
	id := app.Tasks[0].ID
	lat := make([]time.Duration, 0, b.N)
	runtime := 0
	b.ResetTimer()
	for i := range b.N {
		rb.clock.jump(time.Second)
		start := time.Now()
		// Marathon 1.4 names the instance, not the task.
		rb.stream.ch <- healthEv(app.ID, instanceIDOf(id), i%2 == 1)
		st := <-rb.statuses
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
	rb.lister.mu.Lock()
	b.ReportMetric(float64(rb.lister.reads-1)/float64(b.N), "full-reads/op")
	rb.lister.mu.Unlock()
}

// BenchmarkEventToRuntimeHAProxy measures one task health change on a
// 1,000-app, 10,000-task cluster served by a real HAProxy: from the event
// entering the pipeline to the running HAProxy updated through its stats
// socket and the config file rewritten (no validation, no reload).
func BenchmarkEventToRuntimeHAProxy(b *testing.B) {
	hb := startHAProxyBench(b, time.Second, Debounce{})
	// Task 0 of app 0 (health-checked) flips between unhealthy and healthy.
	hb.eventToRuntime(b, benchApps(1, 10)[0])
}

// BenchmarkRollingDeployHAProxyRuntime replaces 1,000 tasks (10 tasks of
// each of 100 apps, one at a time per app: new task running, old task
// killing, old task killed) through the pipeline in front of a real
// HAProxy, with the default debounce (20ms/1s) and minimum reload interval
// (1s), and counts reloads and runtime API updates per deploy.
func BenchmarkRollingDeployHAProxyRuntime(b *testing.B) {
	hb := startHAProxyBench(b, time.Second, Debounce{Min: 20 * time.Millisecond, Max: time.Second})
	apps := benchApps(1000, 10)
	var odd []int
	for i := 1; i < 200; i += 2 { // the 100 apps without health checks
		odd = append(odd, i)
	}
	var d deployFigures
	for n := range b.N {
		d = rollingDeploy(b, hb.stream, hb.statuses, apps, odd, n)
	}
	b.StopTimer()
	// The running HAProxy serves exactly the 10,000 tasks of the final
	// state: the runtime updates left no slot behind.
	if n, err := readyServers(hb.p.Runtime.(*HAProxyRuntime).Socket); err != nil || n != 10000 {
		b.Errorf("HAProxy has %d servers ready (%v), want 10000", n, err)
	}
	d.report(b)
}

// deployFigures are what a rolling deploy through the pipeline cost.
type deployFigures struct {
	reloads, runtime, passes int
	took                     time.Duration
}

func (d deployFigures) report(b *testing.B) {
	b.ReportMetric(float64(d.reloads), "reloads/deploy")
	b.ReportMetric(float64(d.runtime), "runtime-updates/deploy")
	b.ReportMetric(float64(d.passes), "passes/deploy")
	b.ReportMetric(d.took.Seconds(), "deploy-s")
}

// rollingDeploy replaces the 10 tasks of each app of apps[idx...] (1,000
// tasks for 100 apps), one at a time per app (new task running, old task
// killing, old task killed), 5ms apart, through a running pipeline fed by
// stream, and counts its passes. apps is updated to the new tasks, so the
// next deploy (n+1) replaces them.
func rollingDeploy(b *testing.B, stream *fakeStream, statuses <-chan Status, apps []marathon.Application, idx []int, n int) deployFigures {
	const gap = 5 * time.Millisecond
	var d deployFigures
	count := func(st Status) {
		d.passes++
		if st.Err != nil {
			b.Fatalf("pass: %+v", st)
		}
		if st.Reloaded {
			d.reloads++
		}
		if st.Runtime {
			d.runtime++
		}
	}
	collect := func() {
		for {
			select {
			case st := <-statuses:
				count(st)
			default:
				return
			}
		}
	}
	start := time.Now()
	for _, i := range idx {
		a := apps[i]
		for j, old := range a.Tasks {
			fresh := fmt.Sprintf("%s.deploy%d.%d", a.ID, n, j)
			stream.ch <- status(a.ID, fresh, "TASK_RUNNING", 40000+j)
			stream.ch <- status(a.ID, old.ID, "TASK_KILLING", old.Ports[0])
			stream.ch <- status(a.ID, old.ID, "TASK_KILLED", old.Ports[0])
			collect()
			<-time.After(gap) // pace the deploy: 1,000 tasks in about 5s
		}
		// The next deploy replaces the new tasks.
		a.Tasks = nil
		for j := range 10 {
			a.Tasks = append(a.Tasks, task(j+1, onHost("10.1.0.1"), withTaskID(fmt.Sprintf("%s.deploy%d.%d", a.ID, n, j)), ports(40000+j)))
		}
		apps[i] = a
	}
	// Wait for the last burst.
	deadline := time.After(30 * time.Second)
	for {
		select {
		case st := <-statuses:
			count(st)
			continue
		case <-time.After(1500 * time.Millisecond):
		case <-deadline:
		}
		break
	}
	d.took = time.Since(start)
	return d
}

// readyServers counts the servers of a running HAProxy that are not in
// maintenance and have an address (show servers state).
func readyServers(socket string) (int, error) {
	conn, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("show servers state\n")); err != nil {
		return 0, err
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		// be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...
		if len(f) < 7 || strings.HasPrefix(l, "#") {
			continue
		}
		admin, err := strconv.Atoi(f[6])
		if err == nil && admin&1 == 0 && f[4] != "0.0.0.0" {
			n++
		}
	}
	return n, nil
}
