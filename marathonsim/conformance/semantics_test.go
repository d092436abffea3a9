package conformance

import (
	"net/http"
	"strings"
	"testing"

	"pacer.dev/pacer/marathonsim"
)

// TestAppLockedBody checks the 409 body of BEHAVIOUR.md §1 for a change to an
// app under a running deployment, and that DELETE defaults to force (§3).
func TestAppLockedBody(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.control(http.MethodPost, "/faults", map[string]any{"stallDeployments": true})
	r := s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/locked"))
	depID := r.header.Get("Marathon-Deployment-Id")

	r = s.do(http.MethodPut, "/v2/apps/locked", map[string]any{"cmd": "sleep 61"})
	if r.status != http.StatusConflict {
		t.Fatalf("PUT on a locked app: status %d, want 409: %s", r.status, r.body)
	}
	checkShape(t, "§1 AppLockedException body",
		decode(t, "409", []byte(`{"message":"m","deployments":[{"id":"d"}]}`)), r.json(t), shapeOptions{})
	// Exception.scala:27-32 at v1.4.13: the message is a constant with a
	// literal <DEPLOYMENT_ID>; the ids are in "deployments".
	wantMsg := "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."
	if msg, _ := get(r.json(t), "$.message").(string); msg != wantMsg {
		t.Errorf("409 message %q, want %q", msg, wantMsg)
	}
	if ids, _ := get(r.json(t), "$.deployments").([]any); len(ids) != 1 || get(ids[0], "$.id") != depID {
		t.Errorf("409 deployments %v, want [{id: %s}]", get(r.json(t), "$.deployments"), depID)
	}
	r = s.do(http.MethodPost, "/v2/apps/locked/restart", nil)
	if r.status != http.StatusConflict {
		t.Errorf("restart of a locked app: status %d, want 409 (§3)", r.status)
	}
	// DELETE's force defaults to true: it cancels the deployment, no 409.
	r = s.do(http.MethodDelete, "/v2/apps/locked", nil)
	if r.status != http.StatusOK {
		t.Errorf("DELETE a locked app: status %d, want 200 (§3: force defaults to true): %s", r.status, r.body)
	}
}

// TestDefaultPortDefinitions: an app without ports gets one named
// "default" port (§6). The POST response is the request's app
// (AppsResource.scala:82-103 at v1.4.13), written before
// GroupManagerActor.assignDynamicServicePorts, so it carries port 0; the
// stored app read back has a service port from 10000.
func TestDefaultPortDefinitions(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	got := s.must(http.StatusCreated, http.MethodPost, "/v2/apps", map[string]any{"id": "noports", "cmd": "sleep 60"}).json(t)
	checkShape(t, "§6 default portDefinitions", decode(t, "pd", []byte(`[{"port":0,"protocol":"tcp","name":"default","labels":{}}]`)),
		get(got, "$.portDefinitions"), shapeOptions{FreeForm: []string{"$[].labels"}})
	if pd, _ := get(got, "$.portDefinitions").([]any); len(pd) != 1 || get(pd[0], "$.port").(float64) != 0 || get(pd[0], "$.name") != "default" {
		t.Errorf("POST response portDefinitions = %v, want one port 0 named default", pd)
	}
	if id := get(got, "$.id"); id != "/noports" {
		t.Errorf("id = %v, want the relative id canonicalised to /noports (§2)", id)
	}
	if args := get(got, "$.args"); args != nil {
		t.Errorf("args = %v, want null when empty (§6)", args)
	}
	stored := s.must(http.StatusOK, http.MethodGet, "/v2/apps/noports", nil).json(t)
	if pd, _ := get(stored, "$.app.portDefinitions").([]any); len(pd) != 1 || get(pd[0], "$.port").(float64) < 10000 {
		t.Errorf("stored portDefinitions = %v, want one port >= 10000", pd)
	}
}

// TestGroupEmbeds: app counts appear in groups only with
// embed=group.apps.counts, and an explicit embed drops the defaults (§4).
func TestGroupEmbeds(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/groups", map[string]any{"id": "/g", "apps": []any{myApp("/g/a")},
		"groups": []any{map[string]any{"id": "/g/sub", "apps": []any{}}}})
	s.settle()
	plain := s.must(http.StatusOK, http.MethodGet, "/v2/groups/g", nil).json(t)
	apps, _ := get(plain, "$.apps").([]any)
	if len(apps) != 1 {
		t.Fatalf("GET /v2/groups/g apps = %v", apps)
	}
	if _, ok := apps[0].(map[string]any)["tasksRunning"]; ok {
		t.Error("group apps carry counts without embed=group.apps.counts (§4)")
	}
	counts := s.must(http.StatusOK, http.MethodGet, "/v2/groups/g?embed=group.apps.counts", nil).json(t)
	capps, _ := get(counts, "$.apps").([]any)
	if len(capps) != 1 {
		t.Fatalf("embed=group.apps.counts apps = %v", capps)
	}
	if _, ok := capps[0].(map[string]any)["tasksRunning"]; !ok {
		t.Error("embed=group.apps.counts: no tasksRunning (§4)")
	}
	if gs, _ := get(counts, "$.groups").([]any); len(gs) != 0 {
		t.Errorf("embed=group.apps.counts alone still lists %d sub-groups (§4: only the listed embeds apply)", len(gs))
	}
}

// TestAppsAlwaysEmbedCounts: /v2/apps always adds counts and deployments
// (§3), and the id filter is a case-insensitive substring.
func TestAppsAlwaysEmbedCounts(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/prod/web"))
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/dev/db"))
	s.settle()
	got := s.must(http.StatusOK, http.MethodGet, "/v2/apps?embed=apps.lastTaskFailure&id=WEB", nil).json(t)
	apps, _ := get(got, "$.apps").([]any)
	if len(apps) != 1 || get(apps[0], "$.id") != "/prod/web" {
		t.Fatalf("id=WEB filter gave %v, want /prod/web only", apps)
	}
	for _, f := range []string{"tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments"} {
		if _, ok := apps[0].(map[string]any)[f]; !ok {
			t.Errorf("GET /v2/apps?embed=apps.lastTaskFailure lacks %s (§3: always embedded)", f)
		}
	}
	star := s.do(http.MethodGet, "/v2/apps/prod/*", nil)
	if star.status != http.StatusOK || !strings.Contains(string(star.body), `"*"`) {
		t.Errorf("GET /v2/apps/prod/* = %d %s, want {\"*\":[...]} (§3)", star.status, star.body)
	}
}
