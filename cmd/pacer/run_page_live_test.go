package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"pacer.dev/pacer/internal/gittest"
)

// cdpPage is one chromium tab driven over the DevTools protocol (no
// driver: a websocket and JSON), to watch the page update itself.
type cdpPage struct {
	ws *websocket.Conn
	mu sync.Mutex
	id int
}

var devtoolsRE = regexp.MustCompile(`DevTools listening on (ws://[^\s]+)`)

// openInChromium starts headless chromium on url with remote debugging on
// a free loopback port and connects to its tab.
func openInChromium(t *testing.T, url string) *cdpPage {
	t.Helper()
	cmd := chromiumCmd(t, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins=http://127.0.0.1", url)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not print its DevTools address")
	}
	// The tab's websocket is /devtools/page/<id>, listed at /json/list.
	base := "http://" + strings.Split(strings.TrimPrefix(browserWS, "ws://"), "/")[0]
	var wsURL string
	eventually(t, 20*time.Second, "chromium tab listed", func() (bool, string) {
		var targets []struct{ Type, URL, WebSocketDebuggerURL string }
		body := httpGet(t, base+"/json/list")
		if err := json.Unmarshal([]byte(body), &targets); err != nil {
			return false, body
		}
		for _, tg := range targets {
			if tg.Type == "page" && strings.HasPrefix(tg.URL, url) {
				wsURL = tg.WebSocketDebuggerURL
				return true, ""
			}
		}
		return false, body
	})
	ws, err := websocket.Dial(wsURL, "", "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &cdpPage{ws: ws}
}

// call sends a DevTools command and returns its result.
func (p *cdpPage) call(t *testing.T, method string, params map[string]any) json.RawMessage {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.id++
	if err := websocket.JSON.Send(p.ws, map[string]any{"id": p.id, "method": method, "params": params}); err != nil {
		t.Fatal(err)
	}
	_ = p.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  any             `json:"error"`
		}
		if err := websocket.JSON.Receive(p.ws, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.ID != p.id {
			continue // an event
		}
		if resp.Error != nil {
			t.Fatalf("%s: %v", method, resp.Error)
		}
		return resp.Result
	}
}

// eval runs a JavaScript expression in the tab and returns its value as
// a string (JSON.stringify it for structures).
func (p *cdpPage) eval(t *testing.T, expr string) string {
	t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(p.call(t, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &res); err != nil {
		t.Fatal(err)
	}
	if res.ExceptionDetails != nil {
		t.Fatalf("eval %s: %v", expr, res.ExceptionDetails)
	}
	return fmt.Sprint(res.Result.Value)
}

// key presses a key (e.g. "Tab") in the tab.
func (p *cdpPage) key(t *testing.T, key string, code int) {
	t.Helper()
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		p.call(t, "Input.dispatchKeyEvent", map[string]any{"type": typ, "key": key, "code": key, "windowsVirtualKeyCode": code})
	}
}

// screenshot saves the tab as a PNG.
func (p *cdpPage) screenshot(t *testing.T, file string) {
	t.Helper()
	var res struct {
		Data []byte `json:"data"` // base64 in JSON: []byte decodes it
	}
	if err := json.Unmarshal(p.call(t, "Page.captureScreenshot", map[string]any{"format": "png"}), &res); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunShutdownEndsStatusPageStreams: an open live-update stream does
// not hold up shutdown (http.Server.Shutdown waits for active requests;
// the page ends its streams when the server shuts down).
func TestRunShutdownEndsStatusPageStreams(t *testing.T) {
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("web", pagingSpecs("1"))
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--sync-interval", "300ms", "--shutdown-timeout", "20s", "--log-format", "console")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.base+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); ended <- err }()
	start := time.Now()
	p.stop(t)
	// Without the page's Close, Shutdown waits a quarter of the timeout
	// (5 s) and leaves the stream open.
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("shutdown took %s with a stream open", took)
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("stream ended with %v, want a clean end", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the stream outlived pacer run")
	}
}

// TestRunUIAuthFile: --ui-auth-file guards the status page and leaves the
// health, metrics and API endpoints open; a bad file stops pacer run.
func TestRunUIAuthFile(t *testing.T) {
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("web", pagingSpecs("1"))
	dir := t.TempDir()
	authFile := filepath.Join(dir, "ui-auth")
	if err := os.WriteFile(authFile, []byte("basic oncall:s3cret-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--sync-interval", "300ms", "--shutdown-timeout", "5s", "--log-format", "console"}
	p := startPacer(t, append(args, "--ui-auth-file", authFile)...)
	code := func(path, user, pass string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		path, user, pass string
		want             int
	}{
		{"/", "", "", 401}, {"/revision", "oncall", "wrong", 401}, {"/", "oncall", "s3cret-pw", 200},
		{"/assets/live.js", "", "", 401}, {"/healthz", "", "", 200}, {"/api/v1/status", "", "", 200}, {"/metrics", "", "", 200},
	} {
		if got := code(tc.path, tc.user, tc.pass); got != tc.want {
			t.Errorf("GET %s as %q = %d, want %d", tc.path, tc.user, got, tc.want)
		}
	}
	if strings.Contains(p.stderr.String(), "s3cret-pw") {
		t.Error("the UI password reached the log")
	}
	p.stop(t)

	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if got := run(t.Context(), append([]string{"run"}, append(args, "--ui-auth-file", bad)...), &stdout, &stderr); got != 1 ||
		!strings.Contains(stderr.String(), "--ui-auth-file") || strings.Contains(stderr.String(), "password") {
		t.Errorf("bad auth file: exit %d, stderr %q", got, stderr.String())
	}
}
