package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
)

// pacerProc is one `pacer run` process in its own process group.
type pacerProc struct {
	name string
	base string // http://host:port of its --listen
	cmd  *exec.Cmd
	logs *proctest.Buffer

	mu     sync.Mutex
	killed bool
	done   chan struct{}
}

var servingRE = regexp.MustCompile(`"msg":"Serving HTTP".*?"addr":"([^"]+)"`)

// startPacer runs `pacer run` with args, --listen 127.0.0.1:0 and JSON logs,
// waits until it serves HTTP and kills its process group when the test
// ends. env is added to the test's environment.
func startPacer(tb testing.TB, name string, env []string, args ...string) *pacerProc {
	tb.Helper()
	args = append([]string{"run", "--listen", "127.0.0.1:0", "--git-cache-dir", tb.TempDir()}, args...)
	p := &pacerProc{name: name, logs: &proctest.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin.pacer, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start pacer %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.kill()
		if tb.Failed() {
			tb.Logf("pacer %s logs (tail):\n%s", name, tail(p.logs.String(), 6000))
		}
	})
	poll(tb, 15*time.Second, "pacer "+name+" serving HTTP", func() (bool, error) {
		select {
		case <-p.done:
			return false, fmt.Errorf("exited: %s\n%s", p.cmd.ProcessState, p.logs.String())
		default:
		}
		m := servingRE.FindStringSubmatch(p.logs.String())
		if m == nil {
			return false, nil
		}
		p.base = "http://" + m[1]
		return true, nil
	})
	return p
}

// kill sends SIGKILL to the process group, as a crash would, and waits for
// the process to exit. Killing twice does nothing.
func (p *pacerProc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return
	}
	p.killed = true
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// poll is eventually for benchmarks and helpers shared with them
// (eventually takes a *testing.T): it checks cond every 50ms until it holds
// or timeout passes.
func poll(tb testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not true after %s (last error: %v)", what, timeout, err)
		}
		select {
		case <-tb.Context().Done():
			tb.Fatalf("%s: %v", what, tb.Context().Err())
		case <-tick.C:
		}
	}
}

// runStatus is the part of /api/v1/status the tests read.
type runStatus struct {
	Ready    bool `json:"ready"`
	Leader   bool `json:"leader"`
	Revision struct {
		ID string `json:"id"`
	} `json:"revision"`
	InvalidRevision *struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"invalidRevision"`
	LastPass time.Time `json:"lastPass"`
	PassNS   int64     `json:"passDurationNanos"`
	Apps     []struct {
		ID   string `json:"id"`
		Sync string `json:"sync"`
	} `json:"apps"`
	Election struct {
		State  string `json:"state"`
		ID     string `json:"id"`
		Leader string `json:"leader"`
	} `json:"election"`
}

func getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (p *pacerProc) status(ctx context.Context) (runStatus, error) {
	var st runStatus
	err := getJSON(ctx, p.base+"/api/v1/status", &st)
	return st, err
}

// postHook sends a GitLab push event for main to pacer's webhook and returns
// the status code.
func postHook(tb testing.TB, base, token string) int {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, base+"/hooks/gitlab",
		strings.NewReader(`{"object_kind":"push","ref":"refs/heads/main"}`))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("X-Gitlab-Token", token)
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// simApp is the part of a simulator app the tests read.
type simApp struct {
	Instances    int               `json:"instances"`
	TasksRunning int               `json:"tasksRunning"`
	Labels       map[string]string `json:"labels"`
}

func getSimApp(ctx context.Context, simURL, id string) (simApp, error) {
	var body struct {
		App simApp `json:"app"`
	}
	err := getJSON(ctx, simURL+"/v2/apps"+id, &body)
	return body.App, err
}

// scaleOutOfBand changes an app behind pacer's back, as a person with
// Marathon's UI would.
func scaleOutOfBand(tb testing.TB, simURL, id string, n int) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPut, simURL+"/v2/apps"+id+"?force=true",
		strings.NewReader(fmt.Sprintf(`{"instances":%d}`, n)))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("out-of-band scale of %s: %s", id, resp.Status)
	}
}

// write is one non-GET request a pacer instance sent to Marathon, as the
// recording proxy saw it: from the request's arrival to the end of the
// response (or the client going away).
type write struct {
	instance     string
	method, path string
	start, end   time.Time
	status       int
}

func (w write) String() string {
	return fmt.Sprintf("%s %s %s %d [%s, %s]", w.instance, w.method, w.path, w.status,
		w.start.Format("15:04:05.000"), w.end.Format("15:04:05.000"))
}

// writeRecorder puts one reverse proxy per pacer instance in front of the
// simulator and records every write each instance makes.
type writeRecorder struct {
	target *url.URL

	mu      sync.Mutex
	log     []write
	changed chan struct{} // closed and replaced on every record
}

func newWriteRecorder(tb testing.TB, simURL string) *writeRecorder {
	tb.Helper()
	u, err := url.Parse(simURL)
	if err != nil {
		tb.Fatal(err)
	}
	return &writeRecorder{target: u, changed: make(chan struct{})}
}

// proxy serves a proxy for instance until the test ends and returns its URL.
func (r *writeRecorder) proxy(tb testing.TB, instance string) string {
	tb.Helper()
	rp := httputil.NewSingleHostReverseProxy(r.target)
	rp.FlushInterval = -1 // the event stream
	rp.ErrorLog = nil
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			rp.ServeHTTP(w, req)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		rp.ServeHTTP(rec, req)
		r.record(write{instance: instance, method: req.Method, path: req.URL.Path, start: start, end: time.Now(), status: rec.status})
	}))
	tb.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

func (r *writeRecorder) record(w write) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, w)
	close(r.changed)
	r.changed = make(chan struct{})
}

// writes returns the writes recorded so far, in order of completion.
func (r *writeRecorder) writes() []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]write(nil), r.log...)
}

// waitWrite returns the first write after the first `from` recorded ones
// that matches, waiting for it at most timeout.
func (r *writeRecorder) waitWrite(ctx context.Context, from int, timeout time.Duration, match func(write) bool) (write, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		for _, w := range r.log[min(from, len(r.log)):] {
			if match(w) {
				r.mu.Unlock()
				return w, true
			}
		}
		from = len(r.log)
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return write{}, false
		case <-ctx.Done():
			return write{}, false
		}
	}
}

// len is the number of writes recorded so far.
func (r *writeRecorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// overlaps returns the pairs of writes by different instances whose
// intervals overlap.
func overlaps(ws []write) [][2]write {
	var out [][2]write
	for i, a := range ws {
		for _, b := range ws[i+1:] {
			if a.instance != b.instance && a.start.Before(b.end) && b.start.Before(a.end) {
				out = append(out, [2]write{a, b})
			}
		}
	}
	return out
}

// startSimTB is startSim for benchmarks: marathon-sim on a free loopback
// port, stopped (process group killed) when tb ends; it returns the URL.
func startSimTB(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command(bin.sim, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr proctest.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start marathon-sim: %v", err)
	}
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("marathon-sim did not print its URL: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(line)
}
