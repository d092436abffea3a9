package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
)

// Helpers of the fault-injection tests (fault_*_test.go). Names carry a
// fault prefix: other e2e files define their own helpers.

// faultKey is the PagerDuty routing key of the fault specs and the default
// key file: PagerDuty's are 32 characters.
const faultKey = "faultfaultfaultfaultfaultfaultfa"

// faultApp is one app of the fault specs.
type faultApp struct {
	name      string
	instances int
	deps      []string          // relative ids in the group
	labels    map[string]string // besides the ownership labels pacer adds
	health    bool              // a COMMAND health check
	mem       int               // 0: 16
}

// faultSpecs is a cluster "ams" and a service group /services/shop with a
// production environment (automated sync, prune on, paging through
// PD_FAULT_KEY) holding apps.
func faultSpecs(apps ...faultApp) map[string]string {
	var b strings.Builder
	b.WriteString(`apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: shop, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}, alerting: {urgency: high, routingKey: {fromEnv: PD_FAULT_KEY}, for: {Unhealthy: 500ms}}}
  apps:
`)
	for _, a := range apps {
		mem := a.mem
		if mem == 0 {
			mem = 32
		}
		fmt.Fprintf(&b, "    %s:\n      instances: %d\n      cpus: 0.01\n      mem: %d\n      cmd: \"sleep 1000\"\n", a.name, a.instances, mem)
		if len(a.deps) > 0 {
			fmt.Fprintf(&b, "      dependencies: [%s]\n", strings.Join(a.deps, ", "))
		}
		if len(a.labels) > 0 {
			keys := make([]string, 0, len(a.labels))
			for k := range a.labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteString("      labels:\n")
			for _, k := range keys {
				fmt.Fprintf(&b, "        %s: %q\n", k, a.labels[k])
			}
		}
		if a.health {
			b.WriteString(`      healthChecks: [{protocol: COMMAND, command: {value: "true"}, intervalSeconds: 1, gracePeriodSeconds: 1, maxConsecutiveFailures: 0}]` + "\n")
		}
	}
	return map[string]string{
		"specs/clusters.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`,
		"specs/services/shop.yaml": b.String(),
	}
}

// faultAppID is the Marathon id of a fault spec app.
func faultAppID(name string) string { return "/services/shop/production/" + name }

// faultShop is the usual desired set: four independent apps.
func faultShop() []faultApp {
	return []faultApp{{name: "cart", instances: 2}, {name: "catalog", instances: 1}, {name: "checkout", instances: 2}, {name: "search", instances: 1}}
}

// faultRecorder is a reverse proxy in front of marathon-sim that records
// every request pacer makes: the tests count writes (PUT, POST, DELETE)
// per app and per instance from it. Down makes it drop every connection,
// as a Marathon master that went away.
type faultRecorder struct {
	URL  string
	srv  *httptest.Server
	down atomic.Bool

	mu   sync.Mutex
	reqs []faultRequest
}

// faultRequest is one request pacer made through the recorder.
type faultRequest struct {
	Method, Path string
	Status       int
	Start, End   time.Time
}

func (q faultRequest) write() bool {
	return q.Method != http.MethodGet && q.Method != http.MethodHead && strings.HasPrefix(q.Path, "/v2/")
}

func (q faultRequest) ok() bool { return q.Status >= 200 && q.Status < 300 }

func newFaultRecorder(t *testing.T, target string) *faultRecorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &faultRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1 // the event stream
	proxy.ErrorLog = nil
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					_ = c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		q := faultRequest{Method: r.Method, Path: r.URL.Path, Start: time.Now()}
		sw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(sw, r)
		q.Status, q.End = sw.status, time.Now()
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, q)
		rec.mu.Unlock()
	}))
	rec.URL = rec.srv.URL
	t.Cleanup(func() {
		rec.srv.CloseClientConnections()
		rec.srv.Close()
	})
	return rec
}

// setDown makes the recorder drop (or again forward) every request, and
// cuts the open event streams when going down.
func (rec *faultRecorder) setDown(down bool) {
	rec.down.Store(down)
	if down {
		rec.srv.CloseClientConnections()
	}
}

func (rec *faultRecorder) requests() []faultRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// writes are the write requests Marathon accepted, in order.
func (rec *faultRecorder) writes() []faultRequest {
	var out []faultRequest
	for _, q := range rec.requests() {
		if q.write() && q.ok() {
			out = append(out, q)
		}
	}
	return out
}

// deletes are every DELETE sent, accepted or not.
func (rec *faultRecorder) deletes() []faultRequest {
	var out []faultRequest
	for _, q := range rec.requests() {
		if q.Method == http.MethodDelete {
			out = append(out, q)
		}
	}
	return out
}

// appWrites counts the writes Marathon accepted per app id.
func (rec *faultRecorder) appWrites() map[string]int {
	out := map[string]int{}
	for _, q := range rec.writes() {
		if id, ok := strings.CutPrefix(q.Path, "/v2/apps"); ok {
			out[id]++
		}
	}
	return out
}

