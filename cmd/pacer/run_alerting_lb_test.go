package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/alerting/pdtest"
	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/lb"
)

// TestRunPagesLBConfigInvalid: while the LB pipeline's validate command
// refuses the rendered config, pacer run pages LBConfigInvalid once for
// the cluster (default routing key); once a later render is accepted, it
// resolves.
func TestRunPagesLBConfigInvalid(t *testing.T) {
	t.Parallel()
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("two instances", webSpecs("2"))
	recv := pdtest.New(t, pdtest.Options{})
	dir := t.TempDir()
	keyFile, refuse := filepath.Join(dir, "default-key"), filepath.Join(dir, "refuse")
	for _, f := range []string{keyFile, refuse} {
		if err := os.WriteFile(f, []byte(defaultKey), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := startPacer(t, "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
		"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0", "--sync-interval", "300ms",
		"--shutdown-timeout", "5s", "--log-format", "console",
		"--lb-out", filepath.Join(dir, "nginx.conf"), "--lb-validate-cmd", "test ! -e "+refuse,
		"--pagerduty-endpoint", recv.URL, "--pagerduty-routing-key-file", keyFile,
		"--alert-clear-for", "500ms", "--alert-for", "LBConfigInvalid=0s")
	key := "pacer/ams/-/LBConfigInvalid"
	waitIncidents(t, recv, p, "LB config refused", map[string][]string{key: {"trigger"}})
	if ev := decodeEvents(t, recv.Events())[0]; ev.RoutingKey != defaultKey || !strings.Contains(ev.Payload.Summary, "load balancer config invalid") {
		t.Errorf("LBConfigInvalid trigger: %+v", ev)
	}

	// The page may come before pacer created the app; the out-of-band
	// scale below must change an app that exists.
	eventually(t, 10*time.Second, "pacer created "+webAPI, func() (bool, string) {
		n, running, err := simInstances(t, simURL, webAPI)
		return err == nil && n == 2 && running == 2, fmt.Sprintf("instances %d, running %d: %v", n, running, err)
	})
	// Accepted again: the next render (a task change) passes validation.
	if err := os.Remove(refuse); err != nil {
		t.Fatal(err)
	}
	scaleOutOfBand(t, simURL, webAPI, 3)
	waitIncidents(t, recv, p, "LB config accepted", map[string][]string{key: {"trigger", "resolve"}})
}

// TestLBStatusOf: LBReloadFailed holds while the pipeline's status carries
// a reload failure (the config is in place, HAProxy did not confirm loading
// it), and clears with it; a refused config is not a reload failure.
func TestLBStatusOf(t *testing.T) {
	t.Parallel()
	failure := &lb.ReloadError{CommandError: &lb.CommandError{Args: []string{"haproxy master CLI", "/run/m.sock", "reload"}, Err: lb.ErrReloadNotTaken}}
	for _, tc := range []struct {
		name string
		st   lb.Status
		want string
	}{
		{"reloaded", lb.Status{Changed: true, Reloaded: true}, ""},
		{"failing, a later pass unchanged", lb.Status{ReloadFailure: failure}, "reload not taken"},
		{"refused config is not a reload failure", lb.Status{ConfigInvalid: true, Err: &lb.ValidationError{CommandError: &lb.CommandError{}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lbStatusOf(tc.st).ReloadFailure
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("ReloadFailure = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}
