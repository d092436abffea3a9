package marathonsim

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// allTasks is GET /v2/tasks as id → state.
func (x *sim) allTasks() map[string]string {
	x.t.Helper()
	var body struct {
		Tasks []struct{ ID, State string }
	}
	if err := json.Unmarshal(x.must(200, "GET", "/v2/tasks", nil).body, &body); err != nil {
		x.t.Fatal(err)
	}
	out := map[string]string{}
	for _, tk := range body.Tasks {
		out[tk.ID] = tk.State
	}
	return out
}

// taskStatuses lists the status_update_event states of one task, in order,
// with the matching instance_changed_event conditions.
func (x *sim) taskStatuses(id string) (states, conds []string) {
	for _, e := range x.events() {
		switch {
		case e.Type == "status_update_event" && e.Payload["taskId"] == id:
			states = append(states, e.Payload["taskStatus"].(string))
		case e.Type == "instance_changed_event" && e.Payload["instanceId"] == instanceOf(id):
			conds = append(conds, e.Payload["condition"].(string))
		}
	}
	return states, conds
}

func TestScaleDownKillsThroughTaskKilling(t *testing.T) {
	x := newSim(t, Options{}) // TaskStart = TaskKill = 200ms
	x.must(201, "POST", "/v2/apps", `{"id":"/s","cmd":"x","instances":2}`)
	x.until(time.Second, "deployed", func() bool { return len(x.deployments()) == 0 })
	x.must(200, "PUT", "/v2/apps/s", `{"instances":1}`)

	var victim string
	for id, st := range x.allTasks() {
		if st == stateKilling {
			victim = id
		}
	}
	if victim == "" {
		t.Fatalf("no TASK_KILLING task in /v2/tasks: %v", x.allTasks())
	}
	var list struct{ Apps []map[string]any }
	_ = json.Unmarshal(x.must(200, "GET", "/v2/apps?embed=apps.tasks", nil).body, &list)
	a := list.Apps[0]
	var states []string
	for _, tk := range a["tasks"].([]any) {
		states = append(states, tk.(map[string]any)["state"].(string))
	}
	slices.Sort(states)
	if !slices.Equal(states, []string{stateKilling, stateRunning}) || a["tasksRunning"] != 1.0 || a["tasksStaged"] != 0.0 {
		t.Errorf("while killing: task states %v, tasksRunning %v, tasksStaged %v; want one killing, one running, 1, 0", states, a["tasksRunning"], a["tasksStaged"])
	}
	if len(x.deployments()) != 1 {
		t.Error("scale deployment finished while a task is still TASK_KILLING")
	}

	x.advance(199 * time.Millisecond)
	if x.allTasks()[victim] != stateKilling {
		t.Errorf("task left TASK_KILLING before Options.TaskKill")
	}
	x.advance(time.Millisecond)
	if _, ok := x.allTasks()[victim]; ok || len(x.deployments()) != 0 {
		t.Errorf("after TaskKill: task still listed (%v) or deployment left (%d)", ok, len(x.deployments()))
	}
	gotStates, gotConds := x.taskStatuses(victim)
	if want := []string{stateStaging, stateRunning, stateKilling, stateKilled}; !slices.Equal(gotStates, want) {
		t.Errorf("status_update_event states %v, want %v", gotStates, want)
	}
	if want := []string{"Staging", "Running", "Killing", "Killed"}; !slices.Equal(gotConds, want) {
		t.Errorf("instance_changed_event conditions %v, want %v", gotConds, want)
	}
}

func TestKillGracePeriodHoldsCapacity(t *testing.T) {
	x := newSim(t, Options{CPUs: 1})
	x.must(201, "POST", "/v2/apps", `{"id":"/g","cmd":"x","cpus":1,"taskKillGracePeriodSeconds":10}`)
	x.until(time.Second, "deployed", func() bool { return len(x.deployments()) == 0 })
	id := x.tasks("/g")[0]["id"].(string)

	x.must(200, "DELETE", "/v2/apps/g/tasks/"+id, nil)
	x.advance(9 * time.Second)
	if x.allTasks()[id] != stateKilling {
		t.Fatalf("task %s not TASK_KILLING within its 10 s grace period: %v", id, x.allTasks())
	}
	if n := len(x.allTasks()); n != 1 {
		t.Errorf("replacement launched while the killing task holds the only CPU (%d tasks)", n)
	}
	if a := x.app("/g"); a["tasksRunning"] != 0.0 || a["tasksHealthy"] != 0.0 {
		t.Errorf("killing task counted: tasksRunning %v tasksHealthy %v", a["tasksRunning"], a["tasksHealthy"])
	}
	x.advance(time.Second)
	tasks := x.allTasks()
	if _, ok := tasks[id]; ok || len(tasks) != 1 {
		t.Errorf("after the grace period: %v, want only a replacement", tasks)
	}
}

