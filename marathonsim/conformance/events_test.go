package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// eventStream reads /v2/events of a simulator.
type eventStream struct {
	events chan map[string]any
	raw    chan [2]string // type line, data
}

func (s *sim) subscribe(query string) *eventStream {
	s.t.Helper()
	ctx, cancel := context.WithCancel(s.t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v2/events"+query, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := s.hc.Do(req)
	if err != nil {
		cancel()
		s.t.Fatalf("GET /v2/events: %v", err)
	}
	s.t.Cleanup(func() { cancel(); resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream;charset=UTF-8" {
		s.t.Errorf("/v2/events Content-Type %q, want text/event-stream;charset=UTF-8 (§8)", ct)
	}
	es := &eventStream{raw: make(chan [2]string, 4096)}
	go func() {
		defer close(es.raw)
		r := bufio.NewReader(resp.Body)
		var typ, data string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "":
				es.raw <- [2]string{typ, data}
				typ, data = "", ""
			}
		}
	}()
	return es
}

// collect reads events until stop returns true for one, returning the
// first event of each type seen.
func (es *eventStream) collect(t *testing.T, stop func(typ string, ev map[string]any) bool) map[string]map[string]any {
	t.Helper()
	got := map[string]map[string]any{}
	deadline := time.After(15 * time.Second)
	for {
		select {
		case fr, ok := <-es.raw:
			if !ok {
				t.Fatal("event stream ended")
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(fr[1]), &ev); err != nil {
				t.Fatalf("event %s: data is not JSON: %q", fr[0], fr[1])
			}
			if ev["eventType"] != fr[0] {
				t.Errorf("event line %q but eventType %v (§8)", fr[0], ev["eventType"])
			}
			if _, ok := got[fr[0]]; !ok {
				got[fr[0]] = ev
			}
			if stop(fr[0], ev) {
				return got
			}
		case <-deadline:
			types := make([]string, 0, len(got))
			for k := range got {
				types = append(types, k)
			}
			t.Fatalf("stop condition not met within 15s; saw %v", types)
		}
	}
}

// deploymentPlanPatches turn the doc's deployment event into the 1.4 code's
// shape (BEHAVIOUR.md §8 table and the note under it).
func deploymentPlanPatches(t *testing.T) []patch {
	return []patch{
		set("$.plan.steps", []any{map[string]any{"actions": []any{map[string]any{"action": "ScaleApplication", "app": "/x"}}}},
			"§5/§8: plan.steps are [{actions:[{action,app}]}] (DeploymentPlan writes), not the doc's flat list"),
		rename("$.currentStep.actions[].type", "action", "§8: the 1.4 code writes action; the doc example shows type"),
		set("$.plan.original.pods", []any{}, "§4/§9: groups have pods from 1.4"),
		set("$.plan.target.pods", []any{}, "§4/§9: groups have pods from 1.4"),
		set("$.plan.target.apps", []any{appDefShape(t)}, "§3: apps in the plan's groups are 1.4.13 app definitions"),
	}
}

var planFreeForm = append(freeForm("$.plan.target.apps[]"), freeForm("$.plan.original.apps[]")...)

