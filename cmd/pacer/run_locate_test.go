package main

import (
	"context"
	"net/http"
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
	// Every definition Marathon refuses on its own is refused offline by
	// validate (specs TestBadSpecs); the id collision below is with an app
	// only the live Marathon has: an app and a group may not share an id.
	group := strings.Replace(serviceGroup("shop", []string{"db", "api"}, ""),
		"production: {clusters: [t]}", "production: {clusters: [t], sync: {policy: automated}}", 1)
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/shop.yaml": group})

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, simURL+"/v2/apps/services/shop/production/db/sidecar",
		strings.NewReader(`{"cmd":"sleep 1000","instances":0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("sidecar: %s", resp.Status)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"run", "--specs", dir, "--cluster", "t", "--marathon", simURL, "--listen", "127.0.0.1:0",
			"--sync-interval", "1h", "--shutdown-timeout", "5s"}, &stdout, &stderr)
	}()
	base := waitListen(t, &stderr)

	// Line 8 col 5 is the app db.
	const want = "services/shop.yaml:8:5: create app /services/shop/production/db: rejected by Marathon (Object is not valid): /: Groups and Applications may not have the same identifier."
	eventually(t, 10*time.Second, "422 reported at the spec line", func() (bool, string) {
		st, err := getStatus(t, base)
		if err != nil {
			return false, err.Error()
		}
		a, _ := appStatus(st, "/services/shop/production/db")
		return a.LastError == want, a.LastError
	})
	if !strings.Contains(stderr.String(), "services/shop.yaml:8:5: create app") {
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
