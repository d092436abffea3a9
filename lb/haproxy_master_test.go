package lb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/loopback"
	"pacer.dev/pacer/internal/proctest"
)

func TestParseShowProc(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     masterProcs
		err      bool
	}{
		{name: "started", in: `#<PID>          <type>          <reloads>       <uptime>        <version>      
13392           master          0 [failed: 0]   0d00h10m08s     2.6.12-1+deb12u4
# workers
13450           worker          0               0d00h10m08s     2.6.12-1+deb12u4
# programs
`, want: masterProcs{Workers: []int{13450}}},
		{name: "after a failed reload, old workers finishing", in: `#<PID>          <type>          <reloads>       <uptime>        <version>      
13392           master          2 [failed: 1]   0d00h10m18s     2.6.12-1+deb12u4
# workers
10987           worker          1               0d00h00m01s     2.6.12-1+deb12u4
# old workers
9012            worker          3               0d00h00m09s     2.6.12-1+deb12u4
# programs
`, want: masterProcs{Reloads: 2, Failed: 1, Workers: []int{10987}}},
		{name: "not the master CLI", in: "Unknown command: 'show proc'\n", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseShowProc(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %t", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(masterProcs{})); !tc.err && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// masterRig is a real HAProxy in master-worker mode with a master CLI,
// serving benchApps(1000, 10), and a pipeline in front of it reloading
// through HAProxyMaster.
type masterRig struct {
	t        *testing.T
	master   *HAProxyMaster
	lister   *fakeLister
	stream   *fakeStream
	p        *Pipeline
	statuses chan Status
	out      *proctest.Buffer
	sel      SelectOptions
}

func newMasterRig(t *testing.T, apps []marathon.Application, runtime bool) *masterRig {
	t.Helper()
	haproxy := requireBinary(t, "haproxy")
	dir := t.TempDir()
	addr := loopback.Addr(t)
	opts := RenderOptions{ListenHTTP: loopback.HostPort(addr, loopback.Port(t, addr)), Bind: addr}
	var rt RuntimeUpdater
	if runtime {
		opts.StatsSocket = filepath.Join(dir, "haproxy.sock")
		rt = &HAProxyRuntime{Socket: opts.StatsSocket}
	}
	r := &masterRig{t: t, master: &HAProxyMaster{Socket: filepath.Join(dir, "master.sock")},
		lister: &fakeLister{apps: apps}, stream: &fakeStream{ch: make(chan Event)}, statuses: make(chan Status, 1024),
		sel: SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}}}
	renderer := HAProxyRenderer{Options: opts}
	sink := &FileSink{Path: filepath.Join(dir, "haproxy.cfg"), Validate: []string{haproxy, "-c", "-f", FilePlaceholder}}
	cfg, err := renderer.Render(Backends(t.Context(), apps, r.sel, nil).Backends)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Apply(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	_, r.out = proctest.Start(t, haproxy, "-W", "-db", "-S", r.master.Socket, "-f", sink.Path)
	eventually(t, 60*time.Second, func() error {
		p, _, err := r.master.showProc(t.Context())
		if err == nil && len(p.Workers) == 0 {
			err = errors.New("no worker yet")
		}
		if err == nil {
			err = r.master.workerAnswers(t.Context(), p.Workers[0])
		}
		return err
	})
	sink.Reloader = r.master
	r.p = &Pipeline{
		Source:   &Source{Lister: r.lister, Events: r.stream, State: &LiveState{}, Resync: time.Hour},
		Select:   r.sel,
		Renderer: renderer, Sink: sink, FastPath: true, Runtime: rt,
		Debounce: Debounce{Min: time.Millisecond, Max: 10 * time.Millisecond},
		OnStatus: func(s Status) { r.statuses <- s },
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case st := <-r.statuses:
		if st.Err != nil || st.Changed {
			t.Fatalf("first pass: %+v, want the config in place unchanged", st)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no first pass within 60s")
	}
	return r
}

// change makes apps Marathon's state and tells the pipeline (a stream gap:
// it re-reads everything).
func (r *masterRig) change(apps []marathon.Application) {
	r.lister.set(apps...)
	r.stream.ch <- Event{Gap: true}
}

// serving is what the running HAProxy serves, read through the master CLI
// from its current worker (@1): "backend address" for every server not in
// maintenance, sorted, and the backends it has.
func (r *masterRig) serving(ctx context.Context) (servers, backends []string, err error) {
	var b strings.Builder
	if err := r.master.command(ctx, "@1 show servers state", &b); err != nil {
		return nil, nil, err
	}
	lines := strings.Split(b.String(), "\n")
	var cols []string
	seen := map[string]bool{}
	for _, l := range lines {
		if h, ok := strings.CutPrefix(l, "# "); ok && cols == nil {
			cols = strings.Fields(h)
			continue
		}
		f := strings.Fields(l)
		if cols == nil || len(f) != len(cols) {
			continue
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = f[i]
		}
		if !seen[row["be_name"]] {
			seen[row["be_name"]] = true
			backends = append(backends, row["be_name"])
		}
		if row["srv_admin_state"] == "0" {
			servers = append(servers, row["be_name"]+" "+row["srv_addr"]+":"+row["srv_port"])
		}
	}
	if cols == nil {
		return nil, nil, fmt.Errorf("no servers state header in %q", firstLine(b.String()))
	}
	slices.Sort(servers)
	slices.Sort(backends)
	return servers, backends, nil
}

// want is what HAProxy must serve for apps: every serving task, and the
// backends with servers (HAProxy lists a backend in show servers state
// only when it has server lines).
func (r *masterRig) want(apps []marathon.Application) (servers, backends []string) {
	for _, b := range Backends(r.t.Context(), apps, r.sel, nil).Backends {
		if b.Protocol == ProtocolUDP {
			continue
		}
		if len(b.Servers) > 0 || r.p.Runtime != nil {
			backends = append(backends, b.Name)
		}
		for _, s := range b.Servers {
			servers = append(servers, b.Name+" "+s.Address())
		}
	}
	slices.Sort(servers)
	slices.Sort(backends)
	return servers, backends
}

// burst is a rolling change of a 1,000-app cluster: step k removes the
// first k apps (a structural change: validate and reload) and moves the
// first task of the last app to port 40000+k.
func burst(base []marathon.Application, k int) []marathon.Application {
	apps := make([]marathon.Application, 0, len(base))
	for _, a := range base[k:] {
		apps = append(apps, a)
	}
	last := apps[len(apps)-1]
	tasks := make([]*marathon.Task, len(last.Tasks))
	for i, tk := range last.Tasks {
		c := *tk
		tasks[i] = &c
	}
	tasks[0].Ports = []int{40000 + k}
	last.Tasks = tasks
	apps[len(apps)-1] = last
	return apps
}

// TestHAProxyMasterServesLastConfig: a burst of changes to a 1,000-app
// HAProxy, each arriving while the previous reload still runs, ends with
// the running HAProxy serving exactly the last config, in reload mode
// (every change reloads) and in runtime mode (structural changes reload,
// task changes go through the stats socket). Every reload is confirmed,
// none is reported failed, and the reloads were spaced by their measured
// duration. Issue 22: with `kill -USR2` as the reload command, HAProxy drops
// the signals arriving while it reloads and the last config is not loaded.
func TestHAProxyMasterServesLastConfig(t *testing.T) {
	for _, mode := range []string{"reload", "runtime"} {
		t.Run(mode, func(t *testing.T) {
			base := benchApps(1000, 10)
			r := newMasterRig(t, base, mode == "runtime")
			// Changes come every 100ms, faster than a validation and
			// reload of this config (a second or more): each arrives
			// while one runs. Eight structural ones, then task changes
			// in the last structure, 100ms apart: the first arrive
			// during the reloads; in runtime mode they go on until one
			// went through the runtime API, after a reload, to the
			// worker that reload started.
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			var final []marathon.Application
			var reloads, runtimes int
			var took time.Duration // the last reload's
			drain := func() {
				for {
					select {
					case st := <-r.statuses:
						if st.Err != nil || st.ReloadFailure != nil {
							t.Fatalf("pass failed: %v (reload failure %v)", st.Err, st.ReloadFailure)
						}
						if st.Reloaded {
							reloads++
							took = st.ReloadTook
						}
						if st.Runtime {
							runtimes++
						}
					default:
						return
					}
				}
			}
			const structural, maxChanges = 8, 200
			k := 1
			for ; k <= maxChanges; k++ {
				final = burst(base, min(k, structural))
				if k > structural {
					ts := final[len(final)-1].Tasks
					c := *ts[1]
					c.Ports = []int{41000 + k}
					ts[1] = &c
				}
				r.change(final)
				<-tick.C // pace the burst
				drain()
				if k >= structural+10 && (mode == "reload" || runtimes > 0) {
					break
				}
			}
			wantServers, wantBackends := r.want(final)
			eventually(t, 120*time.Second, func() error {
				drain()
				servers, backends, err := r.serving(t.Context())
				if err != nil {
					return err
				}
				if diff := cmp.Diff(wantBackends, backends); diff != "" {
					return fmt.Errorf("backends HAProxy runs (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantServers, servers); diff != "" {
					return fmt.Errorf("servers HAProxy serves (-want +got):\n%s", diff)
				}
				return nil
			})
			if reloads == 0 {
				t.Error("no pass reloaded")
			}
			if mode == "runtime" && runtimes == 0 {
				t.Error("no pass went through the runtime API")
			}
			t.Logf("%d reloads, %d runtime updates for %d changes; last reload took %v", reloads, runtimes, k, took)
			if st := r.p.LastStatus(); st.ReloadFailure != nil {
				t.Errorf("LastStatus().ReloadFailure = %v", st.ReloadFailure)
			}
		})
	}
}

// TestHAProxyMasterReloadFailure: a reload the master cannot load (the
// config is in place but its service port is taken) is retried, then
// reported as a *ReloadError; the pipeline's status carries it as
// ReloadFailure (LBReloadFailed) until a reload takes.
func TestHAProxyMasterReloadFailure(t *testing.T) {
	haproxy := requireBinary(t, "haproxy")
	dir := t.TempDir()
	addr := loopback.Addr(t)
	port := loopback.Port(t, addr)
	cfg := func(bind string) []byte {
		return []byte("global\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nlisten a\n    bind " +
			bind + "\n    server s1 127.0.0.1:9\n")
	}
	path := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, path, cfg(loopback.HostPort(addr, port)))
	m := &HAProxyMaster{Socket: filepath.Join(dir, "master.sock"), Timeout: 5 * time.Second, Attempts: 2}
	proctest.Start(t, haproxy, "-W", "-db", "-S", m.Socket, "-f", path)
	eventually(t, 30*time.Second, func() error {
		p, _, err := m.showProc(t.Context())
		if err == nil && len(p.Workers) == 0 {
			err = errors.New("no worker yet")
		}
		return err
	})
	sink := &FileSink{Path: path, Reloader: m}

	// A port another process holds: the new master cannot bind it.
	taken, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	changed, err := sink.Apply(t.Context(), cfg(taken.Addr().String()))
	var re *ReloadError
	if !changed || !errors.As(err, &re) || !errors.Is(err, ErrReloadFailed) {
		t.Fatalf("Apply(unbindable) = %v, %v; want changed and a *ReloadError wrapping ErrReloadFailed", changed, err)
	}
	if !strings.Contains(err.Error(), "2 attempts") {
		t.Errorf("error %q does not say the reload was retried", err)
	}
	p := &Pipeline{Sink: sink}
	p.reloadFailure = err
	if p.retryReload(t.Context()) != true || p.LastStatus().ReloadFailure == nil {
		t.Fatalf("retry of the same config: want still failing, status %+v", p.LastStatus())
	}
	writeFile(t, path, cfg(loopback.HostPort(addr, port)))
	if p.retryReload(t.Context()) || p.LastStatus().ReloadFailure != nil {
		t.Fatalf("retry after the fix: want done, status %+v", p.LastStatus())
	}
}

// TestReloadSpacing: with a sink that confirms its reloads, the next
// reload waits at least as long as the last one took, not a fixed
// interval; with a reload command the interval is the configured one.
func TestReloadSpacing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sink      *FileSink
		min, took time.Duration
		want      time.Duration
	}{
		{"confirmed, slow reload", &FileSink{Reloader: &HAProxyMaster{}}, 0, 800 * time.Millisecond, 800 * time.Millisecond},
		{"confirmed, fast reload keeps the minimum", &FileSink{Reloader: &HAProxyMaster{}}, time.Second, 20 * time.Millisecond, time.Second},
		{"reload command", &FileSink{Reload: []string{"true"}}, time.Second, 3 * time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Pipeline{Sink: tc.sink, MinReloadInterval: tc.min}
			if got := p.reloadSpacing(tc.took); got != tc.want {
				t.Errorf("reloadSpacing(%v) = %v, want %v", tc.took, got, tc.want)
			}
		})
	}
}

