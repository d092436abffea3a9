package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
)

// Helpers of the end-to-end scenario (scenario_test.go). Names carry a
// scenario prefix: other e2e files define their own helpers.

// scenarioTree reads the spec tree under examples/specs as files for a
// specs repository (paths under specs/).
func scenarioTree(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join(bin.repoRoot, "examples", "specs")
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files["specs/"+filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// scenarioEdit returns a copy of files with old replaced by new, once, in
// file name; the edit must apply.
func scenarioEdit(t *testing.T, files map[string]string, name, old, new string) map[string]string {
	t.Helper()
	if !strings.Contains(files[name], old) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	out[name] = strings.Replace(files[name], old, new, 1)
	return out
}

// scenarioTask is a task as marathon-sim shows it.
type scenarioTask struct {
	ID                 string `json:"id"`
	State              string `json:"state"`
	Ports              []int  `json:"ports"`
	ServicePorts       []int  `json:"servicePorts"`
	HealthCheckResults []struct {
		Alive bool `json:"alive"`
	} `json:"healthCheckResults"`
}

// healthy reports whether the task runs and passes every health check it
// has (hasChecks: the app defines some).
func (tk scenarioTask) healthy(hasChecks bool) bool {
	if tk.State != "TASK_RUNNING" || hasChecks && len(tk.HealthCheckResults) == 0 {
		return false
	}
	for _, h := range tk.HealthCheckResults {
		if !h.Alive {
			return false
		}
	}
	return true
}

// scenarioApp is an app as marathon-sim shows it, with its tasks.
type scenarioApp struct {
	ID           string            `json:"id"`
	Instances    int               `json:"instances"`
	Labels       map[string]string `json:"labels"`
	HealthChecks []json.RawMessage `json:"healthChecks"`
	Deployments  []json.RawMessage `json:"deployments"`
	Container    *struct {
		Docker *struct {
			Image        string         `json:"image"`
			PortMappings []scenarioPort `json:"portMappings"`
		} `json:"docker"`
		PortMappings []scenarioPort `json:"portMappings"`
	} `json:"container"`
	PortDefinitions []scenarioPort `json:"portDefinitions"`
	Tasks           []scenarioTask `json:"tasks"`
}

type scenarioPort struct {
	Protocol    string `json:"protocol"`
	ServicePort int    `json:"servicePort"`
	Port        int    `json:"port"`
}

// ports are the app's ports with their service ports, from the
// container's port mappings (BRIDGE; Marathon 1.5's or the older docker
// ones) or portDefinitions.
func (a scenarioApp) ports() []scenarioPort {
	if c := a.Container; c != nil && len(c.PortMappings) > 0 {
		return c.PortMappings
	}
	if c := a.Container; c != nil && c.Docker != nil && len(c.Docker.PortMappings) > 0 {
		return c.Docker.PortMappings
	}
	out := slices.Clone(a.PortDefinitions)
	for i := range out {
		out[i].ServicePort = out[i].Port
	}
	return out
}

func (a scenarioApp) image() string {
	if a.Container == nil || a.Container.Docker == nil {
		return ""
	}
	return a.Container.Docker.Image
}

// healthyTasks are the ids of the app's running tasks that pass their
// health checks.
func (a scenarioApp) healthyTasks() []string {
	var ids []string
	for _, tk := range a.Tasks {
		if tk.healthy(len(a.HealthChecks) > 0) {
			ids = append(ids, tk.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// scenarioApps reads every app with its tasks from the simulator.
func scenarioApps(ctx context.Context, simURL string) (map[string]scenarioApp, error) {
	var body struct {
		Apps []scenarioApp `json:"apps"`
	}
	if err := getJSON(ctx, simURL+"/v2/apps?embed=apps.tasks&embed=apps.deployments", &body); err != nil {
		return nil, err
	}
	out := map[string]scenarioApp{}
	for _, a := range body.Apps {
		out[a.ID] = a
	}
	return out, nil
}

// scenarioConverged reports whether the simulator runs exactly want (app
// id → image) among the managed apps, each at its instance count, every
// task healthy, no deployment left.
func scenarioConverged(ctx context.Context, simURL string, want map[string]string) (map[string]scenarioApp, error) {
	apps, err := scenarioApps(ctx, simURL)
	if err != nil {
		return nil, err
	}
	var problems []string
	for id, img := range want {
		a, ok := apps[id]
		switch {
		case !ok:
			problems = append(problems, id+" missing")
		case a.image() != img:
			problems = append(problems, fmt.Sprintf("%s runs %s, want %s", id, a.image(), img))
		case len(a.Deployments) > 0:
			problems = append(problems, id+" deploying")
		case len(a.Tasks) != a.Instances || len(a.healthyTasks()) != a.Instances:
			problems = append(problems, fmt.Sprintf("%s: %d tasks, %d healthy, want %d", id, len(a.Tasks), len(a.healthyTasks()), a.Instances))
		}
	}
	for id, a := range apps {
		if _, ok := want[id]; !ok && a.Labels["pacer.dev/managed-by"] != "" {
			problems = append(problems, id+" is not desired")
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return apps, nil
}

// scenarioProc is a long-running helper process (pacer lb, nginx,
// HAProxy) in its own process group, stopped with SIGTERM (then SIGKILL)
// when the test ends.
type scenarioProc struct {
	name string
	cmd  *exec.Cmd
	out  *proctest.Buffer
	done chan struct{}
}

func startScenarioProc(t *testing.T, name, path string, args ...string) *scenarioProc {
	t.Helper()
	p := &scenarioProc{name: name, out: &proctest.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output (tail):\n%s", name, tail(p.out.String(), 4000))
		}
	})
	return p
}

// exited reports an error once the process is gone.
func (p *scenarioProc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %s\n%s", p.name, p.cmd.ProcessState, tail(p.out.String(), 2000))
	default:
		return nil
	}
}

// lookBinary returns the path of a server binary the scenario needs, or
// fails with the install command.
func lookBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed: apt-get install -y %s (or make deps)", name, pkg)
	}
	return p
}

// metricValue reads one sample (exact name with labels) from a Prometheus
// endpoint.
func metricValue(ctx context.Context, u, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, l := range bytes.Split(body, []byte("\n")) {
		if f := bytes.Fields(l); len(f) == 2 && string(f[0]) == name {
			return strconv.ParseFloat(string(f[1]), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// lbClient sends one request per connection, as the request loops do, so
// that every request picks a server anew.
var lbClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// lbTask sends GET / to addr with the Host header host (none: the
// address) and returns the id of the task that answered: a stand-in
// answers "<task id> <app id> <image>".
func lbTask(ctx context.Context, addr, host string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return "", err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := lbClient.Do(req)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s (Host %s): %s %q", addr, host, resp.Status, bytes.TrimSpace(body))
	}
	f := strings.Fields(string(body))
	if len(f) == 0 {
		return "", fmt.Errorf("GET %s (Host %s): empty answer", addr, host)
	}
	return f[0], nil
}

// udpTask sends a datagram to addr and returns the id of the task that
// echoed it.
func udpTask(addr string) (string, error) {
	conn, err := net.DialTimeout("udp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("ping")); err != nil {
		return "", err
	}
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil {
		return "", fmt.Errorf("udp %s: %w", addr, err)
	}
	f := strings.Fields(string(buf[:n]))
	if len(f) != 2 || f[1] != "ping" {
		return "", fmt.Errorf("udp %s: answer %q, want \"<task id> ping\"", addr, buf[:n])
	}
	return f[0], nil
}

// reachEvery asks ask until every task in want answered, at most 10 times
// as many requests as tasks; an answer from a task not in want, or a
// failed request, is an error.
func reachEvery(what string, want []string, ask func() (string, error)) error {
	seen := map[string]int{}
	for range 10 * len(want) {
		got, err := ask()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !slices.Contains(want, got) {
			return fmt.Errorf("%s: answered by %q, not one of %v", what, got, want)
		}
		seen[got]++
		if len(seen) == len(want) {
			return nil
		}
	}
	return fmt.Errorf("%s: answers %v, want each of %v", what, seen, want)
}

// requestLoop sends requests through an LB from workers goroutines until
// stopped, counting answers by task and failures.
type requestLoop struct {
	name  string
	total atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex
	byTask   map[string]int
	failures []string
}

func startRequestLoop(ctx context.Context, name, addr, host string, workers int) *requestLoop {
	l := &requestLoop{name: name, byTask: map[string]int{}, stop: make(chan struct{})}
	for range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				got, err := lbTask(ctx, addr, host)
				l.total.Add(1)
				l.mu.Lock()
				if err != nil {
					l.failures = append(l.failures, err.Error())
				} else {
					l.byTask[got]++
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// finish stops the loop and returns what it counted.
func (l *requestLoop) finish() (total int64, byTask map[string]int, failures []string) {
	close(l.stop)
	l.wg.Wait()
	return l.total.Load(), l.byTask, l.failures
}
