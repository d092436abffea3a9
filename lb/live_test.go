package lb

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
)

// ev builds an event from a JSON-able payload.
func ev(typ string, payload any) Event {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return Event{Type: typ, Data: b}
}

func status(appID, taskID, state string, port int) Event {
	return ev("status_update_event", map[string]any{"appId": appID, "taskId": taskID, "taskStatus": state,
		"host": "10.1.0.1", "ports": []int{port}, "version": "v1", "timestamp": "2024-05-01T12:00:00.000Z"})
}

func healthEv(appID, id string, alive bool) Event {
	return ev("health_status_changed_event", map[string]any{"appId": appID, "instanceId": id, "alive": alive})
}

func deployEv(typ, id string, actions ...[2]string) Event {
	acts := []map[string]string{}
	for _, a := range actions {
		acts = append(acts, map[string]string{"action": a[0], "app": a[1]})
	}
	return ev(typ, map[string]any{"plan": map[string]any{"id": id}, "currentStep": map[string]any{"actions": acts}})
}

// serving lists "app task" for every task the LB would serve.
func serving(t *testing.T, s *LiveState) []string {
	t.Helper()
	snap := s.Snapshot()
	sel := Backends(t.Context(), snap.Apps, SelectOptions{Leaving: func(id string) bool { return snap.Leaving[id] }}, nil)
	out := []string{}
	for _, b := range sel.Backends {
		for _, srv := range b.Servers {
			out = append(out, fmt.Sprintf("%s %s %s", b.AppID, srv.TaskID, srv.Address()))
		}
	}
	return out
}

func versioned(v string) taskOpt { return func(t *marathon.Task) { t.Version = v } }
func startedAt(s string) taskOpt { return func(t *marathon.Task) { t.StartedAt = s } }

func withVersion(v string, instances int) appOpt {
	return func(a *marathon.Application) { a.Version = v; a.Instances = &instances }
}

