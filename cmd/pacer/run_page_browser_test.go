package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
)

// pageSpecs: production is automated and pages; staging follows policy
// (automated first, manual later, to leave drift); api carries a secret
// env value and a runbook link; crash is the app whose tasks the test kills;
// api-tcp probes production api's simulated tasks, which listen on nothing
// (CRITICAL), and never pages (the test counts the open incidents).
func pageSpecs(stagingPolicy, stagingMem, stagingPassword string) map[string]string {
	return map[string]string{"specs/web.yaml": `apiVersion: pacer.dev/v1
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
    production: {clusters: [ams], sync: {policy: automated}, alerting: {urgency: high, routingKey: {fromEnv: PD_WEB_PROD}}}
    staging: {clusters: [ams], sync: {policy: ` + stagingPolicy + `}}
  apps:
    api:
      instances: 2
      cpus: 0.1
      mem: 32
      cmd: "sleep 1000"
      env: {DB_PASSWORD: hunter2-prod, LOG_LEVEL: info}
      labels: {HAPROXY_GROUP: external, RUNBOOK_URL: "https://wiki.example/runbooks/web-api"}
      healthChecks: [{protocol: COMMAND, command: {value: "true"}, intervalSeconds: 1, gracePeriodSeconds: 1, maxConsecutiveFailures: 0}]
      environments:
        staging: {mem: ` + stagingMem + `, env: {DB_PASSWORD: ` + stagingPassword + `}}
    crash:
      instances: 1
      cpus: 0.1
      mem: 32
      cmd: "exit 1"
  checks:
    api-tcp:
      tcp: {app: api, portIndex: 0, timeout: 1s}
      interval: 1s
      for: 1
      tip: the api accepts no connections
      runbook: https://wiki.example/runbooks/web-api#tcp
      environments: {production: {page: false}, staging: {enabled: false}}
`}
}

// chromiumCmd is Debian's chromium, headless, with a fresh profile, in a
// process group of its own: its helper processes outlive the browser
// process and keep writing the profile, so the test's cleanup kills the
// group and removes the profile once the group is gone.
func chromiumCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found: install it with `make deps` (apt-get install chromium): %v", err)
	}
	profile, err := os.MkdirTemp("", "pacer-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile}
	cmd := exec.Command(bin, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			// Poll (t.Context is done in cleanups, so not eventually).
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for deadline := time.Now().Add(10 * time.Second); syscall.Kill(-cmd.Process.Pid, 0) == nil && time.Now().Before(deadline); {
				<-tick.C
			}
		}
		if err := os.RemoveAll(profile); err != nil {
			t.Errorf("remove chromium profile: %v", err)
		}
	})
	return cmd
}

// chromium runs chromiumCmd to its end and returns its stdout. --timeout:
// capture what loaded within 60 s instead of waiting on a slow machine for
// ever; the timer below is the backstop.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	cmd := chromiumCmd(t, append([]string{"--timeout=60000"}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
	case <-time.After(3 * time.Minute):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("chromium %v: no result within 3m\n%s", args, stderr.String())
	}
	return stdout.String()
}

// artifactsDir is $PACER_TEST_ARTIFACTS/<test>, else a temp dir.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PACER_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// text is a DOM's text, tags stripped and spaces collapsed, to match
// what a reader sees.
func text(dom string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(dom, " ")), " ")
}

