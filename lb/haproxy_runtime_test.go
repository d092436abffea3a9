package lb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"

	"pacer.dev/pacer/internal/loopback"
	"pacer.dev/pacer/internal/proctest"
)

// haproxyRig runs the pipeline's passes by hand (Pass) in front of a real
// HAProxy in master-worker mode, reloaded through its master CLI.
type haproxyRig struct {
	t      *testing.T
	c      *cluster
	state  *LiveState
	p      *Pipeline
	socket string
}

func newHAProxyRig(t *testing.T, apps ...marathon.Application) *haproxyRig {
	t.Helper()
	haproxy := requireBinary(t, "haproxy")
	dir := t.TempDir()
	addr := loopback.Addr(t)
	c := &cluster{addr: addr, httpPort: loopback.Port(t, addr)}
	r := &haproxyRig{t: t, c: c, state: &LiveState{}, socket: filepath.Join(dir, "haproxy.sock")}
	opts := c.renderOptions()
	opts.StatsSocket = r.socket
	sink := &FileSink{Path: filepath.Join(dir, "haproxy.cfg"), Validate: []string{haproxy, "-c", "-f", FilePlaceholder}}
	r.p = &Pipeline{Source: &Source{State: r.state}, Renderer: HAProxyRenderer{Options: opts}, Sink: sink,
		Select: SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}}, FastPath: true,
		Runtime: &HAProxyRuntime{Socket: r.socket}}
	// The first config is written before HAProxy runs, so without a
	// reload command; the next pass finds it unchanged and in use.
	r.pass(apps...)
	master := filepath.Join(dir, "master.sock")
	proctest.Start(t, haproxy, "-W", "-db", "-S", master, "-f", sink.Path)
	// Reloads are confirmed through the master CLI: none is lost to a
	// master still loading.
	sink.Reloader = &HAProxyMaster{Socket: master}
	eventually(t, 10*time.Second, func() error { _, err := r.workerPid(); return err })
	if st := r.pass(apps...); st.Changed || st.Err != nil {
		t.Fatalf("second pass: %+v", st)
	}
	return r
}

func (r *haproxyRig) pass(apps ...marathon.Application) Status {
	r.t.Helper()
	r.state.Replace(apps, nil)
	st, ok := r.p.Pass(r.t.Context(), time.Time{})
	if !ok {
		r.t.Fatal("not rendered")
	}
	return st
}

// workerPid is the pid of the HAProxy worker answering the stats socket.
func (r *haproxyRig) workerPid() (string, error) {
	conn, err := net.DialTimeout("unix", r.socket, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("show info\n")); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if pid, ok := strings.CutPrefix(sc.Text(), "Pid: "); ok {
			return pid, nil
		}
	}
	return "", errors.New("no Pid in show info")
}

// TestHAProxyRuntimeNoReload: a health change takes a server out of the
// running HAProxy and puts it back through the stats socket, with no
// reload (the same worker answers) and traffic following; a new app is a
// structural change: validated and reloaded once.
func TestHAProxyRuntimeNoReload(t *testing.T) {
	web1, web2, api := namedHTTP(t, "web-1"), namedHTTP(t, "web-2"), namedHTTP(t, "api-1")
	local := func(n, port int, alive bool) *marathon.Task {
		return task(n, onHost("127.0.0.1"), ports(port), withTaskID("web."+strconv.Itoa(n)), health(alive))
	}
	web := func(alive2 bool) marathon.Application {
		return app("/shop/web", withPorts(0), withLabel("HAPROXY_0_VHOST", "web.test"), withHealthCheck("HTTP"),
			withTasks(local(1, web1, true), local(2, web2, alive2)))
	}
	apiApp := app("/shop/api", withPorts(0), withLabel("HAPROXY_0_VHOST", "api.test"),
		withTasks(task(3, onHost("127.0.0.1"), ports(api), withTaskID("api.3"))))
	r := newHAProxyRig(t, web(true))
	c := r.c
	checkServing(t, c, "web.test", "web-1", "web-2")
	worker, err := r.workerPid()
	if err != nil {
		t.Fatal(err)
	}

	for i, alive := range []bool{false, true, false, true} {
		st := r.pass(web(alive))
		if !st.Runtime || st.Reloaded || st.Validated || !st.Changed || st.Err != nil {
			t.Fatalf("health change %d: %+v, want a runtime update without reload", i, st)
		}
		if alive {
			checkServing(t, c, "web.test", "web-1", "web-2")
		} else {
			checkServing(t, c, "web.test", "web-1")
		}
	}
	if w, err := r.workerPid(); err != nil || w != worker {
		t.Errorf("worker pid %q (%v) after health changes, want %s: HAProxy was reloaded", w, err, worker)
	}

	st := r.pass(web(true), apiApp)
	if st.Runtime || !st.Validated || !st.Reloaded || st.Err != nil {
		t.Fatalf("new app: %+v, want validated and reloaded", st)
	}
	eventually(t, 10*time.Second, func() error {
		if w, err := r.workerPid(); err != nil || w == worker {
			return fmt.Errorf("worker %q (%v), want a new one after the reload", w, err)
		}
		return nil
	})
	checkServing(t, c, "api.test", "api-1")
	if st := r.pass(web(false), apiApp); !st.Runtime || st.Err != nil {
		t.Fatalf("health change after the reload: %+v", st)
	}
	checkServing(t, c, "web.test", "web-1")
}

// TestHAProxyRuntimeFallback: when the runtime API fails, the change is
// validated and reloaded instead, and the running state is re-learned.
func TestHAProxyRuntimeFallback(t *testing.T) {
	dir := t.TempDir()
	state := &LiveState{}
	sink := &FileSink{Path: filepath.Join(dir, "haproxy.cfg"), Reload: []string{"true"}}
	p := &Pipeline{Source: &Source{State: state}, Renderer: HAProxyRenderer{}, Sink: sink,
		Select: SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"*"}}, FastPath: true,
		Runtime: &HAProxyRuntime{Socket: filepath.Join(dir, "missing.sock"), Timeout: time.Second}}
	web := func(n int) marathon.Application {
		var ts []*marathon.Task
		for i := range n {
			ts = append(ts, task(i+1, onHost("10.0.0.1"), ports(31000+i)))
		}
		return app("/web", withPorts(10001), withTasks(ts...))
	}
	for i, tc := range []struct {
		tasks           int
		runtime, reload bool
	}{{1, false, true}, {2, false, true}, {3, false, true}} {
		state.Replace([]marathon.Application{web(tc.tasks)}, nil)
		st, _ := p.Pass(context.Background(), time.Time{})
		if st.Err != nil || st.Runtime != tc.runtime || st.Reloaded != tc.reload {
			t.Errorf("pass %d: %+v, want runtime %t reloaded %t", i, st, tc.runtime, tc.reload)
		}
	}
}
