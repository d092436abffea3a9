package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pacer.dev/pacer/internal/loopback"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/marathonsim"
)

// drainServer is the task the process executor runs in the deploy tests:
// it answers its task id over HTTP, TCP (a banner) or UDP, and on SIGTERM
// keeps serving for 1 s before it exits, like a server draining its
// connections during Marathon's kill grace period.
const drainServer = `import http.server, os, signal, socket, socketserver, sys, threading
tid = os.environ["MESOS_TASK_ID"].encode()
port = int(os.environ["PORT0"])
signal.signal(signal.SIGTERM, lambda *a: threading.Timer(1.0, lambda: os._exit(0)).start())
mode = sys.argv[1]
if mode == "http":
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(tid)))
            self.end_headers()
            self.wfile.write(tid)
        def log_message(self, *a):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
elif mode == "tcp":
    class T(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.sendall(tid + b"\n")
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer(("127.0.0.1", port), T).serve_forever()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        data, addr = s.recvfrom(2048)
        s.sendto(tid, addr)
`

// lbRig is a simulator running real task processes, `pacer lb` and a real
// nginx or HAProxy in front of them, all on loopback. The LB and pacer lb's
// /metrics listen on the rig's own loopback address (loopback.Addr), so
// rigs in parallel tests never bind the same service port.
type lbRig struct {
	t                          *testing.T
	sim                        simAPI
	script, dir, conf          string
	addr                       string // the LB's loopback address
	httpPort, tcpPort, udpPort int
	metricsPort                int
}

