package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
)

// TestRunPlacesMarathon422AtSpecLine: pacer run reports a definition
// Marathon rejects (422) at the spec line that sets the rejected field, in
// /api/v1/status and in the log, as pacer reconcile does.
func TestRunPlacesMarathon422AtSpecLine(t *testing.T) {
	simURL := newOperatorSim(t)
	group := strings.Replace(serviceGroup("shop", []string{"db", "api"}, "      healthChecks:\n        - {protocol: COMMAND}\n"),
		"production: {clusters: [t]}", "production: {clusters: [t], sync: {policy: automated}}", 1)
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/shop.yaml": group})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"run", "--specs", dir, "--cluster", "t", "--marathon", simURL, "--listen", "127.0.0.1:0",
			"--sync-interval", "1h", "--shutdown-timeout", "5s"}, &stdout, &stderr)
	}()
	base := waitListen(t, &stderr)

	// Line 19 col 11 is the health check Marathon wants a command for; the
	// app itself is at line 14.
	const want = "services/shop.yaml:19:11: create app /services/shop/production/api: rejected by Marathon (Object is not valid): /healthChecks(0)/command: is empty"
	eventually(t, 10*time.Second, "422 reported at the spec line", func() (bool, string) {
		st, err := getStatus(t, base)
		if err != nil {
			return false, err.Error()
		}
		a, _ := appStatus(st, "/services/shop/production/api")
		return a.LastError == want, a.LastError
	})
	if !strings.Contains(stderr.String(), "services/shop.yaml:19:11: create app") {
		t.Errorf("log does not place the 422 at the spec line:\n%s", stderr.String())
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pacer run did not exit after cancel")
	}
}