// failed counts the requests answered with status.
func (rec *faultRecorder) failed(status int) int {
	n := 0
	for _, q := range rec.requests() {
		if q.Status == status {
			n++
		}
	}
	return n
}

// faultPacer is one `pacer run` process, in its own process group.
type faultPacer struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	log  *logFile
	done chan struct{}
	err  error
}

var faultListenRE = regexp.MustCompile(`Serving HTTP\s+\{"addr": "([^"]+)"\}`)

// startFaultPacer runs `pacer run args...` (plus --listen, console logs)
// with env added to its environment, until the test ends.
func startFaultPacer(t *testing.T, env []string, args ...string) *faultPacer {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "pacer.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	args = append([]string{"run", "--listen", "127.0.0.1:0", "--log-format", "console", "--shutdown-timeout", "5s"}, args...)
	cmd := exec.Command(bin.pacer, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pacer: %v", err)
	}
	p := &faultPacer{t: t, cmd: cmd, log: &logFile{path: logPath}, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("pacer %v log:\n%s", args, p.log.String())
		}
	})
	eventually(t, 15*time.Second, "pacer serving HTTP", func() (bool, error) {
		select {
		case <-p.done:
			return false, fmt.Errorf("pacer exited: %v\n%s", p.err, p.log.String())
		default:
		}
		if m := faultListenRE.FindStringSubmatch(p.log.String()); m != nil {
			p.base = "http://" + m[1]
			return true, nil
		}
		return false, nil
	})
	return p
}

