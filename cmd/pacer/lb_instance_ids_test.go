package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// TestLBHealthEventsWithoutFullReads (issue 21): on the simulator, which
// names instances in health events as Marathon 1.4.13 does
// ("<app>.marathon-<uuid>" for task "<app>.<uuid>"), pacer lb applies a
// task's health change from the event alone: the task leaves and comes
// back to the config with no GET /v2/apps after the first read. Before
// the instance ids were mapped to tasks, each such event made pacer lb
// read all of Marathon again.
func TestLBHealthEventsWithoutFullReads(t *testing.T) {
	t.Parallel()
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	counter := &marathonCounter{next: sim}
	srv := httptest.NewServer(counter)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = sim.Close()
	})
	api := simAPI{t: t, url: srv.URL}
	api.do("POST", "/v2/apps", map[string]any{
		"id": "/shop/web", "cmd": "sleep 1000", "instances": 3, "cpus": 0.1, "mem": 32,
		"labels": map[string]string{"NIXY_REALM": "internal", "subdomain": "web.test"},
		"healthChecks": []map[string]any{{"protocol": "HTTP", "path": "/", "portIndex": 0,
			"intervalSeconds": 1, "gracePeriodSeconds": 10, "timeoutSeconds": 1, "maxConsecutiveFailures": 0}},
	}, nil)
	pollUntil(t, 20*time.Second, func() error {
		if n := len(api.healthyTasks("/shop/web")); n != 3 {
			return fmt.Errorf("%d healthy tasks, want 3", n)
		}
		return nil
	})
	tasks := api.healthyTasks("/shop/web")

	conf := filepath.Join(t.TempDir(), "nginx.conf")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan cliResult, 1)
	go func() {
		done <- runLBCLI(ctx, "lb", "--marathon", srv.URL, "--realm", "internal", "--format", "nginx", "--out", conf,
			"--validate-cmd", "none", "--reload-cmd", "true", "--resync", "1h",
			"--debounce-min", "10ms", "--debounce-max", "200ms", "--min-reload-interval", "10ms")
	}()
	t.Cleanup(func() {
		cancel()
		if r := <-done; t.Failed() {
			t.Logf("pacer lb exit %d, log:\n%s", r.code, r.stderr)
		}
	})
	pollUntil(t, 20*time.Second, func() error { return configLists(conf, tasks, nil) })
	_, reads := counter.counts()
	t.Logf("first reads: %d GET /v2/apps", reads)

	sick := tasks[0]
	api.do("POST", "/sim/v1/tasks/"+sick.ID+"/health", map[string]bool{"alive": false}, nil)
	pollUntil(t, 20*time.Second, func() error { return configLists(conf, tasks[1:], []simTask{sick}) })
	api.do("POST", "/sim/v1/tasks/"+sick.ID+"/health", map[string]bool{"alive": true}, nil)
	pollUntil(t, 20*time.Second, func() error { return configLists(conf, tasks, nil) })

	if _, after := counter.counts(); after != reads {
		t.Errorf("pacer lb read /v2/apps %d more time(s) for two health changes, want 0", after-reads)
	}
}
