package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/loopback"
	"pacer.dev/pacer/internal/proctest"
	"pacer.dev/pacer/marathonsim"
)

// runLBCLI runs `pacer <args>` with the lb command in place of the
// placeholder root.go registers until issue 6 is wired in.
func runLBCLI(ctx context.Context, args ...string) cliResult {
	var out, errOut proctest.Buffer
	a := &app{stdout: &out, stderr: &errOut}
	root := newRootCmd(a)
	if old, _, err := root.Find([]string{"lb"}); err == nil && old != root {
		root.RemoveCommand(old)
	}
	root.AddCommand(newLBCmd(a))
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := exitOK
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(&errOut, "error: %v\n", err)
		code = exitError
	}
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestLBFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no marathon", []string{"lb", "--out", "x"}, "--marathon is required"},
		{"no out", []string{"lb", "--marathon", "http://m:8080"}, "--out is required"},
		{"bad format", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--format", "traefik"}, `--format "traefik"`},
		{"haproxy without group", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--format", "haproxy"}, "needs --group"},
		{"realm with haproxy", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--format", "haproxy", "--group", "a", "--realm", "r"}, "--realm needs --format nginx"},
		{"debounce min above max", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--debounce-min", "2s", "--debounce-max", "1s"}, "larger than max"},
		{"missing template", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--template", "/nonexistent.tmpl"}, "--template"},
		{"nginx api with haproxy", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--format", "haproxy", "--group", "a", "--nginx-api", "127.0.0.1:9180"}, "--nginx-api needs the nginx format"},
		{"nginx api with template", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--template", "/t.tmpl", "--nginx-api", "127.0.0.1:9180"}, "not a template"},
		{"nginx api on a public address", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--nginx-api", "0.0.0.0:9180"}, "loopback address or a unix socket"},
		{"nginx api socket in /tmp", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--nginx-api", "unix:/tmp/pacer-upstreams.sock"}, "other users could reach the socket"},
		{"nginx api socket in a missing directory", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--nginx-api", "unix:/nonexistent/pacer/upstreams.sock"}, "install -d -m 0750 /nonexistent/pacer"},
		{"nginx api relative socket", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--nginx-api", "unix:api.sock"}, "must be absolute"},
		{"haproxy that nothing reloads", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--format", "haproxy", "--group", "a"}, "needs --haproxy-master-socket"},
		{"master socket with reload cmd", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--format", "haproxy", "--group", "a",
			"--haproxy-master-socket", "/run/m.sock", "--reload-cmd", "true"}, "give one"},
		{"master socket with nginx", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--haproxy-master-socket", "/run/m.sock"}, "needs --format haproxy"},
		{"nginx api without port", []string{"lb", "--marathon", "http://m:8080", "--out", "x", "--nginx-api", "localhost"}, "want unix:/path or host:port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runLBCLI(t.Context(), tc.args...)
			if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// simAPI talks to a simulator over HTTP.
type simAPI struct {
	t   *testing.T
	url string
}

func (s simAPI) do(method, path string, body any, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

type simTask struct {
	ID                 string `json:"id"`
	State              string `json:"state"`
	Ports              []int  `json:"ports"`
	HealthCheckResults []struct {
		Alive bool `json:"alive"`
	} `json:"healthCheckResults"`
}

// healthyTasks lists the app's running tasks with all health results alive.
func (s simAPI) healthyTasks(appID string) []simTask {
	var body struct {
		Tasks []simTask `json:"tasks"`
	}
	s.do("GET", "/v2/apps"+appID+"/tasks", nil, &body)
	var out []simTask
	for _, t := range body.Tasks {
		ok := t.State == "TASK_RUNNING" && len(t.HealthCheckResults) > 0
		for _, h := range t.HealthCheckResults {
			ok = ok && h.Alive
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}

func startSimWith(t *testing.T, opts marathonsim.Options) simAPI {
	t.Helper()
	sim, err := marathonsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = sim.Close()
	})
	return simAPI{t: t, url: srv.URL}
}

// TestLBOnceAndPrintData renders once against the virtual simulator.
func TestLBOnceAndPrintData(t *testing.T) {
	sim := startSimWith(t, marathonsim.Options{TaskStart: 10 * time.Millisecond})
	sim.do("POST", "/v2/apps", map[string]any{
		"id": "/shop/web", "cmd": "sleep 1000", "instances": 2, "cpus": 0.1, "mem": 32,
		"labels": map[string]string{"NIXY_REALM": "internal", "subdomain": "web.test"},
	}, nil)
	sim.do("POST", "/v2/apps", map[string]any{
		"id": "/shop/other", "cmd": "sleep 1000", "instances": 1, "cpus": 0.1, "mem": 32,
		"labels": map[string]string{"NIXY_REALM": "external"},
	}, nil)
	pollUntil(t, 10*time.Second, func() error {
		var body struct {
			Apps []struct {
				TasksRunning int `json:"tasksRunning"`
			} `json:"apps"`
		}
		sim.do("GET", "/v2/apps", nil, &body)
		if len(body.Apps) != 2 || body.Apps[0].TasksRunning+body.Apps[1].TasksRunning != 3 {
			return fmt.Errorf("apps %+v not running yet", body.Apps)
		}
		return nil
	})

	r := runLBCLI(t.Context(), "lb", "--marathon", sim.url, "--realm", "internal", "--print-data")
	if r.code != exitOK {
		t.Fatalf("print-data: exit %d\n%s", r.code, r.stderr)
	}
	var data struct {
		Backends []struct {
			Name    string   `json:"name"`
			Hosts   []string `json:"hosts"`
			Servers []any    `json:"servers"`
		} `json:"backends"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &data); err != nil {
		t.Fatalf("print-data output: %v\n%s", err, r.stdout)
	}
	got := []string{}
	for _, b := range data.Backends {
		got = append(got, fmt.Sprintf("%s %v %d", b.Name, b.Hosts, len(b.Servers)))
	}
	if diff := cmp.Diff([]string{"shop_web_0 [web.test] 2"}, got); diff != "" {
		t.Errorf("backends (-want +got):\n%s", diff)
	}

	out := filepath.Join(t.TempDir(), "nginx.conf")
	r = runLBCLI(t.Context(), "lb", "--marathon", sim.url, "--realm", "internal", "--out", out, "--once", "--validate-cmd", "none")
	if r.code != exitOK || !strings.Contains(r.stdout, "1 backends, 2 servers, changed true") {
		t.Fatalf("once: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if conf, err := os.ReadFile(out); err != nil || !strings.Contains(string(conf), "server_name web.test web.test.*;") {
		t.Errorf("config: %v\n%s", err, conf)
	}
}

// taskServer is the app the process executor runs: it answers its task id.
const taskServer = `import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = os.environ["MESOS_TASK_ID"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT0"])), H).serve_forever()
`

// TestLBRealNginx: simulator tasks are real python HTTP servers, nginx runs
// on loopback, and `pacer lb` keeps it converged: every healthy task gets
// traffic, a task made unhealthy leaves within 2 s, a failed task leaves.
func TestLBRealNginx(t *testing.T) {
	nginx := lookBinary(t, "nginx")
	lookBinary(t, "python3")
	dir := t.TempDir()
	script := filepath.Join(dir, "task.py")
	if err := os.WriteFile(script, []byte(taskServer), 0o644); err != nil {
		t.Fatal(err)
	}
	sim := startSimWith(t, marathonsim.Options{Executor: "process", TaskStart: 50 * time.Millisecond})
	sim.do("POST", "/v2/apps", map[string]any{
		"id": "/shop/web", "cmd": "exec python3 " + script, "instances": 3, "cpus": 0.1, "mem": 32,
		"portDefinitions": []map[string]any{{"port": 0, "protocol": "tcp"}},
		"labels":          map[string]string{"NIXY_REALM": "internal", "subdomain": "web.test"},
		"healthChecks": []map[string]any{{"protocol": "HTTP", "path": "/", "portIndex": 0,
			"intervalSeconds": 1, "gracePeriodSeconds": 10, "timeoutSeconds": 1, "maxConsecutiveFailures": 0}},
	}, nil)
	pollUntil(t, 20*time.Second, func() error {
		if n := len(sim.healthyTasks("/shop/web")); n != 3 {
			return fmt.Errorf("%d healthy tasks, want 3", n)
		}
		return nil
	})

	prefix := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(prefix, "nginx.conf")
	addr := loopback.Addr(t)
	lbHTTP := loopback.HostPort(addr, loopback.Port(t, addr))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan cliResult, 1)
	go func() {
		done <- runLBCLI(ctx, "lb", "--marathon", sim.url, "--realm", "internal", "--format", "nginx",
			"--out", conf, "--nginx-prefix", prefix, "--listen-http", lbHTTP, "--bind", addr,
			"--reload-cmd", nginx+" -p "+prefix+" -c "+conf+" -s reload",
			"--validate-cmd", nginx+" -t -q -p "+prefix+" -c {file}",
			"--debounce-min", "10ms", "--debounce-max", "200ms")
	}()
	t.Cleanup(func() {
		cancel()
		r := <-done
		if t.Failed() {
			t.Logf("pacer lb exit %d, log:\n%s", r.code, r.stderr)
		}
	})

	// nginx is not running yet: the first config is written, the reload
	// fails and is retried, and the loop goes on.
	tasks := sim.healthyTasks("/shop/web")
	pollUntil(t, 10*time.Second, func() error { return configLists(conf, tasks, nil) })
	startNginx(t, nginx, prefix, conf)

	want := make([]string, len(tasks))
	for i, tk := range tasks {
		want[i] = tk.ID
	}
	pollUntil(t, 10*time.Second, func() error { return servedBy(lbHTTP, "web.test", want) })

	// Unhealthy: leaves the config, then gets no traffic. Usually within
	// 1-2 s (the reload spacing of --min-reload-interval); the deadline is
	// wider so a loaded machine does not fail the test: how fast is
	// measured by the lb benchmarks (docs/benchmarks.md), not here.
	sick := tasks[0]
	start := time.Now()
	sim.do("POST", "/sim/v1/tasks/"+sick.ID+"/health", map[string]bool{"alive": false}, nil)
	pollUntil(t, 10*time.Second, func() error { return configLists(conf, tasks[1:], []simTask{sick}) })
	t.Logf("unhealthy task left the config after %v", time.Since(start))
	pollUntil(t, 5*time.Second, func() error { return servedBy(lbHTTP, "web.test", want[1:]) })

	// Killed (the process fails): leaves the config too.
	dead := tasks[1]
	start = time.Now()
	sim.do("POST", "/sim/v1/tasks/"+dead.ID+"/fail", nil, nil)
	pollUntil(t, 10*time.Second, func() error { return configLists(conf, nil, []simTask{sick, dead}) })
	t.Logf("failed task left the config after %v", time.Since(start))
	pollUntil(t, 5*time.Second, func() error {
		seen, err := hitsOn(lbHTTP, "web.test", 6)
		if err != nil {
			return err
		}
		if seen[dead.ID] > 0 || seen[sick.ID] > 0 {
			return fmt.Errorf("hits %v still reach removed tasks", seen)
		}
		return nil
	})
}

// configLists checks that the config has a server line for every task in
// in and none for the tasks in out.
func configLists(conf string, in, out []simTask) error {
	b, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	for _, tk := range in {
		if !listsPort(b, tk.Ports[0]) {
			return fmt.Errorf("config lacks task %s (port %d)", tk.ID, tk.Ports[0])
		}
	}
	for _, tk := range out {
		if listsPort(b, tk.Ports[0]) {
			return fmt.Errorf("config still lists task %s (port %d)", tk.ID, tk.Ports[0])
		}
	}
	return nil
}

// hitsOn sends n requests for host to the LB's HTTP listener addr
// (host:port) and counts the answers by body (a task id) or status.
func hitsOn(addr, host string, n int) (map[string]int, error) {
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]int{}
	for range n {
		req, err := http.NewRequest("GET", "http://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			seen[strconv.Itoa(resp.StatusCode)]++
			continue
		}
		seen[string(body)]++
	}
	return seen, nil
}

// servedBy checks that requests for host to the LB at addr (host:port)
// reach every task in want and nothing else.
func servedBy(addr, host string, want []string) error {
	seen, err := hitsOn(addr, host, 6*len(want))
	if err != nil {
		return err
	}
	for _, w := range want {
		if seen[w] == 0 {
			return fmt.Errorf("hits %v, want each of %v", seen, want)
		}
	}
	if len(seen) != len(want) {
		return fmt.Errorf("hits %v, want only %v", seen, want)
	}
	return nil
}

// startNginx runs nginx in the foreground in its own process group and
// stops it in t.Cleanup.
func startNginx(t *testing.T, nginx, prefix, conf string) {
	t.Helper()
	startProcess(t, nginx, "-p", prefix, "-c", conf, "-e", "stderr", "-g", "daemon off;")
}

// startProcess runs a server as a child of the test (proctest.Start) and
// returns its pid.
func startProcess(t *testing.T, bin string, args ...string) int {
	t.Helper()
	pid, _ := proctest.Start(t, bin, args...)
	return pid
}

func lookBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install it (make deps: apt-get install nginx-light libnginx-mod-stream haproxy python3)", name)
	}
	return p
}

// pollUntil polls cond in real time until it returns nil or the timeout
// passes; only for tests with real processes.
func pollUntil(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		<-tick.C
	}
}
