package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/paging"
	"pacer.dev/pacer/status"
)

// agreeState is one live state of an app and what the one status model
// says of it.
type agreeState struct {
	app        string
	live       map[string]any // nil: not in Marathon
	health     status.Health
	reason     status.Reason
	sync       status.Sync
	conditions []string // the per-app paging conditions that hold
}

func agreeStates() []agreeState {
	managed := map[string]string{"pacer.dev/managed-by": "pacer"}
	live := func(instances, running, healthy, unhealthy int, deployments []string, checks bool) map[string]any {
		m := map[string]any{"cmd": "sleep 1000", "instances": instances, "tasksRunning": running, "tasksHealthy": healthy,
			"tasksUnhealthy": unhealthy, "tasksStaged": 0, "labels": managed, "deployments": []map[string]string{}}
		for _, d := range deployments {
			m["deployments"] = append(m["deployments"].([]map[string]string), map[string]string{"id": d})
		}
		if checks {
			m["healthChecks"] = []map[string]any{{"protocol": "HTTP", "path": "/health"}}
		}
		return m
	}
	return []agreeState{
		{"healthy", live(2, 2, 0, 0, nil, false), status.Healthy, status.ReasonAllTasksHealthy, status.OutOfSync, []string{"OutOfSync"}},
		{"suspended", live(0, 0, 0, 0, nil, false), status.Suspended, status.ReasonScaledToZero, status.OutOfSync, []string{"OutOfSync"}},
		// The case the two health models used to disagree on.
		{"scaling-to-zero", live(0, 2, 0, 0, []string{"d0"}, false), status.Progressing, status.ReasonDeploymentRunning, status.OutOfSync, []string{"OutOfSync"}},
		{"deploying", live(2, 1, 0, 0, []string{"d1"}, false), status.Progressing, status.ReasonDeploymentRunning, status.OutOfSync, []string{"OutOfSync", "Underprovisioned"}},
		{"short", live(2, 1, 0, 0, nil, false), status.Degraded, status.ReasonTasksNotRunning, status.OutOfSync, []string{"OutOfSync", "Underprovisioned"}},
		{"unhealthy", live(2, 2, 1, 1, nil, true), status.Degraded, status.ReasonTasksUnhealthy, status.OutOfSync, []string{"OutOfSync", "Unhealthy"}},
		{"checks-pending", live(2, 2, 1, 0, nil, true), status.Degraded, status.ReasonHealthChecksUnmet, status.OutOfSync, []string{"OutOfSync"}},
		{"missing", nil, status.Missing, status.ReasonNotInMarathon, status.OutOfSync, []string{"OutOfSync"}},
	}
}

// cannedMarathon answers the reads of pacer status and pacer run with the
// states' live apps under /services/st/production; writes are refused.
func cannedMarathon(t *testing.T, states []agreeState) string {
	t.Helper()
	var apps []map[string]any
	for _, s := range states {
		if s.live == nil {
			continue
		}
		a := map[string]any{"id": "/services/st/production/" + s.app, "version": "2026-01-01T00:00:00.000Z"}
		for k, v := range s.live {
			a[k] = v
		}
		apps = append(apps, a)
	}
	body, err := json.Marshal(map[string]any{"apps": apps})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/apps", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /v2/deployments", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "[]") })
	mux.HandleFunc("GET /v2/queue", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"queue":[]}`) })
	mux.HandleFunc("GET /v2/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// TestStatusModelAgrees: /api/v1/status (pacer run), pacer status and the
// paging signals read the one status model, and agree app by app over a
// table of live states.
func TestStatusModelAgrees(t *testing.T) {
	states := agreeStates()
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = s.app
	}
	// The specs want one more instance than any live state has, so every
	// app is out of sync and the pass has writes to plan (a dry run
	// writes none).
	group := strings.ReplaceAll(serviceGroup("st", names, ""), "instances: 1", "instances: 3")
	dir := specTree(t, map[string]string{"clusters.yaml": testCluster, "services/st.yaml": group})
	url := cannedMarathon(t, states)

	// pacer status
	r := runCLI(t, "status", "-o", "json", "--specs", dir, "--cluster", "t", "--marathon", url, "--retries", "0")
	if r.code != exitOK {
		t.Fatalf("status: exit %d\n%s", r.code, r.stderr)
	}
	var out statusOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, r.stdout)
	}
	cli := map[string]statusRow{}
	for _, row := range out.Apps {
		cli[row.ID] = row
	}

	// pacer run's /api/v1/status
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"run", "--dry-run", "--specs", dir, "--cluster", "t", "--marathon", url, "--listen", "127.0.0.1:0",
			"--sync-interval", "1h", "--shutdown-timeout", "5s"}, &stdout, &stderr)
	}()
	base := waitListen(t, &stderr)
	var api operator.Status
	eventually(t, 10*time.Second, "first pass", func() (bool, string) {
		st, err := getStatus(t, base)
		api = st
		return err == nil && st.Ready && len(st.Apps) == len(states), stderr.String()
	})
	signals := paging.Signals(paging.Input{Cluster: "t", Now: time.Now()}, api, paging.LBStatus{})

	for _, s := range states {
		id := "/services/st/production/" + s.app
		t.Run(s.app, func(t *testing.T) {
			row, ok := cli[id]
			if !ok {
				t.Fatalf("pacer status has no row for %s", id)
			}
			a, ok := appStatus(api, id)
			if !ok {
				t.Fatalf("/api/v1/status has no app %s", id)
			}
			want := fmt.Sprint(s.sync, s.health, s.reason)
			if got := fmt.Sprint(row.Sync, row.Health, row.HealthReason); got != want {
				t.Errorf("pacer status: %s, want %s", got, want)
			}
			if got := fmt.Sprint(a.Sync, a.Health, a.HealthReason); got != want {
				t.Errorf("/api/v1/status: %s, want %s", got, want)
			}
			var conds []string
			for _, sig := range signals {
				if sig.App == id {
					conds = append(conds, string(sig.Condition))
				}
			}
			if got, want := strings.Join(conds, ","), strings.Join(s.conditions, ","); got != want {
				t.Errorf("paging conditions %s, want %s", got, want)
			}
		})
	}
	cancel()
	select {
	case <-exit:
	case <-time.After(10 * time.Second):
		t.Fatal("pacer run did not exit after cancel")
	}
}
