package lb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"

	"pacer.dev/pacer/internal/loopback"
	"pacer.dev/pacer/internal/proctest"
)

// Real-server tests: the rendered configs run in real nginx and HAProxy on
// loopback ports, in front of small HTTP and TCP servers playing the tasks.
// Each test's LB listens on its own loopback address (loopback.Addr), so
// tests running in parallel never bind the same service port.

// cluster is a set of apps whose tasks are real loopback servers.
type cluster struct {
	apps []marathon.Application
	// addr is the cluster's own loopback address (loopback.Addr), where
	// the LB listens: HTTP on httpPort, TCP services on their service
	// ports, dbPort and queuePort among them.
	addr                        string
	httpPort, dbPort, queuePort int
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	web1, web2, api := namedHTTP(t, "web-1"), namedHTTP(t, "web-2"), namedHTTP(t, "api-1")
	db := bannerTCP(t, "db-1")
	addr := loopback.Addr(t)
	freePort := func() int { return loopback.Port(t, addr) }
	c := &cluster{addr: addr, httpPort: freePort(), dbPort: freePort(), queuePort: freePort()}
	local := func(n, port int) *marathon.Task {
		return task(n, onHost("127.0.0.1"), ports(port), withTaskID("task-"+strconv.Itoa(n)))
	}
	c.apps = []marathon.Application{
		app("/shop/web", withPorts(freePort()), withLabel("subdomain", "web.test"), withLabel("HAPROXY_GROUP", "external"),
			withLabel("HAPROXY_0_VHOST", "web.test"), withHealthCheck("HTTP"),
			withTasks(local(1, web1), local(2, web2), task(9, onHost("127.0.0.1"), ports(1), health(false)))),
		app("/shop/api", withPorts(freePort()), withLabel("subdomain", "api.test"), withLabel("HAPROXY_GROUP", "external"),
			withLabel("HAPROXY_0_VHOST", "api.test"), withTasks(local(3, api))),
		app("/shop/empty", withPorts(freePort()), withLabel("subdomain", "empty.test"), withLabel("HAPROXY_GROUP", "external"),
			withLabel("HAPROXY_0_VHOST", "empty.test"), withTasks(task(4, inState("TASK_KILLING")))),
		app("/shop/db", withPorts(c.dbPort), withLabel("NIXY_PROTOCOL", "tcp"), withLabel("HAPROXY_GROUP", "external"), withTasks(local(5, db))),
		app("/shop/queue", withPorts(c.queuePort), withLabel("NIXY_PROTOCOL", "tcp"), withLabel("HAPROXY_GROUP", "external")),
	}
	// The health-checked web tasks report healthy.
	for _, tk := range c.apps[0].Tasks[:2] {
		health(true)(tk)
	}
	return c
}

func (c *cluster) renderOptions() RenderOptions {
	return RenderOptions{
		ListenHTTP: loopback.HostPort(c.addr, c.httpPort), Bind: c.addr,
		StreamModule: DetectStreamModule(), StatsSocket: "",
	}
}

