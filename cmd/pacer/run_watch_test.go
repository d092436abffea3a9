package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/marathonsim"
)

// marathonCounter counts pacer's requests (by user agent, not the test's)
// to the simulator it fronts.
type marathonCounter struct {
	next http.Handler
	mu   sync.Mutex
	// events counts GET /v2/events (stream connections), apps GET /v2/apps.
	events, apps int
}

func (c *marathonCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.UserAgent(), "pacer") {
		c.mu.Lock()
		switch r.URL.Path {
		case "/v2/events":
			c.events++
		case "/v2/apps":
			c.apps++
		}
		c.mu.Unlock()
	}
	c.next.ServeHTTP(w, r)
}

func (c *marathonCounter) counts() (events, apps int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events, c.apps
}

// TestRunHoldsOneEventStream: pacer run with an LB configured holds one
// Marathon event stream (internal/marathon/watch.Hub) for the operator and
// the LB, where it held one each: the operator deploys from git and the LB
// follows a scale it learns of by events only (its resync is an hour).
func TestRunHoldsOneEventStream(t *testing.T) {
	t.Parallel()
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	counter := &marathonCounter{next: sim}
	srv := httptest.NewServer(counter)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = sim.Close()
	})
	api := simAPI{t: t, url: srv.URL}
	api.do("POST", "/v2/apps", map[string]any{
		"id": "/shop/web", "cmd": "sleep 1000", "instances": 1, "cpus": 0.1, "mem": 32,
		"labels": map[string]string{"subdomain": "web.test"},
	}, nil)
	repo := gittest.New(t)
	repo.Push("two instances", webSpecs("2"))
	conf := filepath.Join(t.TempDir(), "nginx.conf")
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", srv.URL, "--listen", "127.0.0.1:0", "--sync-interval", "300ms",
		"--shutdown-timeout", "5s", "--log-format", "console",
		"--lb-out", conf, "--lb-validate-cmd", "none", "--lb-resync", "1h")

	tasksInConfig := func(want int) error {
		var body struct {
			Tasks []struct {
				Host  string `json:"host"`
				Ports []int  `json:"ports"`
			} `json:"tasks"`
		}
		api.do("GET", "/v2/apps/shop/web/tasks", nil, &body)
		if len(body.Tasks) != want {
			return fmt.Errorf("%d tasks, want %d", len(body.Tasks), want)
		}
		cfg, err := os.ReadFile(conf)
		if err != nil {
			return err
		}
		for _, tk := range body.Tasks {
			if len(tk.Ports) == 0 || !strings.Contains(string(cfg), fmt.Sprintf("%s:%d", tk.Host, tk.Ports[0])) {
				return fmt.Errorf("config lacks task %s:%v:\n%s", tk.Host, tk.Ports, cfg)
			}
		}
		return nil
	}
	pollUntil(t, 20*time.Second, func() error {
		var app struct {
			App struct {
				TasksRunning int `json:"tasksRunning"`
			} `json:"app"`
		}
		if err := tryGetJSON(t, srv.URL+"/v2/apps"+webAPI, &app); err != nil {
			return fmt.Errorf("operator has not deployed %s: %w", webAPI, err)
		}
		if app.App.TasksRunning != 2 {
			return fmt.Errorf("operator: %s runs %d tasks, want 2\n%s", webAPI, app.App.TasksRunning, p.stderr.String())
		}
		return tasksInConfig(1)
	})
	api.do("PUT", "/v2/apps/shop/web", map[string]any{"instances": 3}, nil)
	pollUntil(t, 20*time.Second, func() error { return tasksInConfig(3) })

	events, apps := counter.counts()
	if events != 1 {
		t.Errorf("pacer run opened %d /v2/events streams, want 1 for the operator and the LB", events)
	}
	t.Logf("pacer run: %d /v2/events connections, %d GET /v2/apps", events, apps)
}

// tryGetJSON decodes the body of GET url, or returns why it cannot.
func tryGetJSON(t *testing.T, url string, out any) error {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
