package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// logsRig is a process-executor simulator with its Mesos agent API on a
// port of its own, and a spec tree deployed to it.
type logsRig struct {
	sim       *reconcilertest.Sim
	agent     *httptest.Server
	agentPort string
	specs     string
	goFile    string // echo's task writes line4 once this exists
}

func newLogsRig(t *testing.T) *logsRig {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes")
	}
	sim := reconcilertest.NewSim(t, marathonsim.Options{Executor: "process", TaskStart: 20 * time.Millisecond})
	agent := httptest.NewServer(sim.Server.AgentHandler())
	t.Cleanup(agent.Close)
	u, _ := url.Parse(agent.URL)
	goFile := filepath.Join(t.TempDir(), "go")
	group := `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: shop, parent: /services}
spec:
  environments:
    production: {clusters: [t]}
  apps:
    echo:
      cmd: 'echo line1; echo line2; echo line3; echo oops >&2; while [ ! -e "` + goFile + `" ]; do sleep 0.05; done; echo line4; exec sleep 1000'
      instances: 1
      cpus: 0.1
      mem: 32
    big:
      cmd: 'seq 1 30000; exec sleep 1000'
      instances: 1
      cpus: 0.1
      mem: 32
    pair:
      cmd: 'echo "hello $MESOS_TASK_ID"; exec sleep 1000'
      instances: 2
      cpus: 0.1
      mem: 32
`
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/shop.yaml": group})
	r := &logsRig{sim: sim, agent: agent, agentPort: u.Port(), specs: dir, goFile: goFile}
	var out, errb bytes.Buffer
	if code := run(t.Context(), reconcileArgs(sim, dir, "reconcile"), &out, &errb); code != 0 {
		t.Fatalf("reconcile exit %d: %s%s", code, out.String(), errb.String())
	}
	return r
}

func (r *logsRig) args(extra ...string) []string {
	return append([]string{"logs", "--specs", r.specs, "--marathon", r.sim.URL, "--retries", "0", "--agent-port", r.agentPort}, extra...)
}

func (r *logsRig) taskIDs(t *testing.T, app string) []string {
	t.Helper()
	resp, err := http.Get(r.sim.URL + "/v2/apps" + app + "/tasks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Tasks []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range body.Tasks {
		ids = append(ids, tk.ID)
	}
	sort.Strings(ids)
	return ids
}

func TestLogs(t *testing.T) {
	r := newLogsRig(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := fmt.Sprint(closed.Addr().(*net.TCPAddr).Port)
	closed.Close()
	pair := r.taskIDs(t, "/services/shop/production/pair")
	if len(pair) != 2 {
		t.Fatalf("pair tasks = %v", pair)
	}
	pairOut := fmt.Sprintf("[%s] hello %s\n[%s] hello %s\n", pair[0], pair[0], pair[1], pair[1])
	var seq strings.Builder // 168,894 bytes: several agent reads of 16 pages
	for i := 1; i <= 30000; i++ {
		fmt.Fprintf(&seq, "%d\n", i)
	}
	cases := []struct {
		name    string
		args    []string
		code    int
		stdout  string
		stderrs []string
	}{
		{name: "stdout by name", args: r.args("echo", "-e", "production", "--cluster", "t"), stdout: "line1\nline2\nline3\n"},
		{name: "tail", args: r.args("echo", "-e", "production", "--cluster", "t", "--tail", "2"), stdout: "line2\nline3\n"},
		{name: "tail more than there is", args: r.args("echo", "--cluster", "t", "--tail", "10"), stdout: "line1\nline2\nline3\n"},
		{name: "tail 0", args: r.args("echo", "--cluster", "t", "--tail", "0"), stdout: ""},
		{name: "a file larger than one agent read", args: r.args("big", "--cluster", "t"), stdout: seq.String()},
		{name: "tail across read chunks", args: r.args("big", "--cluster", "t", "--tail", "5000"), stdout: seq.String()[strings.Index(seq.String(), "\n25001\n")+1:]},
		{name: "stderr", args: r.args("echo", "-e", "production", "--cluster", "t", "--stderr"), stdout: "oops\n"},
		{name: "absolute id without specs", args: r.args("/services/shop/production/echo"), stdout: "line1\nline2\nline3\n"},
		{name: "several tasks are prefixed", args: r.args("pair", "-e", "production", "--cluster", "t"), stdout: pairOut},
		{name: "one task", args: r.args("pair", "--cluster", "t", "--task", pair[1]), stdout: fmt.Sprintf("hello %s\n", pair[1])},
		{name: "unknown task", args: r.args("pair", "--cluster", "t", "--task", "nope"), code: 1,
			stderrs: []string{"app /services/shop/production/pair has no task nope in Marathon at " + r.sim.URL + " (it has 2)"}},
		{name: "unknown app", args: r.args("web", "-e", "production", "--cluster", "t"), code: 1,
			stderrs: []string{`no app "web" in environment "production" of cluster "t"`}},
		{name: "agent unreachable", args: append(r.args("echo", "--cluster", "t"), "--agent-port", deadPort), code: 1,
			stderrs: []string{"agent http://127.0.0.1:" + deadPort + " unreachable (is --agent-port " + deadPort + " the agents' HTTP port?)", "connection refused"}},
		{name: "bad poll interval", args: r.args("echo", "--cluster", "t", "--poll-interval", "1ms"), code: 1,
			stderrs: []string{"--poll-interval 1ms: want 100ms to 30s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			// The tasks write their lines right after they start:
			// the first case may need to wait for them.
			eventually(t, 10*time.Second, "logs output", func() (bool, string) {
				out.Reset()
				errb.Reset()
				code := run(t.Context(), tc.args, &out, &errb)
				return code == tc.code && out.String() == tc.stdout, fmt.Sprintf("exit %d, stdout %q, stderr %q", code, clip(out.String()), errb.String())
			})
			for _, s := range tc.stderrs {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr %q lacks %q", errb.String(), s)
				}
			}
		})
	}
}

// clip shortens long output in failure messages.
func clip(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%s ... (%d bytes) ... %s", s[:100], len(s), s[len(s)-100:])
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsFollow(t *testing.T) {
	r := newLogsRig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, r.args("echo", "--cluster", "t", "--tail", "1", "-f", "--poll-interval", "100ms"), &out, &errb)
	}()
	eventually(t, 10*time.Second, "the last line", func() (bool, string) { return out.String() == "line3\n", out.String() + errb.String() })
	if err := os.WriteFile(r.goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the new line followed", func() (bool, string) {
		return out.String() == "line3\nline4\n", out.String() + errb.String()
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not stop when its context was cancelled")
	}
}

// TestLogsFollowSurvivesAnAgentOutage: -f warns once when the agent stops
// answering, keeps polling, and still ends cleanly on Ctrl-C.
func TestLogsFollowSurvivesAnAgentOutage(t *testing.T) {
	r := newLogsRig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, r.args("echo", "--cluster", "t", "-f", "--poll-interval", "100ms"), &out, &errb)
	}()
	eventually(t, 10*time.Second, "the lines so far", func() (bool, string) { return out.String() == "line1\nline2\nline3\n", out.String() + errb.String() })
	r.agent.CloseClientConnections()
	r.agent.Close()
	eventually(t, 10*time.Second, "a warning", func() (bool, string) {
		return strings.Contains(errb.String(), "(retrying)") && strings.Contains(errb.String(), "unreachable"), errb.String()
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after cancel: %s", code, errb.String())
	}
	if n := strings.Count(errb.String(), "warning:"); n != 1 {
		t.Errorf("%d warnings, want 1 for one outage:\n%s", n, errb.String())
	}
}
