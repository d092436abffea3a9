package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/operator"
)

// secretSpecs: one app in two environments whose env holds a password;
// production converges automatically (a change event), test is manual and
// pages OutOfSync after 1s (custom_details carry the diff).
func secretSpecs(password string) string {
	return `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams.invalid:8080"]}
  plan: {showEnv: [LOG_LEVEL]}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams], alerting: {urgency: high, routingKey: {fromEnv: PD_WEB_PROD}}}
    test: {clusters: [ams], sync: {policy: manual}, alerting: {urgency: high, routingKey: {fromEnv: PD_WEB_TEST}, for: {OutOfSync: 1s}}}
  apps:
    api:
      instances: 1
      cpus: 0.1
      mem: 32
      cmd: "sleep 1000"
      env: {DB_PASSWORD: "` + password + `", LOG_LEVEL: info}
`
}

// TestNoSecretLeaves changes a password in git and looks for the old and
// the new value on every surface pacer writes to: diff in the three
// formats, status, pacer run's logs (at -v 1), /api/v1/status, /metrics,
// and what PagerDuty receives (OutOfSync's custom_details, change events).
// Each surface must still show that DB_PASSWORD changes.
func TestNoSecretLeaves(t *testing.T) {
	const oldPW, newPW = "hunter2-old-Zq9", "hunter2-new-Zq9"
	simURL := newOperatorSim(t)
	dir := specTree(t, map[string]string{"specs.yaml": secretSpecs(oldPW)})
	base := []string{"--specs", dir, "--cluster", "ams", "--marathon", simURL, "--retries", "0", "--v", "1"}
	if r := runCLI(t, append([]string{"reconcile", "--wait-timeout", "30s"}, base...)...); r.code != exitOK {
		t.Fatalf("first reconcile: exit %d\n%s", r.code, r.stderr)
	}
	writeSpec(t, dir, "specs.yaml", secretSpecs(newPW))

	surfaces := map[string]string{}
	mustMention := map[string]bool{}
	for _, args := range [][]string{
		{"diff"}, {"diff", "-o", "json"}, {"diff", "-o", "markdown"}, {"reconcile", "--dry-run", "-o", "markdown"},
		{"status"}, {"status", "-o", "json"},
	} {
		r := runCLI(t, append(args, base...)...)
		if r.code == exitError {
			t.Fatalf("%v: exit 1\n%s", args, r.stderr)
		}
		name := strings.Join(args, " ")
		surfaces[name+" (stdout)"], surfaces[name+" (stderr)"] = r.stdout, r.stderr
		if args[0] != "status" {
			mustMention[name+" (stdout)"] = true
		}
	}

	recv := pdtest.New(t, pdtest.Options{})
	t.Setenv("PD_WEB_PROD", prodKey)
	t.Setenv("PD_WEB_TEST", testKey)
	stateDir := t.TempDir()
	p := startPacer(t, append(base, "--listen", "127.0.0.1:0", "--sync-interval", "300ms", "--shutdown-timeout", "5s",
		"--pagerduty-endpoint", recv.URL, "--state-dir", stateDir)...)
	var st operator.Status
	eventually(t, 20*time.Second, "production written, test paged OutOfSync", func() (bool, string) {
		var change, outOfSync bool
		for _, e := range recv.Events() {
			body := string(e.Body)
			change = change || (e.Path == pdtest.ChangePath && strings.Contains(body, "/services/web/production/api"))
			outOfSync = outOfSync || (e.Path == pdtest.EnqueuePath && strings.Contains(body, "/services/web/test/api") && strings.Contains(body, "DB_PASSWORD"))
		}
		var err error
		st, err = getStatus(t, p.base)
		return change && outOfSync && err == nil, fmt.Sprintf("change %v, outOfSync %v, %d events", change, outOfSync, len(recv.Events()))
	})
	for _, path := range []string{"/api/v1/status", "/metrics"} {
		resp, err := http.Get(p.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		surfaces["GET "+path] = string(body)
	}
	mustMention["GET /api/v1/status"] = true
	if a, _ := appStatus(st, "/services/web/test/api"); len(a.Changes) == 0 {
		t.Errorf("status of the manual environment lists no changes: %+v", a)
	}
	for i, e := range recv.Events() {
		name := fmt.Sprintf("PagerDuty %s #%d", e.Path, i)
		surfaces[name] = string(e.Body)
		mustMention[name] = strings.Contains(string(e.Body), "/services/web/test/api") || e.Path == pdtest.ChangePath
	}
	p.stop(t)
	surfaces["pacer run logs"] = p.stderr.String()
	files, err := os.ReadDir(stateDir)
	if err != nil || len(files) == 0 {
		t.Fatalf("--state-dir holds nothing (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(stateDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		surfaces["--state-dir "+f.Name()] = string(data)
	}

	for name, out := range surfaces {
		for _, secret := range []string{oldPW, newPW} {
			if strings.Contains(out, secret) {
				t.Errorf("%s prints the secret %q:\n%s", name, secret, out)
			}
		}
		if mustMention[name] && !strings.Contains(out, "DB_PASSWORD") {
			t.Errorf("%s does not say that DB_PASSWORD changes:\n%s", name, out)
		}
	}
	if !strings.Contains(surfaces["diff (stdout)"], "env.DB_PASSWORD: (masked ") {
		t.Errorf("diff does not show the password masked:\n%s", surfaces["diff (stdout)"])
	}
}
