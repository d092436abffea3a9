package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/internal/loopback"
)

// TestRunPagesLBReloadFailed: pacer run reloads HAProxy through its master
// CLI (--lb-haproxy-master-socket); while no HAProxy answers there, every
// reload fails and LBReloadFailed is paged for the cluster; once HAProxy
// runs on the config in place, a retried reload is confirmed and the
// incident resolves.
func TestRunPagesLBReloadFailed(t *testing.T) {
	t.Parallel()
	haproxy := lookBinary(t, "haproxy")
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("two instances", webSpecs("2"))
	recv := pdtest.New(t, pdtest.Options{})
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "default-key")
	if err := os.WriteFile(keyFile, []byte(defaultKey), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := loopback.Addr(t)
	conf, master := filepath.Join(dir, "haproxy.cfg"), filepath.Join(dir, "master.sock")
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--sync-interval", "300ms",
		"--shutdown-timeout", "5s", "--log-format", "console",
		"--lb-out", conf, "--lb-format", "haproxy", "--lb-group", "*", "--lb-haproxy-master-socket", master,
		"--lb-listen-http", loopback.HostPort(addr, loopback.Port(t, addr)), "--lb-bind", addr,
		"--pagerduty-endpoint", recv.URL, "--pagerduty-routing-key-file", keyFile,
		"--alert-clear-for", "500ms", "--alert-for", "LBReloadFailed=0s")
	key := "pacer/ams/-/LBReloadFailed"
	waitIncidents(t, recv, p, "LB reload failing", map[string][]string{key: {"trigger"}})
	if ev := decodeEvents(t, recv.Events())[0]; ev.RoutingKey != defaultKey || !strings.Contains(ev.Payload.Summary, "load balancer reload failing") {
		t.Errorf("LBReloadFailed trigger: %+v", ev)
	}
	startProcess(t, haproxy, "-W", "-db", "-S", master, "-f", conf)
	waitIncidents(t, recv, p, "LB reload confirmed", map[string][]string{key: {"trigger", "resolve"}})
}
