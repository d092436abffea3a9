package marathonsim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// processSim is a Server with the process executor on the real clock.
func processSim(t *testing.T, opts Options) *sim {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes")
	}
	opts.Executor = "process"
	if opts.TaskStart == 0 {
		opts.TaskStart = 50 * time.Millisecond
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &sim{t: t, s: s}
}

// dockerApp is an app as examples/specs write them: a Docker image, BRIDGE
// port mappings with hostPort 0 and no cmd.
func dockerApp(id, image string, instances int, mappings string, healthChecks string) string {
	return `{"id":"` + id + `","instances":` + strconv.Itoa(instances) + `,"cpus":0.1,"mem":32,
		"container":{"type":"DOCKER","docker":{"image":"` + image + `","network":"BRIDGE","portMappings":` + mappings + `}},
		"healthChecks":` + healthChecks + `}`
}

func hostPort(task map[string]any, i int) string {
	return net.JoinHostPort(task["host"].(string), fmt.Sprint(task["ports"].([]any)[i]))
}

func healthyCount(x *sim, id string, n float64) func() bool {
	return func() bool { return x.app(id)["tasksHealthy"] == n }
}

func TestStandInDockerAppIsHealthyAndAnswersHTTP(t *testing.T) {
	x := processSim(t, Options{})
	x.must(201, "POST", "/v2/apps", dockerApp("/si/web", "registry.example/autofill/app:3fb4278", 1,
		`[{"containerPort":8080,"hostPort":0,"protocol":"tcp","name":"http"}]`,
		`[{"protocol":"HTTP","path":"/health","portIndex":0,"intervalSeconds":1,"gracePeriodSeconds":10,"timeoutSeconds":2}]`))
	poll(t, 20*time.Second, "stand-in healthy", healthyCount(x, "/si/web", 1))
	task := x.tasks("/si/web")[0]
	want := task["id"].(string) + " /si/web registry.example/autofill/app:3fb4278\n"
	for _, path := range []string{"/health", "/ping", "/any/thing?x=1"} {
		resp, err := http.Get("http://" + hostPort(task, 0) + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, resp.StatusCode, body, want)
		}
	}
	if hc := task["healthCheckResults"].([]any)[0].(map[string]any); hc["alive"] != true {
		t.Errorf("healthCheckResults = %s", jsonString(hc))
	}
	if len(x.deployments()) != 0 {
		t.Error("deployment not finished with a healthy stand-in")
	}
}