func TestLiveStateEvents(t *testing.T) {
	web := func(tasks ...*marathon.Task) marathon.Application {
		return app("/web", withPorts(10000), withHealthCheck("HTTP"), withVersion("v1", 2), withTasks(tasks...))
	}
	t1 := func() *marathon.Task { return task(1, health(true), versioned("v1"), startedAt("a")) }
	t2 := func() *marathon.Task { return task(2, health(true), versioned("v1"), startedAt("b")) }
	tests := []struct {
		name        string
		apps        []marathon.Application
		deps        []marathon.Deployment
		events      []Event
		wantEffects []Effect
		want        []string
	}{
		{
			name: "full read serves healthy running tasks",
			apps: []marathon.Application{web(t1(), t2())},
			want: []string{"/web t1 10.0.0.1:31001", "/web t2 10.0.0.2:31002"},
		},
		{
			name:        "TASK_KILLING leaves at once",
			apps:        []marathon.Application{web(t1(), t2())},
			events:      []Event{status("/web", "t2", "TASK_KILLING", 31002)},
			wantEffects: []Effect{EffectChanged},
			want:        []string{"/web t1 10.0.0.1:31001"},
		},
		{
			name:        "killed task is forgotten, unknown killed task is a no-op",
			apps:        []marathon.Application{web(t1(), t2())},
			events:      []Event{status("/web", "t2", "TASK_KILLED", 31002), status("/web", "t9", "TASK_KILLED", 1)},
			wantEffects: []Effect{EffectChanged, EffectNone},
			want:        []string{"/web t1 10.0.0.1:31001"},
		},
		{
			name: "unhealthy leaves, healthy again returns, repeated health is a no-op",
			apps: []marathon.Application{web(t1(), t2())},
			events: []Event{
				healthEv("/web", "t1", false), healthEv("/web", "t1", false),
				healthEv("/web", "t2", false), healthEv("/web", "t2", true),
			},
			wantEffects: []Effect{EffectChanged, EffectNone, EffectChanged, EffectChanged},
			want:        []string{"/web t2 10.0.0.2:31002"},
		},
		{
			name: "new task serves after running and healthy",
			apps: []marathon.Application{web(t1())},
			events: []Event{
				status("/web", "t3", "TASK_STAGING", 0), status("/web", "t3", "TASK_RUNNING", 31003),
				healthEv("/web", "t3", true),
			},
			wantEffects: []Effect{EffectChanged, EffectChanged, EffectChanged},
			want:        []string{"/web t1 10.0.0.1:31001", "/web t3 10.1.0.1:31003"},
		},
		{
			name: "unknown app or task asks for a full read",
			apps: []marathon.Application{web(t1())},
			events: []Event{
				status("/new", "n1", "TASK_RUNNING", 31005), healthEv("/web", "t7", true),
				{Gap: true}, ev("group_change_success", map[string]string{"groupId": "/"}),
				{Type: "status_update_event", Data: []byte("{")},
			},
			wantEffects: []Effect{EffectResync, EffectResync, EffectResync, EffectResync, EffectResync},
			want:        []string{"/web t1 10.0.0.1:31001"},
		},
		{
			name: "api_post_event creates and updates apps, app_terminated_event removes them",
			apps: []marathon.Application{web(t1())},
			events: []Event{
				ev("api_post_event", map[string]any{"appDefinition": map[string]any{"id": "/api", "env": map[string]any{"S": map[string]string{"secret": "x"}},
					"portDefinitions": []map[string]any{{"port": 10001, "protocol": "tcp"}}, "labels": map[string]string{"subdomain": "api"}}}),
				status("/api", "a1", "TASK_RUNNING", 31010),
				ev("app_terminated_event", map[string]string{"appId": "/web"}),
				ev("app_terminated_event", map[string]string{"appId": "/gone"}),
			},
			wantEffects: []Effect{EffectChanged, EffectChanged, EffectChanged, EffectNone},
			want:        []string{"/api a1 10.1.0.1:31010"},
		},
		{
			name: "StopApplication step takes every task out before the kills",
			apps: []marathon.Application{web(t1(), t2())},
			events: []Event{
				deployEv("deployment_info", "d1", [2]string{"StopApplication", "/web"}),
			},
			wantEffects: []Effect{EffectChanged},
			want:        []string{},
		},
		{
			name: "finished deployment clears its actions",
			apps: []marathon.Application{web(t1(), t2())},
			events: []Event{
				deployEv("deployment_info", "d1", [2]string{"StopApplication", "/web"}),
				deployEv("deployment_step_success", "d1"),
			},
			wantEffects: []Effect{EffectChanged, EffectChanged},
			want:        []string{"/web t1 10.0.0.1:31001", "/web t2 10.0.0.2:31002"},
		},
		{
			name: "rolling restart: one old task leaves per ready new task, oldest first",
			apps: []marathon.Application{app("/web", withPorts(10000), withHealthCheck("HTTP"), withVersion("v2", 2),
				withTasks(t1(), t2(), task(3, health(true), versioned("v2"))))},
			deps: []marathon.Deployment{{ID: "d2", CurrentActions: []*marathon.DeploymentStep{{Action: "RestartApplication", App: "/web"}}}},
			want: []string{"/web t2 10.0.0.2:31002", "/web t3 10.0.0.3:31003"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s LiveState
			s.Replace(tc.apps, tc.deps)
			got := []Effect{}
			for _, e := range tc.events {
				eff, _ := s.Apply(e)
				got = append(got, eff)
			}
			if tc.wantEffects == nil {
				tc.wantEffects = []Effect{}
			}
			if diff := cmp.Diff(tc.wantEffects, got); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, serving(t, &s)); diff != "" {
				t.Errorf("serving (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLiveStateResyncReplay: events that arrive while a full read is in
// flight are replayed on top of its (possibly older) result.
func TestLiveStateResyncReplay(t *testing.T) {
	var s LiveState
	if s.Snapshot().Synced {
		t.Fatal("zero state claims to be synced")
	}
	web := app("/web", withPorts(10000), withTasks(task(1), task(2)))
	s.Replace([]marathon.Application{web}, nil)
	gen := s.Snapshot().Generation

	s.BeginResync()
	// The read started before t2 was killed, and its answer still lists t2.
	if _, err := s.Apply(status("/web", "t2", "TASK_KILLED", 0)); err != nil {
		t.Fatal(err)
	}
	s.Replace([]marathon.Application{web}, nil)
	if diff := cmp.Diff([]string{"/web t1 10.0.0.1:31001"}, serving(t, &s)); diff != "" {
		t.Errorf("serving after replay (-want +got):\n%s", diff)
	}
	if s.Snapshot().Generation <= gen {
		t.Error("generation did not grow")
	}
	// A snapshot is not changed by later events.
	snap := s.Snapshot()
	if _, err := s.Apply(status("/web", "t1", "TASK_KILLING", 31001)); err != nil {
		t.Fatal(err)
	}
	if snap.Apps[0].Tasks[0].State != "TASK_RUNNING" {
		t.Error("an event changed a task inside an earlier snapshot")
	}
}
