package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
)

// gapProxy is a Marathon with a normalization gap nobody has found yet: it
// passes everything to the simulator, but every app list shows the mem of
// one app changed, so no write can ever make it match git. It counts the
// writes of that app.
type gapProxy struct {
	app string

	mu     sync.Mutex
	writes int
}

func (g *gapProxy) start(t *testing.T, simURL string) string {
	t.Helper()
	target, err := url.Parse(simURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1 // the event stream
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || resp.Request.URL.Path != "/v2/apps" {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var list struct {
			Apps []map[string]any `json:"apps"`
		}
		if err := json.Unmarshal(body, &list); err == nil {
			for _, a := range list.Apps {
				if a["id"] == g.app {
					a["mem"] = 999.0
				}
			}
			body, _ = json.Marshal(list)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/apps"+g.app) {
			g.mu.Lock()
			g.writes++
			g.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

func (g *gapProxy) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes
}

// TestRunLoopBreaker: under `pacer run`, an app Marathon never shows as
// written is written --max-writes-per-revision times and no more, its
// status says NotConverging with the diff that does not go away, and
// SyncFailed pages once, with that diff (issue 12: 111 deployments in 25s).
func TestRunLoopBreaker(t *testing.T) {
	g := &gapProxy{app: prodAPI}
	marathonURL := g.start(t, newOperatorSim(t))
	repo := gittest.New(t)
	repo.Push("api", map[string]string{"specs/web.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated}, alerting: {urgency: high, routingKey: {fromEnv: PD_WEB_PROD}, for: {SyncFailed: 1ms}}}
  apps:
    api: {instances: 1, cpus: 0.1, mem: 32, cmd: "sleep 1000"}
`})
	recv := pdtest.New(t, pdtest.Options{})
	t.Setenv("PD_WEB_PROD", prodKey)
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", marathonURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--sync-interval", "100ms", "--shutdown-timeout", "5s", "--log-format", "console",
		"--pagerduty-endpoint", recv.URL, "--state-dir", t.TempDir(), "--max-writes-per-revision", "2")

	var lastPass time.Time
	eventually(t, 15*time.Second, "api held back", func() (bool, string) {
		st, err := getStatus(t, p.base)
		if err != nil {
			return false, err.Error()
		}
		a, _ := appStatus(st, prodAPI)
		lastPass = st.LastPass
		return a.Reason == "NotConverging", fmt.Sprintf("%+v\n%s", st, p.stderr.String())
	})
	// Many more passes go by: no more writes.
	for range 5 {
		prev := lastPass
		eventually(t, 10*time.Second, "another pass", func() (bool, string) {
			st, err := getStatus(t, p.base)
			if err != nil {
				return false, err.Error()
			}
			lastPass = st.LastPass
			return st.LastPass.After(prev), ""
		})
	}
	// One create and one update, then the app shows the same update
	// again: the create's diff is the whole app, so the update is smaller
	// and counts as progress, and two writes of the update are allowed.
	if n := g.count(); n != 3 {
		t.Errorf("api written %d times, want 3 (the create, then --max-writes-per-revision=2 updates)\n%s", n, p.stderr.String())
	}
	st, err := getStatus(t, p.base)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := appStatus(st, prodAPI)
	if a.Sync != "OutOfSync" || !strings.Contains(strings.Join(a.Changes, "\n"), "mem: 999 → 32") || !strings.Contains(a.LastError, "written 2 times in a row") {
		t.Errorf("status of the held app: sync %s changes %q error %q", a.Sync, a.Changes, a.LastError)
	}
	key := "pacer/ams/services/web/production/api/SyncFailed"
	waitIncidents(t, recv, p, "SyncFailed paged", map[string][]string{key: {"trigger"}})
	for _, e := range decodeEvents(t, recv.Events()) {
		if e.DedupKey == key && !strings.Contains(fmt.Sprint(e.Payload.CustomDetails), "mem: 999 → 32") {
			t.Errorf("the SyncFailed page does not carry the diff: %v", e.Payload.CustomDetails)
		}
	}
	// Still one page after more passes.
	prev := lastPass
	eventually(t, 10*time.Second, "another pass", func() (bool, string) {
		st, err := getStatus(t, p.base)
		return err == nil && st.LastPass.After(prev), ""
	})
	if got := incidentLog(t, recv)[key]; len(got) != 1 {
		t.Errorf("SyncFailed events %q, want one trigger", got)
	}
}

// TestReconcileNotConverged: `pacer reconcile` against a Marathon that
// shows a field changed after the write does not say "converged": it exits
// 1 naming the change that did not go away.
func TestReconcileNotConverged(t *testing.T) {
	g := &gapProxy{app: "/services/shop/production/api"}
	url := g.start(t, newOperatorSim(t))
	dir := shopTree(t)
	r := runCLI(t, "reconcile", "--specs", dir, "--cluster", "t", "--marathon", url, "--retries", "0", "--wait-timeout", "30s")
	if r.code != exitError || strings.Contains(r.stderr, "converged\n") ||
		!strings.Contains(r.stderr, "not converged: Marathon still differs from git after the apply") ||
		!strings.Contains(r.stderr, "update /services/shop/production/api\n      mem: 999 → 32") {
		t.Errorf("exit %d, want 1 naming the change that stays\nstderr:\n%s", r.code, r.stderr)
	}
	// Marathon without the gap: converged.
	r = runCLI(t, "reconcile", "--specs", dir, "--cluster", "t", "--marathon", newOperatorSim(t), "--retries", "0", "--wait-timeout", "30s")
	if r.code != exitOK || !strings.Contains(r.stderr, "converged") {
		t.Errorf("without the gap: exit %d\n%s", r.code, r.stderr)
	}
}
