package conformance

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// TestHealthEventsNameInstances: Marathon 1.4.13's health events and
// healthCheckResults name the instance, <app>.marathon-<uuid> for the task
// <app>.<uuid> (core/task/Task.scala:179-188 Task.Id.instanceId with
// calculateLegacyExecutorId, line 246, at v1.4.13), and every health change
// is published twice, as health_status_changed_event and
// instance_health_changed_event (core/health/impl/HealthCheckActor.scala:
// 197-204; Formats.scala:651-660 writes the latter). A healthCheckResults
// entry has exactly HealthWrites' keys (Formats.scala:718-728): no taskId.
// instance_changed_event names the instance too (Formats.scala:640-650).
func TestHealthEventsNameInstances(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	es := s.subscribe("?event_type=health_status_changed_event&event_type=instance_health_changed_event&event_type=instance_changed_event")
	app := myApp("/my-app")
	app["healthChecks"] = []any{map[string]any{"protocol": "HTTP", "path": "/", "portIndex": 0,
		"gracePeriodSeconds": 1, "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 3}}
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", app)
	got := es.collect(t, func(typ string, _ map[string]any) bool { return typ == "instance_health_changed_event" })
	if _, ok := got["health_status_changed_event"]; !ok {
		t.Fatal("instance_health_changed_event came without a health_status_changed_event before it")
	}
	tasks, _ := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/my-app/tasks", nil).json(t), "$.tasks").([]any)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks, want 1", len(tasks))
	}
	taskID := get(tasks[0], "$.id").(string)
	dot := strings.LastIndexByte(taskID, '.')
	if !strings.HasPrefix(taskID, "my-app.") || dot < 0 {
		t.Fatalf("task id %q, want my-app.<uuid> (Task.Id.forRunSpec, Task.scala:199-202)", taskID)
	}
	instance := taskID[:dot] + ".marathon-" + taskID[dot+1:]
	for typ, ev := range got {
		if ev["instanceId"] != instance {
			t.Errorf("%s instanceId = %v, want %s for task %s", typ, ev["instanceId"], instance, taskID)
		}
	}
	ihc := got["instance_health_changed_event"]
	checkShape(t, "instance_health_changed_event (Formats.scala:651-660)", recorded(t, "events/master-90619da-instance_health_changed_event.json"), ihc, shapeOptions{})
	if ihc["healthy"] != true || ihc["runSpecId"] != "/my-app" {
		t.Errorf("instance_health_changed_event = %v, want healthy true for /my-app", ihc)
	}
	results, _ := get(tasks[0], "$.healthCheckResults").([]any)
	if len(results) != 1 {
		t.Fatalf("healthCheckResults = %v, want one entry", results)
	}
	var keys []string
	for k := range results[0].(map[string]any) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := "alive consecutiveFailures firstSuccess instanceId lastFailure lastFailureCause lastSuccess"; strings.Join(keys, " ") != want {
		t.Errorf("healthCheckResults keys %v, want %s", keys, want)
	}
	if id := get(results[0], "$.instanceId"); id != instance {
		t.Errorf("healthCheckResults instanceId = %v, want %s", id, instance)
	}
}

// TestNoHealthEventForFirstFailure: Health starts not alive
// (core/health/Health.scala, alive = lastSuccess > lastFailure), and
// HealthCheckActor publishes only when alive changes (HealthCheckActor.scala:
// 197), so a task that fails its first counted check publishes
// failed_health_check_event but no health change.
func TestNoHealthEventForFirstFailure(t *testing.T) {
	clock := marathonsim.NewFakeClock(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSim(t, marathonsim.Options{Clock: clock, TaskStart: 10 * time.Millisecond})
	es := s.subscribe("?event_type=health_status_changed_event&event_type=instance_health_changed_event&event_type=failed_health_check_event")
	app := myApp("/never")
	app["instances"] = 1
	app["healthChecks"] = []any{map[string]any{"protocol": "HTTP", "path": "/", "portIndex": 0,
		"gracePeriodSeconds": 0, "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 0}}
	s.must(http.StatusCreated, http.MethodPost, "/v2/apps", app)
	var taskID string
	eventually(t, 10*time.Second, "a staged task", func() bool {
		tasks, _ := get(s.must(http.StatusOK, http.MethodGet, "/v2/apps/never/tasks", nil).json(t), "$.tasks").([]any)
		if len(tasks) == 1 {
			taskID, _ = get(tasks[0], "$.id").(string)
		}
		return taskID != ""
	})
	// Fail the check before the task runs, so its first counted result is a failure.
	s.control(http.MethodPost, "/tasks/"+taskID+"/health", map[string]any{"alive": false})
	clock.Advance(10 * time.Millisecond) // running
	clock.Advance(10 * time.Millisecond) // first check
	got := es.collect(t, func(typ string, _ map[string]any) bool { return typ == "failed_health_check_event" })
	for _, typ := range []string{"health_status_changed_event", "instance_health_changed_event"} {
		if ev, ok := got[typ]; ok {
			t.Errorf("%s published for a first failure: %v", typ, ev)
		}
	}
}