// stop sends SIGTERM to the process group, then SIGKILL if it lingers.
func (p *faultPacer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// kill9 kills the process group with SIGKILL: no shutdown, no flush.
func (p *faultPacer) kill9() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// faultStatus is the part of /api/v1/status the tests read.
type faultStatus struct {
	Ready    bool `json:"ready"`
	Leader   bool `json:"leader"`
	Revision struct {
		ID string `json:"id"`
	} `json:"revision"`
	InvalidRevision *struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"invalidRevision"`
	SourceError   string `json:"sourceError"`
	MarathonError string `json:"marathonError"`
	PassError     string `json:"passError"`
	LastPass      time.Time
	Apps          []struct {
		ID        string `json:"id"`
		Sync      string `json:"sync"`
		Health    string `json:"health"`
		Action    string `json:"action"`
		Message   string `json:"message"`
		LastError string `json:"lastError"`
	} `json:"apps"`
}

func (p *faultPacer) status() (faultStatus, error) {
	var st faultStatus
	resp, err := http.Get(p.base + "/api/v1/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// faultSimApp is an app as marathon-sim shows it.
type faultSimApp struct {
	ID           string            `json:"id"`
	Instances    int               `json:"instances"`
	Mem          float64           `json:"mem"`
	TasksRunning int               `json:"tasksRunning"`
	Labels       map[string]string `json:"labels"`
	Deployments  []struct {
		ID string `json:"id"`
	} `json:"deployments"`
}

// faultSimApps reads the simulator directly (not through a recorder).
func faultSimApps(simURL string) (map[string]faultSimApp, error) {
	resp, err := http.Get(simURL + "/v2/apps")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /v2/apps: %s", resp.Status)
	}
	var body struct {
		Apps []faultSimApp `json:"apps"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	out := map[string]faultSimApp{}
	for _, a := range body.Apps {
		out[a.ID] = a
	}
	return out, nil
}

// settledAt reports why app id is not running at instances tasks with no
// deployment left in the simulator's apps (nil when it is).
func settledAt(live map[string]faultSimApp, id string, instances int) error {
	l, ok := live[id]
	switch {
	case !ok:
		return fmt.Errorf("%s missing", id)
	case l.Instances != instances || l.TasksRunning != instances:
		return fmt.Errorf("%s: %d instances, %d running; want %d", id, l.Instances, l.TasksRunning, instances)
	case len(l.Deployments) > 0:
		return fmt.Errorf("%s: deployments %v", id, l.Deployments)
	}
	return nil
}

// faultConverged reports whether the simulator runs exactly the desired
// apps of the shop group at their instance counts, with no deployment left,
// and pacer's status says every one is Synced.
func faultConverged(simURL string, p *faultPacer, want []faultApp) (bool, error) {
	live, err := faultSimApps(simURL)
	if err != nil {
		return false, err
	}
	wantIDs := map[string]bool{}
	for _, a := range want {
		id := faultAppID(a.name)
		wantIDs[id] = true
		if err := settledAt(live, id, a.instances); err != nil {
			return false, err
		}
	}
	for id := range live {
		if strings.HasPrefix(id, "/services/shop/") && !wantIDs[id] {
			return false, fmt.Errorf("%s is not desired", id)
		}
	}
	if p == nil {
		return true, nil
	}
	st, err := p.status()
	if err != nil {
		return false, err
	}
	for _, a := range st.Apps {
		if wantIDs[a.ID] && a.Sync != "Synced" {
			return false, fmt.Errorf("status: %s %s (%s %s)", a.ID, a.Sync, a.Message, a.LastError)
		}
	}
	return true, nil
}

// faultUnmanaged creates an app pacer does not manage, straight in the
// simulator: pacer must never delete it.
func faultUnmanaged(t *testing.T, simURL string) string {
	t.Helper()
	id := "/ops/unmanaged-tool"
	body := `{"id":"` + id + `","cmd":"sleep 1000","cpus":0.01,"mem":16,"instances":1}`
	resp, err := http.Post(simURL+"/v2/apps", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create unmanaged app: %s", resp.Status)
	}
	return id
}

// faultSim sends a control request to marathon-sim (/sim/v1/...) or a
// Marathon API request, and fails the test on a non-2xx answer.
func faultSim(t *testing.T, simURL, method, path, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, simURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
}

// faultScale changes an app's instances behind pacer's back.
func faultScale(t *testing.T, simURL, id string, n int) {
	t.Helper()
	faultSim(t, simURL, http.MethodPut, "/v2/apps"+id+"?force=true", fmt.Sprintf(`{"instances":%d}`, n))
}

// faultTasks lists an app's task ids in the simulator.
func faultTasks(t *testing.T, simURL, id string) []string {
	t.Helper()
	resp, err := http.Get(simURL + "/v2/apps" + id + "/tasks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range body.Tasks {
		ids = append(ids, tk.ID)
	}
	return ids
}

// checkNothingLost asserts the end state of a fault test: converged on
// want, no DELETE sent, the unmanaged app still there, and Marathon
// accepted exactly wantWrites writes per app (no duplicate deployment).
func checkNothingLost(t *testing.T, simURL string, rec *faultRecorder, unmanaged string, wantWrites map[string]int) {
	t.Helper()
	if d := rec.deletes(); len(d) > 0 {
		t.Errorf("DELETE requests sent (nothing may be deleted): %+v", d)
	}
	live, err := faultSimApps(simURL)
	if err != nil {
		t.Fatal(err)
	}
	if unmanaged != "" {
		if _, ok := live[unmanaged]; !ok {
			t.Errorf("unmanaged app %s is gone", unmanaged)
		}
	}
	if wantWrites != nil {
		if got := rec.appWrites(); !mapsEqual(got, wantWrites) {
			t.Errorf("writes per app: got %v, want %v (a duplicate deployment or a lost write)", got, wantWrites)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// createsOnly is one accepted write (the create) per app.
func createsOnly(apps []faultApp) map[string]int {
	out := map[string]int{}
	for _, a := range apps {
		out[faultAppID(a.name)] = 1
	}
	return out
}

// faultPD is a PagerDuty Events API v2 receiver behind a switch: while
// down it answers every request with the next of its failure statuses
// (cycling), and counts them.
type faultPD struct {
	URL    string
	recv   *pdtest.Receiver
	down   atomic.Bool
	failed atomic.Int64
}

func newFaultPD(t *testing.T) *faultPD {
	t.Helper()
	pd := &faultPD{recv: pdtest.New(t, pdtest.Options{})}
	target, err := url.Parse(pd.recv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pd.down.Load() {
			n := pd.failed.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			if n%2 == 0 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	pd.URL = srv.URL
	return pd
}

// incidents is each dedup key's accepted actions (trigger, resolve), in
// the order accepted; change events are left out.
func (pd *faultPD) incidents() map[string][]string {
	out := map[string][]string{}
	for _, e := range pd.recv.Events() {
		if e.Path == pdtest.EnqueuePath {
			out[e.DedupKey] = append(out[e.DedupKey], e.Action)
		}
	}
	return out
}

// waitIncidents waits until the accepted incident actions are exactly want.
func (pd *faultPD) waitIncidents(t *testing.T, timeout time.Duration, what string, want map[string][]string) {
	t.Helper()
	eventually(t, timeout, what, func() (bool, error) {
		got := pd.incidents()
		if len(got) != len(want) {
			return false, fmt.Errorf("got %q", got)
		}
		for k, v := range want {
			if !slices.Equal(got[k], v) {
				return false, fmt.Errorf("got %q", got)
			}
		}
		return true, nil
	})
}

// faultKeyFile writes the default routing key file.
func faultKeyFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "routing-key")
	if err := os.WriteFile(p, []byte(faultKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// faultEnv is the environment of a paging pacer.
var faultEnv = []string{"PD_FAULT_KEY=" + faultKey}

// faultGitArgs are the common flags of a pacer following repo.
func faultGitArgs(t *testing.T, repo *gittest.Repo, marathonURL string) []string {
	return []string{"--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", marathonURL, "--sync-interval", "300ms", "--retries", "1"}
}

// deadURL is a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// logLines returns the lines of the log containing s.
func logLines(l *logFile, s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			out = append(out, sc.Text())
		}
	}
	return out
}