func newLBRig(t *testing.T) *lbRig {
	t.Helper()
	lookBinary(t, "python3")
	dir, addr := t.TempDir(), loopback.Addr(t)
	r := &lbRig{t: t, dir: dir, script: filepath.Join(dir, "task.py"),
		sim:  startSimWith(t, marathonsim.Options{Executor: "process", TaskStart: 50 * time.Millisecond}),
		addr: addr, httpPort: loopback.Port(t, addr), tcpPort: loopback.Port(t, addr), udpPort: loopback.Port(t, addr),
		metricsPort: loopback.Port(t, addr)}
	if err := os.WriteFile(r.script, []byte(drainServer), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// webApp is the HTTP app rolled in the deploy tests: health-checked, 2 s
// kill grace period, one task replaced at a time.
func (r *lbRig) webApp(instances int, env map[string]string) map[string]any {
	return map[string]any{
		"id": "/shop/web", "cmd": "exec python3 " + r.script + " http", "instances": instances, "cpus": 0.1, "mem": 32,
		"env":             env,
		"portDefinitions": []map[string]any{{"port": 0, "protocol": "tcp"}},
		"labels": map[string]string{"NIXY_REALM": "internal", "subdomain": "web.test",
			"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.test"},
		"taskKillGracePeriodSeconds": 2,
		"upgradeStrategy":            map[string]any{"minimumHealthCapacity": 1, "maximumOverCapacity": 0.34},
		"healthChecks": []map[string]any{{"protocol": "HTTP", "path": "/", "portIndex": 0,
			"intervalSeconds": 1, "gracePeriodSeconds": 10, "timeoutSeconds": 1, "maxConsecutiveFailures": 0}},
	}
}

// streamApp is a TCP or UDP app on a fixed service port.
func (r *lbRig) streamApp(id, proto string, port, instances int) map[string]any {
	return map[string]any{
		"id": id, "cmd": "exec python3 " + r.script + " " + proto, "instances": instances, "cpus": 0.1, "mem": 32,
		"portDefinitions": []map[string]any{{"port": port, "protocol": proto}},
		"labels": map[string]string{"NIXY_REALM": "internal", "NIXY_PROTOCOL": proto,
			"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": proto},
	}
}

func (r *lbRig) waitHealthy(appID string, n int) []simTask {
	r.t.Helper()
	var tasks []simTask
	pollUntil(r.t, 20*time.Second, func() error {
		if tasks = r.sim.healthyTasks(appID); len(tasks) != n {
			return fmt.Errorf("%s: %d healthy tasks, want %d", appID, len(tasks), n)
		}
		return nil
	})
	return tasks
}

func (r *lbRig) waitRunning(appID string, n int) []simTask {
	r.t.Helper()
	var tasks []simTask
	pollUntil(r.t, 20*time.Second, func() error {
		tasks = r.tasks(appID)
		running := 0
		for _, tk := range tasks {
			if tk.State == "TASK_RUNNING" {
				running++
			}
		}
		if running != n || len(tasks) != n {
			return fmt.Errorf("%s: %d of %d tasks running, want %d", appID, running, len(tasks), n)
		}
		return nil
	})
	return tasks
}

func (r *lbRig) tasks(appID string) []simTask {
	var body struct {
		Tasks []simTask `json:"tasks"`
	}
	r.sim.do("GET", "/v2/apps"+appID+"/tasks", nil, &body)
	return body.Tasks
}

// startLB runs `pacer lb` with args added to the common ones until the test
// ends.
func (r *lbRig) startLB(args ...string) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(r.t.Context())
	done := make(chan cliResult, 1)
	all := append([]string{"lb", "--marathon", r.sim.url, "--out", r.conf,
		"--listen-http", r.at(r.httpPort), "--bind", r.addr,
		"--metrics-listen", r.at(r.metricsPort),
		"--debounce-min", "10ms", "--debounce-max", "200ms"}, args...)
	go func() { done <- runLBCLI(ctx, all...) }()
	r.t.Cleanup(func() {
		cancel()
		res := <-done
		if r.t.Failed() {
			r.t.Logf("pacer lb exit %d, log:\n%s", res.code, res.stderr)
		}
	})
}

// at is the rig's loopback address with port.
func (r *lbRig) at(port int) string { return loopback.HostPort(r.addr, port) }

// metric reads one sample from pacer lb's /metrics.
func (r *lbRig) metric(name string) (string, error) {
	resp, err := http.Get("http://" + r.at(r.metricsPort) + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	for _, l := range bytes.Split(body, []byte("\n")) {
		if f := bytes.Fields(l); len(f) == 2 && string(f[0]) == name {
			return string(f[1]), nil
		}
	}
	return "", fmt.Errorf("metric %s not found", name)
}

// metricInt reads one integer sample from pacer lb's /metrics.
func (r *lbRig) metricInt(name string) int {
	r.t.Helper()
	v, err := r.metric(name)
	if err != nil {
		r.t.Fatal(err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.t.Fatalf("%s = %q: %v", name, v, err)
	}
	return n
}

// listsPort reports whether an nginx or HAProxy config has a server line
// for 127.0.0.1:port, or lists it in a dynamic upstream's
// pacer.balance("name", "addr addr") line (--nginx-api).
func listsPort(conf []byte, port int) bool {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for _, end := range []string{";", "\n", " ", `"`} {
		if bytes.Contains(conf, []byte(addr+end)) {
			return true
		}
	}
	return false
}

// loadLoop sends requests for host through the LB at addr (host:port) from
// workers goroutines until stopped, counting answers by task and failures.
type loadLoop struct {
	mu       sync.Mutex
	byTask   map[string]int
	failures []string
	total    atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startLoad(addr, host string, workers int) *loadLoop {
	l := &loadLoop{byTask: map[string]int{}, stop: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
				req.Host = host
				resp, err := client.Do(req)
				l.total.Add(1)
				if err != nil {
					l.fail(err.Error())
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					l.fail(fmt.Sprintf("%d %q %v", resp.StatusCode, body, err))
					continue
				}
				l.mu.Lock()
				l.byTask[string(body)]++
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *loadLoop) fail(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, s)
}

func (l *loadLoop) finish() (total int64, byTask map[string]int, failures []string) {
	close(l.stop)
	l.wg.Wait()
	return l.total.Load(), l.byTask, l.failures
}

// TestLBRollingDeployNginx: a rolling restart under a steady request loop
// through nginx fails no request, and every old task leaves the config
// while it is TASK_KILLING, before its process is gone. TCP and UDP
// services are proxied by nginx's stream block.
func TestLBRollingDeployNginx(t *testing.T) {
	t.Parallel()
	nginx := lookBinary(t, "nginx")
	r := newLBRig(t)
	prefix := filepath.Join(r.dir, "nginx")
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	r.conf = filepath.Join(prefix, "nginx.conf")
	r.sim.do("POST", "/v2/apps", r.webApp(3, map[string]string{"V": "1"}), nil)
	r.sim.do("POST", "/v2/apps", r.streamApp("/shop/db", "tcp", r.tcpPort, 2), nil)
	r.sim.do("POST", "/v2/apps", r.streamApp("/shop/dns", "udp", r.udpPort, 2), nil)
	old := r.waitHealthy("/shop/web", 3)
	dbTasks := r.waitRunning("/shop/db", 2)
	dnsTasks := r.waitRunning("/shop/dns", 2)

	r.startLB("--format", "nginx", "--realm", "internal", "--nginx-prefix", prefix,
		"--reload-cmd", nginx+" -p "+prefix+" -c "+r.conf+" -s reload")
	pollUntil(t, 10*time.Second, func() error { return configLists(r.conf, old, nil) })
	startNginx(t, nginx, prefix, r.conf)
	pollUntil(t, 10*time.Second, func() error { return servedBy(r.at(r.httpPort), "web.test", taskIDs(old)) })
	pollUntil(t, 10*time.Second, func() error { return reachesAll("tcp", r.at(r.tcpPort), taskIDs(dbTasks)) })
	pollUntil(t, 10*time.Second, func() error { return reachesAll("udp", r.at(r.udpPort), taskIDs(dnsTasks)) })

	r.rollAndCount(old)
}

// TestLBRollingDeployNginxDynamic: the same with --nginx-api: the
// tasks' changes reach nginx through pacer's upstream API (a Lua balancer),
// with no reload during the deploy, still no failed request, and every old
// task out of nginx while it is TASK_KILLING.
func TestLBRollingDeployNginxDynamic(t *testing.T) {
	t.Parallel()
	nginx := lookBinary(t, "nginx")
	if lb.DetectLuaModules() == nil {
		t.Fatal("nginx lua module not found: install it (make deps: apt-get install libnginx-mod-http-lua lua-resty-core)")
	}
	r := newLBRig(t)
	prefix := filepath.Join(r.dir, "nginx")
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	r.conf = filepath.Join(prefix, "nginx.conf")
	r.sim.do("POST", "/v2/apps", r.webApp(3, map[string]string{"V": "1"}), nil)
	r.sim.do("POST", "/v2/apps", r.streamApp("/shop/db", "tcp", r.tcpPort, 2), nil)
	old := r.waitHealthy("/shop/web", 3)
	dbTasks := r.waitRunning("/shop/db", 2)

	// The API socket's directory is for nginx and pacer only.
	apiDir := filepath.Join(r.dir, "api")
	if err := os.Mkdir(apiDir, 0o700); err != nil {
		t.Fatal(err)
	}
	r.startLB("--format", "nginx", "--realm", "internal", "--nginx-prefix", prefix,
		"--nginx-api", "unix:"+filepath.Join(apiDir, "upstreams.sock"),
		"--reload-cmd", nginx+" -p "+prefix+" -c "+r.conf+" -s reload")
	pollUntil(t, 10*time.Second, func() error { return configLists(r.conf, old, nil) })
	if conf, err := os.ReadFile(r.conf); err != nil || !bytes.Contains(conf, []byte("balancer_by_lua_block")) {
		t.Fatalf("config has no dynamic upstream (%v):\n%s", err, conf)
	}
	startNginx(t, nginx, prefix, r.conf)
	pollUntil(t, 10*time.Second, func() error { return servedBy(r.at(r.httpPort), "web.test", taskIDs(old)) })
	pollUntil(t, 10*time.Second, func() error { return reachesAll("tcp", r.at(r.tcpPort), taskIDs(dbTasks)) })
	// The first reload (retried until nginx ran) has happened.
	reloads, runtime := r.rollCountingRuntime(old)
	if reloads != 0 || runtime == 0 {
		t.Errorf("rolling deploy: %d reloads and %d upstream API updates; want no reload, API updates", reloads, runtime)
	}
}

// TestLBRollingDeployHAProxy: the same through `pacer lb --format haproxy`
// and a real HAProxy in master-worker mode, reloaded through its master CLI
// (--haproxy-master-socket, each reload confirmed) with its listening
// sockets passed to the new worker (stats socket expose-fd listeners); TCP
// mode on a service port.
func TestLBRollingDeployHAProxy(t *testing.T) {
	t.Parallel()
	haproxy := lookBinary(t, "haproxy")
	r := newLBRig(t)
	r.conf = filepath.Join(r.dir, "haproxy.cfg")
	r.sim.do("POST", "/v2/apps", r.webApp(3, map[string]string{"V": "1"}), nil)
	r.sim.do("POST", "/v2/apps", r.streamApp("/shop/db", "tcp", r.tcpPort, 2), nil)
	old := r.waitHealthy("/shop/web", 3)
	dbTasks := r.waitRunning("/shop/db", 2)

	// Until HAProxy runs, its master socket is missing: the reload fails
	// and the pipeline retries it.
	master := filepath.Join(r.dir, "master.sock")
	r.startLB("--format", "haproxy", "--group", "external", "--stats-socket", filepath.Join(r.dir, "haproxy.sock"),
		"--haproxy-master-socket", master)
	pollUntil(t, 10*time.Second, func() error { return configLists(r.conf, old, nil) })
	pid := startProcess(t, haproxy, "-W", "-db", "-S", master, "-f", r.conf)
	pollUntil(t, 10*time.Second, func() error { return servedBy(r.at(r.httpPort), "web.test", taskIDs(old)) })
	pollUntil(t, 10*time.Second, func() error { return reachesAll("tcp", r.at(r.tcpPort), taskIDs(dbTasks)) })
	// The first reload (retried until the master socket answered) has happened.
	// Tasks come and go inside the backend's server slots: the runtime API
	// applies them, with at most a handful of reloads (none expected).
	reloads, runtime := r.rollCountingRuntime(old)
	if reloads > 2 || runtime == 0 {
		t.Errorf("rolling deploy: %d reloads and %d runtime updates; want at most 2 reloads, runtime updates", reloads, runtime)
	}
	// Every reload replaced the worker: old workers exit once their
	// connections are done, they do not pile up (mlb#5, #267).
	pollUntil(t, 10*time.Second, func() error {
		if n := groupProcs(t, pid); n != 2 {
			return fmt.Errorf("%d HAProxy processes, want the master and one worker", n)
		}
		return nil
	})
	if err := reachesAll("tcp", r.at(r.tcpPort), taskIDs(dbTasks)); err != nil {
		t.Errorf("TCP service after the deploy: %v", err)
	}
}

// rollCountingRuntime waits for pacer lb's first successful reload (retried
// until the load balancer ran), then runs rollAndCount and returns the
// reloads and runtime API updates the roll cost.
func (r *lbRig) rollCountingRuntime(old []simTask) (reloads, runtime int) {
	r.t.Helper()
	pollUntil(r.t, 10*time.Second, func() error {
		if v, err := r.metric(`pacer_lb_reloads_total{result="ok"}`); err != nil || v == "0" {
			return fmt.Errorf("reloads %q, %v", v, err)
		}
		return nil
	})
	reloadsBefore := r.metricInt(`pacer_lb_reloads_total{result="ok"}`)
	runtimeBefore := r.metricInt(`pacer_lb_runtime_updates_total{result="ok"}`)
	r.rollAndCount(old)
	reloads = r.metricInt(`pacer_lb_reloads_total{result="ok"}`) - reloadsBefore
	runtime = r.metricInt(`pacer_lb_runtime_updates_total{result="ok"}`) - runtimeBefore
	r.t.Logf("rolling deploy: %d reloads, %d runtime API updates", reloads, runtime)
	return reloads, runtime
}

// groupProcs counts the processes in process group pgid (from /proc).
func groupProcs(t *testing.T, pgid int) int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := bytes.Fields(b[i+1:])
		if len(fields) > 2 && string(fields[2]) == strconv.Itoa(pgid) {
			n++
		}
	}
	return n
}

// rollAndCount restarts /shop/web (a new env var) under a request loop,
// then checks: no failed request, the new tasks serve, and every old task
// left the config before it was gone.
func (r *lbRig) rollAndCount(old []simTask) {
	t := r.t
	t.Helper()
	load := startLoad(r.at(r.httpPort), "web.test", 4)
	// Watch the config and the tasks: when did each old task leave the
	// config, when was it gone from Marathon (its process exited)?
	leftConfig, gone := map[string]time.Time{}, map[string]time.Time{}
	sawKilling := map[string]bool{}
	start := time.Now()
	r.sim.do("PUT", "/v2/apps/shop/web", r.webApp(3, map[string]string{"V": "2"}), nil)
	pollUntil(t, 40*time.Second, func() error {
		now := time.Now()
		conf, err := os.ReadFile(r.conf)
		if err != nil {
			return err
		}
		live := map[string]simTask{}
		for _, tk := range r.tasks("/shop/web") {
			live[tk.ID] = tk
		}
		for _, tk := range old {
			if _, ok := leftConfig[tk.ID]; !ok && !listsPort(conf, tk.Ports[0]) {
				leftConfig[tk.ID] = now
			}
			if l, ok := live[tk.ID]; ok && l.State == "TASK_KILLING" {
				sawKilling[tk.ID] = true
			}
			if _, ok := gone[tk.ID]; !ok && live[tk.ID].ID == "" {
				gone[tk.ID] = now
			}
		}
		if len(gone) < len(old) {
			return fmt.Errorf("%d of %d old tasks gone", len(gone), len(old))
		}
		healthy := r.sim.healthyTasks("/shop/web")
		if len(healthy) != 3 {
			return fmt.Errorf("%d new tasks healthy", len(healthy))
		}
		return configLists(r.conf, healthy, old)
	})
	deployTook := time.Since(start)
	fresh := r.sim.healthyTasks("/shop/web")
	pollUntil(t, 10*time.Second, func() error { return servedBy(r.at(r.httpPort), "web.test", taskIDs(fresh)) })
	total, byTask, failures := load.finish()

	t.Logf("rolling deploy took %v: %d requests, %d failed, answers by task %v", deployTook, total, len(failures), byTask)
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during the rolling deploy, first: %s", len(failures), total, failures[0])
	}
	if total < 100 {
		t.Errorf("only %d requests during the deploy; the loop did not run", total)
	}
	for _, tk := range old {
		if !sawKilling[tk.ID] {
			t.Logf("task %s was never seen TASK_KILLING by the poll", tk.ID)
		}
		lc, g := leftConfig[tk.ID], gone[tk.ID]
		if lc.IsZero() || !lc.Before(g) {
			t.Errorf("old task %s left the config at %v, after it was gone at %v", tk.ID, lc.Sub(start), g.Sub(start))
		} else {
			t.Logf("old task %s left the config %v before it was gone", tk.ID, g.Sub(lc))
		}
	}
	for _, tk := range fresh {
		if byTask[tk.ID] == 0 {
			t.Errorf("new task %s got no request", tk.ID)
		}
	}
	if v, err := r.metric(`pacer_lb_reloads_total{result="ok"}`); err != nil || v == "0" {
		t.Errorf("pacer_lb_reloads_total{result=\"ok\"} = %q, %v; want reloads counted", v, err)
	}
}

func taskIDs(ts []simTask) []string {
	ids := make([]string, len(ts))
	for i, tk := range ts {
		ids[i] = tk.ID
	}
	return ids
}

// reachesAll sends datagrams or opens connections to the LB's service port
// addr (host:port) until every task in want answered (and nothing else did).
func reachesAll(network, addr string, want []string) error {
	seen := map[string]int{}
	for range 8 * len(want) {
		conn, err := net.DialTimeout(network, addr, 2*time.Second)
		if err != nil {
			return err
		}
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		if network == "udp" {
			_, _ = conn.Write([]byte("who?"))
		}
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		conn.Close()
		if err != nil {
			return fmt.Errorf("%s %s: %w", network, addr, err)
		}
		seen[string(bytes.TrimSpace(buf[:n]))]++
	}
	for _, w := range want {
		if seen[w] == 0 {
			return fmt.Errorf("%s %s: answers %v, want each of %v", network, addr, seen, want)
		}
	}
	if len(seen) != len(want) {
		return fmt.Errorf("%s %s: answers %v, want only %v", network, addr, seen, want)
	}
	return nil
}
