package marathonsim

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain doubles as the app the process-executor test runs: with
// MARATHONSIM_HELPER=http the test binary serves HTTP on $PORT0.
func TestMain(m *testing.M) {
	if os.Getenv("MARATHONSIM_HELPER") == "http" {
		serveHelper()
		return
	}
	os.Exit(m.Run())
}

func serveHelper() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s", os.Getenv("MESOS_TASK_ID"), os.Getenv("MARATHON_APP_ID"), os.Getenv("MARATHON_APP_LABEL_TEAM"))
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) { os.Exit(3) })
	_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT0"), mux)
	os.Exit(1)
}

// poll waits for cond in real time; only for tests with real processes.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

func TestProcessExecutorServesRealHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	s, err := New(Options{Executor: "process", TaskStart: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	x := &sim{t: t, s: s}
	app := map[string]any{
		"id": "/proc/web", "cmd": strconv.Quote(os.Args[0]) + " -test.run=^$", "instances": 1, "cpus": 0.1, "mem": 32,
		"env": map[string]string{"MARATHONSIM_HELPER": "http"}, "labels": map[string]string{"team": "core"},
		"healthChecks": []map[string]any{{"protocol": "HTTP", "path": "/", "intervalSeconds": 1, "gracePeriodSeconds": 10, "timeoutSeconds": 1}},
	}
	x.must(201, "POST", "/v2/apps", app)
	healthy := func() bool { return x.app("/proc/web")["tasksHealthy"] == 1.0 }
	poll(t, 20*time.Second, "task healthy", healthy)
	task := x.tasks("/proc/web")[0]
	addr := net.JoinHostPort(task["host"].(string), fmt.Sprint(task["ports"].([]any)[0]))
	body := get(t, "http://"+addr+"/")
	if want := task["id"].(string) + " /proc/web core"; body != want {
		t.Errorf("task answered %q, want %q (Marathon's env)", body, want)
	}
	if hc := task["healthCheckResults"].([]any)[0].(map[string]any); hc["alive"] != true || hc["instanceId"] != instanceOf(task["id"].(string)) || hc["taskId"] != nil {
		t.Errorf("healthCheckResults = %s", jsonString(hc))
	}
	if len(x.deployments()) != 0 {
		t.Error("deployment not finished with a healthy task")
	}

	// The process exits: TASK_FAILED, then relaunched after backoff.
	_, _ = http.Get("http://" + addr + "/exit")
	poll(t, 10*time.Second, "failure recorded", func() bool {
		ltf, _ := x.app("/proc/web")["lastTaskFailure"].(map[string]any)
		return ltf != nil && ltf["taskId"] == task["id"]
	})
	poll(t, 20*time.Second, "replacement healthy", func() bool {
		ts := x.tasks("/proc/web")
		return len(ts) == 1 && ts[0]["id"] != task["id"] && healthy()
	})
	next := x.tasks("/proc/web")[0]
	nextAddr := net.JoinHostPort(next["host"].(string), fmt.Sprint(next["ports"].([]any)[0]))

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "process stopped on Close", func() bool {
		c, err := net.DialTimeout("tcp", nextAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func TestProcessKillSendsTermThenKillAfterGrace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	s, err := New(Options{Executor: "process", TaskStart: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	x := &sim{t: t, s: s}
	x.must(201, "POST", "/v2/apps", `{"id":"/stubborn","cmd":"trap '' TERM; sleep 60","cpus":0.1,"mem":16,"taskKillGracePeriodSeconds":1}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/polite","cmd":"sleep 60","cpus":0.1,"mem":16}`)
	running := func(id string) func() bool {
		return func() bool { ts := x.tasks(id); return len(ts) == 1 && ts[0]["state"] == stateRunning }
	}
	poll(t, 10*time.Second, "stubborn running", running("/stubborn"))
	poll(t, 10*time.Second, "polite running", running("/polite"))

	stubborn, polite := x.tasks("/stubborn")[0]["id"].(string), x.tasks("/polite")[0]["id"].(string)
	start := time.Now()
	x.must(200, "DELETE", "/v2/apps/stubborn/tasks/"+stubborn, nil)
	x.must(200, "DELETE", "/v2/apps/polite/tasks/"+polite, nil)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("kill requests took %s: the grace period blocked the handler", d)
	}
	state := func(id string) string {
		s.mu.Lock()
		defer s.mu.Unlock()
		if tk := s.tasks[id]; tk != nil {
			return tk.state
		}
		return "gone"
	}
	poll(t, 5*time.Second, "polite task gone after SIGTERM", func() bool { return state(polite) == "gone" })
	if st := state(stubborn); st != stateKilling {
		t.Errorf("task ignoring SIGTERM is %s before its grace period ended, want TASK_KILLING", st)
	}
	poll(t, 10*time.Second, "stubborn task gone after SIGKILL", func() bool { return state(stubborn) == "gone" })
	if d := time.Since(start); d < time.Second {
		t.Errorf("task ignoring SIGTERM gone after %s, before its 1 s grace period", d)
	}
}

// TestProcessExecutorNeverRunsAnExitedProcess: when the start delay ends
// after the task's process has already exited (a crash under CPU load,
// before the simulator has seen the exit), the task is not reported
// TASK_RUNNING; it fails instead (issue 12, "the suite is a gate").
func TestProcessExecutorNeverRunsAnExitedProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	x := newSim(t, Options{Executor: "process", TaskStart: 50 * time.Millisecond})
	x.must(201, "POST", "/v2/apps", `{"id":"/crash","cmd":"exit 1","instances":1,"portDefinitions":[]}`)
	x.until(10*time.Second, "a staged task", func() bool { return len(x.tasks("/crash")) == 1 })
	// Hold the server lock so the exit watcher cannot fail the task first,
	// wait until the process has exited, then let the start delay end.
	x.s.lock()
	var tk *task
	for _, t := range x.s.tasks {
		tk = t
	}
	poll(t, 10*time.Second, "the process to exit", func() bool { return !tk.proc.Alive() })
	x.s.taskRunning(tk)
	state := tk.state
	x.s.unlock()
	if state != stateStaging {
		t.Fatalf("task of an exited process is %s when its start delay ends, want %s", state, stateStaging)
	}
	poll(t, 10*time.Second, "TASK_FAILED", func() bool {
		for _, e := range x.events() {
			if e.Type == "status_update_event" && e.Payload["taskStatus"] == "TASK_FAILED" {
				return true
			}
		}
		return false
	})
	for _, e := range x.events() {
		if e.Type == "status_update_event" && e.Payload["taskStatus"] == "TASK_RUNNING" {
			t.Errorf("TASK_RUNNING published for a process that had exited: %v", e.Payload)
		}
	}
}
