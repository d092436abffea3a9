package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/internal/proctest"
)

func webSpecs(instances string) map[string]string {
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
    production: {clusters: [ams], sync: {policy: automated, prune: true}}
  apps:
    api: {instances: ` + instances + `, cpus: 0.1, mem: 32, cmd: "sleep 1000"}
`}
}

const webAPI = "/services/web/production/api"

// TestRunFollowsGitAndHealsDrift runs `pacer run` against an in-process
// simulator and a local bare repository: a push announced by the webhook is
// applied, a wrong webhook token is refused, an out-of-band scale is healed
// from the event stream, an invalid push applies nothing and is reported,
// and cancelling (SIGTERM) exits within --shutdown-timeout.
func TestRunFollowsGitAndHealsDrift(t *testing.T) {
	simURL := newOperatorSim(t)
	repo := gittest.New(t)
	repo.Push("two instances", webSpecs("2"))
	t.Setenv("PACER_GITLAB_TOKEN", "s3cret")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"run", "--git-url", repo.Bare, "--git-path", "specs", "--git-cache-dir", t.TempDir(),
			"--cluster", "ams", "--marathon", simURL, "--listen", "127.0.0.1:0",
			"--sync-interval", "1h", "--shutdown-timeout", "5s"}, &stdout, &stderr)
	}()
	base := waitListen(t, &stderr)
	if !strings.Contains(stderr.String(), `"level":"info"`) {
		t.Errorf("run logs are not JSON by default:\n%s", stderr.String())
	}

	eventually(t, 10*time.Second, "first sync", func() (bool, string) {
		n, running, err := simInstances(t, simURL, webAPI)
		return err == nil && n == 2 && running == 2, stderr.String()
	})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}

	// A push, announced by the webhook.
	repo.Push("three instances", webSpecs("3"))
	if code := postHook(t, base, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("webhook with a wrong token: %d, want 401", code)
	}
	if code := postHook(t, base, "s3cret"); code != http.StatusAccepted {
		t.Errorf("webhook: %d, want 202", code)
	}
	start := time.Now()
	eventually(t, 5*time.Second, "push applied", func() (bool, string) {
		n, _, err := simInstances(t, simURL, webAPI)
		return err == nil && n == 3, stderr.String()
	})
	t.Logf("push → applied in %s", time.Since(start))

	// Out-of-band change: healed from the event stream, not the 1h interval.
	scaleOutOfBand(t, simURL, webAPI, 7)
	start = time.Now()
	eventually(t, 5*time.Second, "drift healed", func() (bool, string) {
		n, running, err := simInstances(t, simURL, webAPI)
		return err == nil && n == 3 && running == 3, stderr.String()
	})
	t.Logf("out-of-band scale → healed in %s", time.Since(start))

	// An invalid push: nothing applied, the error shows in the status.
	repo.Push("broken", map[string]string{"specs/web.yaml": strings.Replace(webSpecs("1")["specs/web.yaml"], "cpus: 0.1", "cpus: -1", 1)})
	postHook(t, base, "s3cret")
	eventually(t, 5*time.Second, "invalid revision reported", func() (bool, string) {
		st, err := getStatus(t, base)
		return err == nil && st.InvalidRevision != nil, stderr.String()
	})
	if n, _, _ := simInstances(t, simURL, webAPI); n != 3 {
		t.Errorf("invalid revision changed instances to %d", n)
	}
	st, _ := getStatus(t, base)
	if a, _ := appStatus(st, webAPI); a.Sync != "Synced" || a.SpecRevision == st.InvalidRevision.ID {
		t.Errorf("app after invalid push: %+v", a)
	}

	cancel()
	start = time.Now()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, stderr.String())
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("shutdown took %s, more than --shutdown-timeout 5s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pacer run did not exit after cancel")
	}
}

func postHook(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/hooks/gitlab",
		strings.NewReader(`{"object_kind":"push","ref":"refs/heads/main"}`))
	req.Header.Set("X-Gitlab-Token", token)
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