func TestStandInTCPAndUDPPorts(t *testing.T) {
	x := processSim(t, Options{})
	// Like statsd in examples/specs: udp, then tcp checked by TCP; then
	// a port that is both.
	x.must(201, "POST", "/v2/apps", dockerApp("/si/statsd", "statsd/statsd:v0.10.2", 1,
		`[{"containerPort":8125,"protocol":"udp"},{"containerPort":8126,"protocol":"tcp"},{"containerPort":9000,"protocol":"tcp,udp"}]`,
		`[{"protocol":"TCP","portIndex":1,"intervalSeconds":1,"gracePeriodSeconds":10}]`))
	poll(t, 20*time.Second, "stand-in healthy", healthyCount(x, "/si/statsd", 1))
	task := x.tasks("/si/statsd")[0]
	id := task["id"].(string)
	for _, i := range []int{1, 2} {
		c, err := net.DialTimeout("tcp", hostPort(task, i), 5*time.Second)
		if err != nil {
			t.Fatalf("tcp port %d: %v", i, err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		// A silent client gets the task line, then its lines echoed.
		if line, err := br.ReadString('\n'); err != nil || line != id+" /si/statsd statsd/statsd:v0.10.2\n" {
			t.Errorf("tcp port %d banner = %q, %v", i, line, err)
		}
		fmt.Fprint(c, "hello\n")
		if line, err := br.ReadString('\n'); err != nil || line != id+" hello\n" {
			t.Errorf("tcp port %d echo = %q, %v", i, line, err)
		}
		c.Close()
	}
	for _, i := range []int{0, 2} {
		c, err := net.Dial("udp", hostPort(task, i))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("gauge:1|g")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != id+" gauge:1|g" {
			t.Errorf("udp port %d echo = %q, %v", i, buf[:n], err)
		}
		c.Close()
	}
}

func TestStandInRawClientSendingFirst(t *testing.T) {
	x := processSim(t, Options{})
	x.must(201, "POST", "/v2/apps", dockerApp("/si/redis", "redis:7.2.4-alpine", 1, `[{"containerPort":6379}]`, `[]`))
	poll(t, 20*time.Second, "stand-in running", func() bool { ts := x.tasks("/si/redis"); return len(ts) == 1 && ts[0]["state"] == stateRunning })
	task := x.tasks("/si/redis")[0]
	c, err := net.Dial("tcp", hostPort(task, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, "PING\r\n") // not an HTTP method: no wait for the sniff
	br := bufio.NewReader(c)
	id := task["id"].(string)
	for _, want := range []string{id + " /si/redis redis:7.2.4-alpine\n", id + " PING\r\n"} {
		if line, err := br.ReadString('\n'); err != nil || line != want {
			t.Errorf("read %q, %v; want %q", line, err, want)
		}
	}
}

func TestStandInFailLabelCrashLoops(t *testing.T) {
	x := processSim(t, Options{})
	app := `{"id":"/si/crash","instances":1,"cpus":0.1,"mem":32,"backoffSeconds":60,"labels":{"pacer.dev/sim-fail":"true"},
		"container":{"type":"DOCKER","docker":{"image":"registry.example/crash:1","network":"BRIDGE","portMappings":[{"containerPort":80}]}}}`
	x.must(201, "POST", "/v2/apps", app)
	poll(t, 10*time.Second, "failure recorded", func() bool {
		ltf, _ := x.app("/si/crash")["lastTaskFailure"].(map[string]any)
		return ltf != nil && strings.Contains(fmt.Sprint(ltf["message"]), "exit status 1") && ltf["state"] == stateFailed
	})
	if q := x.must(200, "GET", "/v2/queue", nil).json(t)["queue"].([]any); len(q) != 1 {
		t.Errorf("queue = %s, want the app delayed by backoff", jsonString(q))
	}
}

// TestStandInDrainsOnKill: a killed stand-in is TASK_KILLING and keeps
// answering for its drain, then exits 0 and is TASK_KILLED.
func TestStandInDrainsOnKill(t *testing.T) {
	x := processSim(t, Options{StandInDrain: 1500 * time.Millisecond})
	x.must(201, "POST", "/v2/apps", dockerApp("/si/drain", "registry.example/drain:1", 1, `[{"containerPort":80}]`, `[]`))
	poll(t, 20*time.Second, "running", func() bool { ts := x.tasks("/si/drain"); return len(ts) == 1 && ts[0]["state"] == stateRunning })
	task := x.tasks("/si/drain")[0]
	id, addr := task["id"].(string), hostPort(task, 0)
	x.must(200, "DELETE", "/v2/apps/si/drain/tasks/"+id+"?scale=true", nil)
	state := func() string {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if tk := x.s.tasks[id]; tk != nil {
			return tk.state
		}
		return "gone"
	}
	if st := state(); st != stateKilling {
		t.Fatalf("state after kill = %s, want TASK_KILLING", st)
	}
	if body := get(t, "http://"+addr+"/"); !strings.HasPrefix(body, id+" ") {
		t.Errorf("draining stand-in answered %q", body)
	}
	poll(t, 10*time.Second, "task gone", func() bool { return state() == "gone" })
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("port still open after the stand-in exited")
	}
}

// TestStandInRollingRestartWithoutRefusals: while a client keeps calling
// the running tasks, an image change replaces every stand-in and no
// request fails.
func TestStandInRollingRestartWithoutRefusals(t *testing.T) {
	x := processSim(t, Options{})
	def := func(tag string) string {
		a := dockerApp("/si/roll", "registry.example/roll:"+tag, 3, `[{"containerPort":8080,"hostPort":0}]`,
			`[{"protocol":"HTTP","path":"/health","portIndex":0,"intervalSeconds":1,"gracePeriodSeconds":10}]`)
		return a
	}
	x.must(201, "POST", "/v2/apps", def("1"))
	poll(t, 30*time.Second, "v1 healthy", healthyCount(x, "/si/roll", 3))

	running := func() []string {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		var addrs []string
		for _, tk := range x.s.tasks {
			if tk.appID == "/si/roll" && tk.state == stateRunning {
				addrs = append(addrs, net.JoinHostPort(simHost, strconv.Itoa(tk.ports[0])))
			}
		}
		return addrs
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		mu       sync.Mutex
		failures []string
		images   = map[string]bool{}
	)
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, addr := range running() {
				requests.Add(1)
				resp, err := client.Get("http://" + addr + "/")
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				if f := strings.Fields(string(body)); resp.StatusCode == 200 && len(f) == 3 {
					images[f[2]] = true
				} else {
					failures = append(failures, fmt.Sprintf("%d %q", resp.StatusCode, body))
				}
				mu.Unlock()
			}
		}
	})
	x.must(200, "PUT", "/v2/apps/si/roll", def("2"))
	version := x.app("/si/roll")["version"]
	poll(t, 60*time.Second, "v2 rolled out", func() bool {
		ts := x.tasks("/si/roll")
		if len(ts) != 3 || len(x.deployments()) != 0 {
			return false
		}
		for _, tk := range ts {
			if tk["version"] != version || tk["state"] != stateRunning {
				return false
			}
		}
		return true
	})
	// Let the loop reach the new tasks at least once more.
	before := requests.Load()
	poll(t, 10*time.Second, "more requests", func() bool { return requests.Load() > before+3 })
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during the rolling restart, first: %s", len(failures), requests.Load(), failures[0])
	}
	if !images["registry.example/roll:1"] || !images["registry.example/roll:2"] {
		t.Errorf("images served = %v, want both versions", images)
	}
}

