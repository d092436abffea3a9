package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
)

// TestDevConvergesAndHealsDrift runs `pacer dev` on the example specs as a
// newcomer would: it converges the embedded simulator, heals the drift the
// banner's curl causes, and cleans up on Ctrl-C.
func TestDevConvergesAndHealsDrift(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"dev", "--specs", "../../examples/specs", "--listen", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	base := waitListen(t, &stdout)
	banner := stdout.String()
	simURL := regexp.MustCompile(`Marathon:\s+(http://\S+)`).FindStringSubmatch(banner)[1]
	tmp := regexp.MustCompile(`removes (\S+)`).FindStringSubmatch(banner)[1]
	lbOut := regexp.MustCompile(`LB config:\s+(\S+)`).FindStringSubmatch(banner)[1]

	const checks = "/services/autofill/production/checks"
	eventually(t, 20*time.Second, "examples converged", func() (bool, string) {
		st, err := getStatus(t, base)
		if err != nil || !st.Ready {
			return false, stderr.String()
		}
		a, ok := appStatus(st, checks)
		return ok && a.Sync == "Synced" && a.Health == "Healthy", stderr.String()
	})
	if _, err := os.Stat(lbOut); err != nil {
		t.Errorf("LB config not rendered: %v", err)
	}
	page := regexp.MustCompile(`page:\s+(http://\S+)`).FindStringSubmatch(banner)[1]
	if body := httpGet(t, page+"?q=checks"); !strings.Contains(body, `href="/apps/services/autofill/production/checks"`) {
		t.Errorf("pacer dev's status page at %s does not list %s:\n%s", page, checks, body)
	}
	eventually(t, 10*time.Second, "the page shows the LB pipeline's run", func() (bool, string) {
		body := httpGet(t, page)
		return regexp.MustCompile(`Load balancer: [1-9]\d* backends, [1-9]\d* servers`).MatchString(body), body
	})

	scaleOutOfBand(t, simURL, checks, 3)
	start := time.Now()
	eventually(t, 10*time.Second, "drift healed", func() (bool, string) {
		n, running, err := simInstances(t, simURL, checks)
		return err == nil && n == 1 && running == 1, stderr.String()
	})
	t.Logf("drift healed in %s", time.Since(start))

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("pacer dev did not stop")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s left behind: %v", tmp, err)
	}
}