func TestDeleteAppWaitsForKillingTasks(t *testing.T) {
	x := newSim(t, Options{TaskKill: time.Second})
	x.must(201, "POST", "/v2/apps", `{"id":"/d","cmd":"x","instances":2}`)
	x.until(time.Second, "deployed", func() bool { return len(x.deployments()) == 0 })
	x.must(200, "DELETE", "/v2/apps/d", nil)
	x.must(404, "GET", "/v2/apps/d", nil)
	tasks := x.allTasks()
	if len(tasks) != 2 {
		t.Fatalf("tasks of a deleted app disappeared at once: %v", tasks)
	}
	for id, st := range tasks {
		if st != stateKilling {
			t.Errorf("task %s is %s, want TASK_KILLING", id, st)
		}
	}
	if len(x.deployments()) != 1 {
		t.Error("StopApplication finished before its tasks were gone")
	}
	x.advance(time.Second)
	if len(x.allTasks()) != 0 || len(x.deployments()) != 0 {
		t.Errorf("after TaskKill: tasks %v, deployments %d", x.allTasks(), len(x.deployments()))
	}
	// The id can be used again with a fresh runtime.
	x.must(201, "POST", "/v2/apps", `{"id":"/d","cmd":"x"}`)
	x.until(time.Second, "recreated", func() bool { return x.app("/d")["tasksRunning"] == 1.0 })
}

func TestRollingRestartOldTasksKilling(t *testing.T) {
	x := newSim(t, Options{TaskKill: 2 * time.Second})
	x.must(201, "POST", "/v2/apps", `{"id":"/r","cmd":"v1","instances":2,"upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":0}}`)
	x.until(time.Second, "deployed", func() bool { return len(x.deployments()) == 0 })
	old := x.tasks("/r")
	x.must(200, "POST", "/v2/apps/r/restart", nil)
	sawKilling := false
	x.until(20*time.Second, "restart done", func() bool {
		a := x.app("/r")
		killing := 0
		for _, tk := range a["tasks"].([]any) {
			if tk.(map[string]any)["state"] == stateKilling {
				killing++
			}
		}
		if killing > 0 {
			sawKilling = true
			if running := a["tasksRunning"].(float64); int(running)+killing > len(a["tasks"].([]any)) {
				t.Fatalf("killing task counted as running: %s", jsonString(a))
			}
		}
		return len(x.deployments()) == 0
	})
	if !sawKilling {
		t.Error("no old task was seen TASK_KILLING during the restart")
	}
	for _, o := range old {
		st, _ := x.taskStatuses(o["id"].(string))
		if !slices.Contains(st, stateKilling) || st[len(st)-1] != stateKilled {
			t.Errorf("old task %v states %v, want ... TASK_KILLING, TASK_KILLED", o["id"], st)
		}
	}
}

func TestUnhealthyKillGoesThroughKilling(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/u","cmd":"x","healthChecks":[{"protocol":"HTTP","gracePeriodSeconds":0,"intervalSeconds":5,"maxConsecutiveFailures":1}]}`)
	x.until(5*time.Second, "healthy", func() bool { return x.app("/u")["tasksHealthy"] == 1.0 })
	id := x.tasks("/u")[0]["id"].(string)
	x.must(200, "POST", "/sim/v1/tasks/"+id+"/health", `{"alive":false}`)
	if st := x.allTasks()[id]; st != stateKilling {
		t.Fatalf("unhealthy task is %q, want TASK_KILLING", st)
	}
	if a := x.app("/u"); a["tasksUnhealthy"] != 0.0 || a["tasksRunning"] != 0.0 {
		t.Errorf("killing task still counted: %v unhealthy, %v running", a["tasksUnhealthy"], a["tasksRunning"])
	}
}