// TestStandInCloseStopsEverything: Close ends every stand-in process and
// closes its ports, at once rather than after the drain.
func TestStandInCloseStopsEverything(t *testing.T) {
	x := processSim(t, Options{StandInDrain: time.Minute})
	x.must(201, "POST", "/v2/apps", dockerApp("/si/many", "registry.example/many:1", 4,
		`[{"containerPort":80},{"containerPort":53,"protocol":"udp"}]`, `[]`))
	poll(t, 20*time.Second, "running", func() bool { return x.app("/si/many")["tasksRunning"] == 4.0 })
	var pids []int
	var addrs []string
	x.s.mu.Lock()
	for _, tk := range x.s.tasks {
		pids = append(pids, tk.proc.Pid())
		addrs = append(addrs, net.JoinHostPort(simHost, strconv.Itoa(tk.ports[0])))
	}
	x.s.mu.Unlock()
	began := time.Now()
	if err := x.s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("Close took %s with a 1 min drain", d)
	}
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d still exists after Close: %v", pid, err)
		}
	}
	for _, addr := range addrs {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts after Close", addr)
		}
	}
}

func TestUsesStandIn(t *testing.T) {
	docker := json.RawMessage(`{"type":"DOCKER","docker":{"image":"nginx:1"}}`)
	mesos := json.RawMessage(`{"type":"MESOS","volumes":[]}`)
	tests := []struct {
		name string
		app  App
		want bool
	}{
		{"cmd, no container", App{Cmd: ptr("sleep 1")}, false},
		{"docker image, no cmd", App{Container: docker}, true},
		{"docker image and args", App{Container: docker, Args: []string{"redis-server"}}, true},
		{"docker image and cmd", App{Container: docker, Cmd: ptr("telegraf")}, true},
		{"docker image, cmd run locally", App{Container: docker, Cmd: ptr("sleep 1"), Labels: map[string]string{labelSimStandIn: "false"}}, false},
		{"container without image, no cmd", App{Container: mesos}, true},
		{"container without image, cmd", App{Container: mesos, Cmd: ptr("sleep 1")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := usesStandIn(&tc.app); got != tc.want {
				t.Errorf("usesStandIn = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSniffHTTP(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"GET / HTTP/1.1\r\n", true},
		{"OPTIONS * HTTP/1.1\r\n", true},
		{"PRI * HTTP/2.0\r\n", true},
		{"PING\r\n", false},
		{"GETX", false},
		{"", false},
		{"GE", false}, // then EOF
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := sniffHTTP(bufio.NewReader(strings.NewReader(tc.in))); got != tc.want {
				t.Errorf("sniffHTTP(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
