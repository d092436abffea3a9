package marathonsim

import (
	"testing"
	"time"
)

// A step is rechecked per app as its tasks change: an action that was done
// can be undone (a ready task turns unhealthy) before the step finishes.
// (newSim also compares every stepDone with a full scan.)
func TestStepWaitsForActionUndone(t *testing.T) {
	x := newSim(t, Options{})
	hc := `"healthChecks":[{"protocol":"HTTP","gracePeriodSeconds":0,"intervalSeconds":60,"maxConsecutiveFailures":0}]`
	x.must(201, "POST", "/v2/groups", `{"id":"/g","apps":[{"id":"a","cmd":"x",`+hc+`},{"id":"b","cmd":"x",`+hc+`}]}`)
	x.advance(300 * time.Millisecond) // both running, no health result yet
	health := func(app string, alive bool) {
		t.Helper()
		body := `{"alive":false}`
		if alive {
			body = `{"alive":true}`
		}
		x.must(200, "POST", "/sim/v1/tasks/"+x.tasks(app)[0]["id"].(string)+"/health", body)
	}
	running := func(want bool, when string) {
		t.Helper()
		if got := len(x.deployments()) == 1; got != want {
			t.Fatalf("%s: deployment running = %v, want %v", when, got, want)
		}
	}
	running(true, "no task healthy")
	health("/g/a", true)
	running(true, "a healthy, b not yet")
	health("/g/a", false)
	health("/g/b", true)
	running(true, "a unhealthy again, b healthy")
	health("/g/a", true)
	running(false, "both healthy")
}