func TestRealNginx(t *testing.T) {
	nginx := requireBinary(t, "nginx")
	c := newCluster(t)
	prefix := t.TempDir()
	conf := filepath.Join(prefix, "nginx.conf")
	r := NginxRenderer{Options: c.renderOptions()}
	sel := Backends(t.Context(), c.apps, SelectOptions{Flavor: FlavorNixy}, nil)
	cfg, err := r.Render(sel.Backends)
	if err != nil {
		t.Fatal(err)
	}
	validate := []string{nginx, "-t", "-q", "-p", prefix, "-c", FilePlaceholder}
	// nginx is not running yet: the first config is written without reload.
	if _, err := (&FileSink{Path: conf, Validate: validate}).Apply(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	sink := &FileSink{Path: conf, Validate: validate, Reload: []string{nginx, "-p", prefix, "-c", conf, "-s", "reload"}}
	startServer(t, nginx, "-p", prefix, "-c", conf, "-e", "stderr", "-g", "daemon off;")

	checkServing(t, c, "web.test", "web-1", "web-2")
	checkServing(t, c, "web.test.example.org", "web-1", "web-2") // server_name h.*
	checkServing(t, c, "api.test", "api-1")
	checkStatus(t, c, "empty.test", http.StatusServiceUnavailable, "no serving task for /shop/empty")
	checkStatus(t, c, "nobody.test", http.StatusServiceUnavailable, "unknown host")
	checkBanner(t, c, c.dbPort, "db-1")
	checkClosed(t, c, c.queuePort)

	// An invalid config is refused: the file stays and nginx keeps serving.
	before := readFile(t, conf)
	bad := append(bytes.Clone(cfg), []byte("this is not nginx;\n")...)
	changed, err := sink.Apply(t.Context(), bad)
	var ve *ValidationError
	if !errors.As(err, &ve) || changed {
		t.Fatalf("Apply(invalid) = %v, %v; want a *ValidationError and no change", changed, err)
	}
	if !strings.Contains(ve.Output, "unknown directive") {
		t.Errorf("validation output does not carry nginx's diagnostic: %q", ve.Output)
	}
	if !bytes.Equal(before, readFile(t, conf)) {
		t.Error("the invalid config replaced the file")
	}
	checkServing(t, c, "web.test", "web-1", "web-2")

	// A valid change is written and reloaded: web-2 leaves the LB.
	health(false)(c.apps[0].Tasks[1])
	sel = Backends(t.Context(), c.apps, SelectOptions{Flavor: FlavorNixy}, nil)
	cfg, err = r.Render(sel.Backends)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := sink.Apply(t.Context(), cfg); err != nil || !changed {
		t.Fatalf("Apply(valid) = %v, %v", changed, err)
	}
	eventually(t, 10*time.Second, func() error {
		seen := hits(t, c, "web.test", 6)
		if seen["web-2"] > 0 || seen["web-1"] != 6 {
			return fmt.Errorf("after reload, hits %v; want only web-1", seen)
		}
		return nil
	})
}

func TestRealHAProxy(t *testing.T) {
	haproxy := requireBinary(t, "haproxy")
	c := newCluster(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "haproxy.cfg")
	sel := Backends(t.Context(), c.apps, SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"external"}}, nil)
	cfg, err := HAProxyRenderer{Options: c.renderOptions()}.Render(sel.Backends)
	if err != nil {
		t.Fatal(err)
	}
	sink := &FileSink{Path: conf, Validate: []string{haproxy, "-c", "-f", FilePlaceholder}}
	if _, err := sink.Apply(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	startServer(t, haproxy, "-db", "-f", conf)

	checkServing(t, c, "web.test", "web-1", "web-2")
	checkServing(t, c, "API.test:8080", "api-1")
	checkStatus(t, c, "empty.test", http.StatusServiceUnavailable, "")
	checkStatus(t, c, "nobody.test", http.StatusServiceUnavailable, "")
	checkBanner(t, c, c.dbPort, "db-1")
	checkClosed(t, c, c.queuePort)

	before := readFile(t, conf)
	bad := append(bytes.Clone(cfg), []byte("backend broken\n    balance no-such-algorithm\n")...)
	changed, err := sink.Apply(t.Context(), bad)
	var ve *ValidationError
	if !errors.As(err, &ve) || changed {
		t.Fatalf("Apply(invalid) = %v, %v; want a *ValidationError and no change", changed, err)
	}
	if !strings.Contains(ve.Output, "balance only supports") {
		t.Errorf("validation output does not carry HAProxy's diagnostic: %q", ve.Output)
	}
	if !bytes.Equal(before, readFile(t, conf)) {
		t.Error("the invalid config replaced the file")
	}
	checkServing(t, c, "web.test", "web-1", "web-2")
}

// startServer runs a load balancer in the foreground as a child of the test
// (proctest.Start) and returns its pid.
func startServer(t testing.TB, bin string, args ...string) int {
	t.Helper()
	pid, _ := proctest.Start(t, bin, args...)
	return pid
}

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
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

func get(c *cluster, host string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+loopback.HostPort(c.addr, c.httpPort)+"/", nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// hits sends n requests for host and counts the answering backends.
func hits(t *testing.T, c *cluster, host string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		code, body, err := get(c, host)
		switch {
		case err != nil:
			seen["error: "+err.Error()]++
		case code != http.StatusOK:
			seen[strconv.Itoa(code)]++
		default:
			seen[body]++
		}
	}
	return seen
}

// checkServing waits until the LB answers for host, then checks that every
// backend in want (and only those) answers.
func checkServing(t *testing.T, c *cluster, host string, want ...string) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		seen := hits(t, c, host, 4*len(want))
		for _, w := range want {
			if seen[w] == 0 {
				return fmt.Errorf("host %s: hits %v, want each of %v", host, seen, want)
			}
		}
		if len(seen) != len(want) {
			return fmt.Errorf("host %s: hits %v, want only %v", host, seen, want)
		}
		return nil
	})
}

func checkStatus(t *testing.T, c *cluster, host string, code int, bodyPart string) {
	t.Helper()
	got, body, err := get(c, host)
	if err != nil || got != code || !strings.Contains(body, bodyPart) {
		t.Errorf("GET Host %s = %d %q, %v; want %d containing %q", host, got, body, err, code, bodyPart)
	}
}

func checkBanner(t *testing.T, c *cluster, port int, want string) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		conn, err := net.DialTimeout("tcp", loopback.HostPort(c.addr, port), 2*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		b, err := io.ReadAll(conn)
		if string(b) != want+"\n" {
			return fmt.Errorf("tcp %d: read %q, %v; want %q", port, b, err, want)
		}
		return nil
	})
}

// checkClosed: a TCP service without serving task accepts and closes at once.
func checkClosed(t *testing.T, c *cluster, port int) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", loopback.HostPort(c.addr, port), 2*time.Second)
	if err != nil {
		return // refusing is fine too
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	if len(b) != 0 || err != nil {
		t.Errorf("tcp %d without tasks: read %q, %v; want an immediate close", port, b, err)
	}
}

// namedHTTP is a task answering its name; returns its port.
func namedHTTP(t *testing.T, name string) int {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// bannerTCP is a TCP task that writes its name and closes; returns its port.
func bannerTCP(t *testing.T, name string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(conn, name+"\n")
			conn.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