// fakeMaster is a master CLI that drops the first `drop` reloads (as
// HAProxy drops a SIGUSR2 that arrives while it reloads) and then starts a
// new worker on each.
type fakeMaster struct {
	mu            sync.Mutex
	drop          int
	reloads, sent int
	worker        int
}

func (f *fakeMaster) serve(t *testing.T, socket string) {
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f.worker = 100
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.handle(c)
		}
	}()
}

func (f *fakeMaster) handle(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch cmd := strings.TrimSpace(line); {
	case cmd == "show proc":
		fmt.Fprintf(c, "#<PID>          <type>          <reloads>       <uptime>        <version>\n"+
			"1               master          %d [failed: 0]   0d00h00m01s     2.6.12\n# workers\n%d               worker          0               0d00h00m01s     2.6.12\n# programs\n\n",
			f.reloads, f.worker)
	case cmd == "reload":
		f.sent++
		if f.sent > f.drop {
			f.reloads++
			f.worker++
		}
	case strings.HasPrefix(cmd, "@!"):
		pid, _, _ := strings.Cut(strings.TrimPrefix(cmd, "@!"), " ")
		if pid == strconv.Itoa(f.worker) {
			fmt.Fprintf(c, "Name: HAProxy\nPid: %s\n", pid)
		}
	}
}

// TestHAProxyMasterResendsDroppedReload: a reload the master never counts
// is sent again after the attempt's timeout; one dropped every time is
// reported as not taken.
func TestHAProxyMasterResendsDroppedReload(t *testing.T) {
	for _, tc := range []struct {
		name      string
		drop      int
		wantErr   error
		wantSent  int
		wantTaken int
	}{
		{"first dropped, second taken", 1, nil, 2, 1},
		{"all dropped", 5, ErrReloadNotTaken, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			socket := filepath.Join(t.TempDir(), "master.sock")
			f := &fakeMaster{drop: tc.drop}
			f.serve(t, socket)
			m := &HAProxyMaster{Socket: socket, Timeout: 200 * time.Millisecond}
			err := m.Reload(t.Context())
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Reload() = %v, want %v", err, tc.wantErr)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.sent != tc.wantSent || f.reloads != tc.wantTaken {
				t.Errorf("reload sent %d times, taken %d; want %d, %d", f.sent, f.reloads, tc.wantSent, tc.wantTaken)
			}
		})
	}
}