// TestStatusPageInBrowser runs `pacer run` against the simulator with
// drift (a manual environment behind git), a crash loop, an invalid
// revision and an open incident, and checks what chromium shows of each
// page; it saves phone and desktop screenshots.
func TestStatusPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chromium (a Debian package, like the e2e tests' servers); make unit runs -short")
	}
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("web", pageSpecs("automated", "32", "hunter2-staging"))
	recv := pdtest.New(t, pdtest.Options{})
	t.Setenv("PD_WEB_PROD", prodKey)
	keyFile := filepath.Join(t.TempDir(), "default-key")
	if err := os.WriteFile(keyFile, []byte(defaultKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--retries", "0",
		"--sync-interval", "300ms", "--shutdown-timeout", "5s", "--log-format", "console", "--checks-collect-interval", "300ms",
		"--pagerduty-endpoint", recv.URL, "--pagerduty-routing-key-file", keyFile, "--state-dir", t.TempDir(),
		"--alert-for", "InvalidSpecRevision=0s,CrashLooping=0s", "--alert-crash-failures", "2")
	waitHealthy(t, p, "/services/web/production/api", "/services/web/staging/api")

	// Drift: staging turns manual while git changes its mem and password.
	repo.Push("staging: more mem, new password", pageSpecs("manual", "64", "hunter3-staging"))
	eventually(t, 20*time.Second, "staging drift reported", func() (bool, string) {
		st, err := getStatus(t, p.base)
		if err != nil {
			return false, err.Error()
		}
		a, _ := appStatus(st, "/services/web/staging/api")
		return a.Sync == "OutOfSync" && len(a.Changes) >= 2, fmt.Sprintf("%+v", a)
	})
	// A crash loop: the crash app's tasks keep failing.
	crash := "/services/web/production/crash"
	eventually(t, 30*time.Second, "crash loop paged", func() (bool, string) {
		if ts := simTasks(t, simURL, crash); len(ts) > 0 {
			simControl(t, simURL, "POST", "/tasks/"+ts[0]+"/fail", "")
		}
		return strings.Contains(string(recvBodies(recv)), crash+"/CrashLooping"), p.stderr.String()
	})
	// An invalid newer revision: the one in force stays.
	repo.Push("broken", map[string]string{"specs/web.yaml": strings.Replace(pageSpecs("manual", "64", "hunter3-staging")["specs/web.yaml"],
		"cpus: 0.1\n      mem: 32\n      cmd: \"exit 1\"", "cpus: -1\n      mem: 32\n      cmd: \"exit 1\"", 1)})
	eventually(t, 20*time.Second, "invalid revision paged", func() (bool, string) {
		return strings.Contains(string(recvBodies(recv)), "InvalidSpecRevision"), p.stderr.String()
	})
	eventually(t, 10*time.Second, "the page shows both incidents and the failing check", func() (bool, string) {
		body := httpGet(t, p.base+"/")
		return strings.Contains(body, "2 open incidents") && strings.Contains(body, "<b>api-tcp</b>"), body
	})

	pages := []struct {
		name, path string
		want       []string
		flags      []string
	}{
		{"overview", "/", []string{"need attention", "Invalid revision", "stays in force", "2 open incidents",
			"/services/web/staging/api ≠ OutOfSync update", "CrashLooping /services/web/production/crash since",
			"InvalidSpecRevision cluster since", "haproxy external", "Sync ✓", "Health ✓",
			"Checks ✗ 1 of 1 failing", "CRITICAL api-tcp /services/web/production/api : 2 of 2 tasks failing: 127.0.0.1:"}, nil},
		{"app-check", "/apps/services/web/production/api", []string{"Checks", "api-tcp tcp, never pages", "CRITICAL",
			"2 of 2 tasks failing", "the api accepts no connections", `href="https://wiki.example/runbooks/web-api#tcp"`}, nil},
		{"app-drift", "/apps/services/web/staging/api", []string{"Pending changes", "mem: 32 → 64", "env.DB_PASSWORD: (masked ",
			"manual sync policy", "Runbook", "Marathon UI", "Live definition", `"DB_PASSWORD": "(masked `, `"LOG_LEVEL": "(masked `, "Source web.yaml:15:5",
			"Recent writes by pacer", "create", "“web”"}, nil},
		{"app-crash", "/apps/services/web/production/crash", []string{"Last task failure", "simulated crash", "CrashLooping"}, nil},
		{"revision", "/revision", []string{"Revision in force", "staging: more mem, new password", "✗ Invalid", "broken",
			"web.yaml:27:13: spec.apps.crash.cpus: must be at least 0, got -1", "Recent passes", "more like it since"}, nil},
	}
	dir := artifactsDir(t)
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			dom := chromium(t, append(pg.flags, "--dump-dom", p.base+pg.path)...)
			if err := os.WriteFile(filepath.Join(dir, pg.name+".html"), []byte(dom), 0o644); err != nil {
				t.Fatal(err)
			}
			seen := text(dom)
			for _, w := range pg.want {
				if !strings.Contains(seen, w) && !strings.Contains(dom, w) {
					t.Errorf("%s does not show %q; it shows:\n%s", pg.path, w, seen)
				}
			}
			for _, secret := range []string{"hunter2", "hunter3"} {
				if strings.Contains(dom, secret) {
					t.Errorf("%s shows the secret %q", pg.path, secret)
				}
			}
			for _, size := range []string{"390,844", "1280,900"} {
				file := filepath.Join(dir, pg.name+"-"+strings.Replace(size, ",", "x", 1)+".png")
				chromium(t, append(pg.flags, "--window-size="+size, "--hide-scrollbars", "--screenshot="+file, p.base+pg.path)...)
				if fi, err := os.Stat(file); err != nil {
					t.Errorf("screenshot %s: %v", file, err)
				} else if fi.Size() < 10000 {
					t.Errorf("screenshot %s: only %d bytes", file, fi.Size())
				}
			}
		})
	}
	t.Logf("DOMs and screenshots in %s", dir)

	// Live updates: the open overview swaps the row of an app scaled out
	// of band, without a reload, and leaves the other rows' nodes alone.
	t.Run("live update", func(t *testing.T) {
		tab := openInChromium(t, p.base+"/")
		staging, prod := "app:/services/web/staging/api", "app:/services/web/production/api"
		eventually(t, 20*time.Second, "script connected", func() (bool, string) {
			got := tab.eval(t, `document.getElementById("live-state") ? document.getElementById("live-state").textContent : "loading"`)
			return strings.Contains(got, "live"), got
		})
		tab.eval(t, `window.pacerMark = "no reload"; document.getElementById("`+prod+`").pacerMark = "same node"; ""`)
		scaleOutOfBand(t, simURL, "/services/web/staging/api", 3)
		eventually(t, 20*time.Second, "row swapped", func() (bool, string) {
			got := tab.eval(t, `JSON.stringify({mark: window.pacerMark, prod: document.getElementById("`+prod+`").pacerMark || "",
				row: document.getElementById("`+staging+`").textContent.replace(/\s+/g, " "),
				live: document.getElementById("live-state").textContent})`)
			return strings.Contains(got, "3/3/2") && strings.Contains(got, `"mark":"no reload"`) && strings.Contains(got, `"prod":"same node"`) &&
				strings.Contains(got, `"live":"· live`), got
		})

		// Keyboard: the first Tab reaches the skip link, the next ones the
		// navigation; Enter on the skip link moves to the content.
		tab.key(t, "Tab", 9)
		if got := tab.eval(t, `document.activeElement.textContent`); got != "Skip to content" {
			t.Errorf("first Tab focuses %q, want the skip link", got)
		}
		tab.key(t, "Tab", 9)
		if got := tab.eval(t, `document.activeElement.getAttribute("href")`); got != "/" {
			t.Errorf("second Tab focuses %q, want the overview link", got)
		}

		// Dark mode follows prefers-color-scheme.
		light := tab.eval(t, `getComputedStyle(document.body).backgroundColor`)
		tab.call(t, "Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": "dark"}}})
		tab.call(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})
		if dark := tab.eval(t, `getComputedStyle(document.body).backgroundColor`); dark != "rgb(13, 17, 23)" || light != "rgb(255, 255, 255)" {
			t.Errorf("background light %s, dark %s; want rgb(255, 255, 255) and rgb(13, 17, 23)", light, dark)
		}
		tab.screenshot(t, filepath.Join(dir, "overview-dark-1280x900.png"))

		// Without JavaScript, at phone width: the filters are GET
		// parameters and the page is whole; the live indicator stays empty.
		tab.call(t, "Emulation.setScriptExecutionDisabled", map[string]any{"value": true})
		tab.call(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true})
		tab.call(t, "Page.navigate", map[string]any{"url": p.base + "/?env=staging&problems=1"})
		eventually(t, 20*time.Second, "filtered page loaded", func() (bool, string) {
			got := tab.eval(t, `document.readyState + " " + location.search`)
			return got == "complete ?env=staging&problems=1", got
		})
		seen := tab.eval(t, `JSON.stringify({text: document.body.innerText.replace(/\s+/g, " "), live: document.getElementById("live-state").textContent})`)
		for _, w := range []string{"Apps 1–1 of 1 matching (of 4)", "/services/web/staging/api", `"live":""`} {
			if !strings.Contains(seen, w) {
				t.Errorf("without JavaScript the filtered page lacks %q: %s", w, seen)
			}
		}
		if rows := tab.eval(t, `Array.from(document.querySelectorAll("tr[id^='app:']")).map(r => r.id).join(" ")`); rows != staging {
			t.Errorf("the staging problems filter lists rows %q, want only %s", rows, staging)
		}
		tab.screenshot(t, filepath.Join(dir, "overview-nojs-filtered-390x844.png"))
	})
}

// recvBodies are the PagerDuty events accepted so far, joined.
func recvBodies(recv *pdtest.Receiver) []byte {
	var out []byte
	for _, e := range recv.Events() {
		out = append(out, e.Body...)
	}
	return out
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