func TestEventShapes(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	es := s.subscribe("")
	app := myApp("/my-app")
	app["healthChecks"] = []any{map[string]any{"protocol": "HTTP", "path": "/", "portIndex": 0,
		"gracePeriodSeconds": 1, "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 3}}
	r := s.must(http.StatusCreated, http.MethodPost, "/v2/apps", app)
	depID := r.header.Get("Marathon-Deployment-Id")
	got := es.collect(t, func(typ string, ev map[string]any) bool {
		return typ == "deployment_success" && ev["id"] == depID
	})
	s.settle()

	// Fail the task's health check, then delete the app.
	tasks := s.must(http.StatusOK, http.MethodGet, "/v2/apps/my-app/tasks", nil).json(t)
	taskList, _ := get(tasks, "$.tasks").([]any)
	if len(taskList) == 0 {
		t.Fatal("no task to fail")
	}
	taskID, _ := get(taskList[0], "$.id").(string)
	s.control(http.MethodPost, "/tasks/"+taskID+"/health", map[string]any{"alive": false})
	more := es.collect(t, func(typ string, _ map[string]any) bool { return typ == "failed_health_check_event" })
	s.must(http.StatusOK, http.MethodDelete, "/v2/apps/my-app", nil)
	more2 := es.collect(t, func(typ string, _ map[string]any) bool { return typ == "app_terminated_event" })
	for _, m := range []map[string]map[string]any{more, more2} {
		for k, v := range m {
			if _, ok := got[k]; !ok {
				got[k] = v
			}
		}
	}

	hcPatches := func(prefix string) []patch {
		return []patch{
			set(prefix+".ignoreHttp1xx", false, "§6: HTTP health checks are written with ignoreHttp1xx (MarathonHttpHealthCheckFormat, Formats.scala:772-777; no delaySeconds, which only COMMAND and MESOS_* checks have)"),
		}
	}
	cases := []struct {
		typ     string
		file    string
		opts    shapeOptions
		patches []patch
	}{
		{"event_stream_attached", "events/master-90619da-event_stream_attached.json", shapeOptions{}, []patch{
			del("$.clientIp", "§8: attached carries remoteAddress; the doc example shows a subscribe_event's fields"),
			del("$.callbackUrl", "§8: as above"),
			set("$.remoteAddress", "127.0.0.1", "§8: event_stream_attached {remoteAddress}"),
		}},
		{"api_post_event", "events/v1.4.13-api_post_event.json", shapeOptions{FreeForm: freeForm("$.appDefinition")}, []patch{
			set("$.appDefinition", applyPatches(t, appDefShape(t), []patch{
				set("$.healthChecks", []any{applyPatches(t, recorded(t, "events/v1.4.13-failed_health_check_event.json").(map[string]any)["healthCheck"], hcPatches("$"))}, "this app has a health check"),
				del("$.versionInfo", "§3: a posted definition has no versionInfo"),
			}), "§8: appDefinition is the full 1.4.13 app JSON"),
		}},
		{"group_change_success", "events/v1.4.13-group_change_success.json", shapeOptions{}, nil},
		{"deployment_info", "events/v1.4.13-deployment_info.json", shapeOptions{FreeForm: planFreeForm, Ignore: []string{"$.plan.target.apps[].healthChecks"}}, deploymentPlanPatches(t)},
		{"deployment_step_success", "events/v1.4.13-deployment_step_success.json", shapeOptions{FreeForm: planFreeForm, Ignore: []string{"$.plan.target.apps[].healthChecks"}}, deploymentPlanPatches(t)},
		{"deployment_success", "events/v1.4.13-deployment_success.json", shapeOptions{FreeForm: planFreeForm, Ignore: []string{"$.plan.target.apps[].healthChecks"}}, []patch{
			set("$.plan", get(applyPatches(t, recorded(t, "events/v1.4.13-deployment_info.json"), deploymentPlanPatches(t)), "$.plan"),
				"§8: deployment_success also carries plan (the doc shows only id)"),
		}},
		{"status_update_event", "events/v1.4.13-status_update_event.json", shapeOptions{}, []patch{
			set("$.message", "", "§8: status_update_event has message"),
			set("$.ipAddresses", []any{map[string]any{"ipAddress": "127.0.0.1", "protocol": "IPv4"}}, "§8: status_update_event has ipAddresses"),
		}},
		{"health_status_changed_event", "events/v1.4.13-health_status_changed_event.json", shapeOptions{}, nil},
		{"failed_health_check_event", "events/v1.4.13-failed_health_check_event.json", shapeOptions{}, append([]patch{
			rename("$.taskId", "instanceId", "§8: 1.4 writes instanceId (1.3: taskId)"),
		}, hcPatches("$.healthCheck")...)},
		{"app_terminated_event", "events/master-90619da-app_terminated_event.json", shapeOptions{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			ev, ok := got[tc.typ]
			if !ok {
				t.Fatalf("the sim published no %s during create, health failure and delete (§7, §8)", tc.typ)
			}
			checkShape(t, tc.file, recorded(t, tc.file), ev, tc.opts, tc.patches...)
		})
	}
}

func TestEventTypeFilter(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	es := s.subscribe("?event_type=deployment_success&event_type=group_change_success")
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", myApp("/filtered"))
	got := es.collect(t, func(typ string, _ map[string]any) bool { return typ == "deployment_success" })
	for typ := range got {
		if typ != "deployment_success" && typ != "group_change_success" {
			t.Errorf("filtered stream received %s (§8 event_type filter)", typ)
		}
	}
}
