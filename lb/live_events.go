package lb

import (
	"cmp"
	"encoding/json"
	"fmt"

	"github.com/gambol99/go-marathon"
)

// Event is one Marathon event (Type and its JSON Data), or a gap marker:
// events may have been lost (a reconnection), so the state must be re-read.
type Event struct {
	Type string
	Data []byte
	Gap  bool
}

// EventTypes are the Marathon events the live state follows; subscribe with
// this filter (?event_type=…) so Marathon does not send the rest.
var EventTypes = []string{
	"status_update_event",
	"health_status_changed_event",
	"api_post_event",
	"app_terminated_event",
	"group_change_success",
	"deployment_info",
	"deployment_step_success",
	"deployment_step_failure",
	"deployment_success",
	"deployment_failed",
}

// Effect is what an event did to the state.
type Effect int

const (
	// EffectNone: nothing the load balancer depends on changed.
	EffectNone Effect = iota
	// EffectChanged: the state changed; render again.
	EffectChanged
	// EffectResync: the event cannot be applied on its own (an unknown app
	// or task, a group change); re-read everything.
	EffectResync
)

// terminalStates are Mesos task states after which the task is gone.
var terminalStates = map[string]bool{
	"TASK_FINISHED": true, "TASK_FAILED": true, "TASK_KILLED": true, "TASK_ERROR": true,
	"TASK_DROPPED": true, "TASK_GONE": true, "TASK_GONE_BY_OPERATOR": true,
}

type statusUpdateEvent struct {
	AppID       string                `json:"appId"`
	TaskID      string                `json:"taskId"`
	TaskStatus  string                `json:"taskStatus"`
	Host        string                `json:"host"`
	SlaveID     string                `json:"slaveId"`
	Ports       []int                 `json:"ports"`
	IPAddresses []*marathon.IPAddress `json:"ipAddresses"`
	Version     string                `json:"version"`
	Timestamp   string                `json:"timestamp"`
}

type healthChangedEvent struct {
	AppID      string `json:"appId"`
	InstanceID string `json:"instanceId"` // 1.4
	TaskID     string `json:"taskId"`     // 1.3
	Alive      bool   `json:"alive"`
}

type deploymentAction struct {
	Action string `json:"action"`
	Type   string `json:"type"` // the doc examples' spelling
	App    string `json:"app"`
}

type deploymentEvent struct {
	ID   string `json:"id"`
	Plan struct {
		ID string `json:"id"`
	} `json:"plan"`
	CurrentStep *struct {
		Actions []deploymentAction `json:"actions"`
	} `json:"currentStep"`
}

// Apply updates the state with one event and says what it did. A gap or an
// undecodable event asks for a resync, with the decoding error.
func (s *LiveState) Apply(ev Event) (Effect, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resyncing && !ev.Gap {
		s.replay = append(s.replay, ev)
	}
	eff, err := s.applyLocked(ev)
	if eff == EffectChanged {
		s.gen++
	}
	return eff, err
}

func (s *LiveState) applyLocked(ev Event) (Effect, error) {
	if ev.Gap {
		return EffectResync, nil
	}
	if s.apps == nil {
		s.apps = map[string]*liveApp{}
	}
	var err error
	var eff Effect
	switch ev.Type {
	case "status_update_event":
		var e statusUpdateEvent
		if err = json.Unmarshal(ev.Data, &e); err == nil {
			eff = s.statusUpdate(e)
		}
	case "health_status_changed_event":
		var e healthChangedEvent
		if err = json.Unmarshal(ev.Data, &e); err == nil {
			eff = s.healthChanged(e)
		}
	case "api_post_event":
		var e struct {
			AppDefinition json.RawMessage `json:"appDefinition"`
		}
		if err = json.Unmarshal(ev.Data, &e); err == nil {
			eff, err = s.appDefinition(e.AppDefinition)
		}
	case "app_terminated_event":
		var e struct {
			AppID string `json:"appId"`
		}
		if err = json.Unmarshal(ev.Data, &e); err == nil {
			if _, ok := s.apps[e.AppID]; ok {
				delete(s.apps, e.AppID)
				eff = EffectChanged
			}
		}
	case "group_change_success":
		eff = EffectResync
	case "deployment_info":
		var e deploymentEvent
		if err = json.Unmarshal(ev.Data, &e); err == nil {
			eff = s.deploymentStep(e)
		}
	case "deployment_step_success", "deployment_step_failure", "deployment_success", "deployment_failed":
		var e deploymentEvent
		if err = json.Unmarshal(ev.Data, &e); err == nil {
			eff = s.deploymentDone(e)
		}
	}
	if err != nil {
		return EffectResync, fmt.Errorf("decode %s: %w", ev.Type, err)
	}
	return eff, nil
}

func (s *LiveState) statusUpdate(e statusUpdateEvent) Effect {
	la := s.apps[e.AppID]
	if terminalStates[e.TaskStatus] {
		if la == nil || la.tasks[e.TaskID] == nil {
			return EffectNone
		}
		delete(la.tasks, e.TaskID)
		return EffectChanged
	}
	if la == nil {
		return EffectResync
	}
	var t marathon.Task
	if old := la.tasks[e.TaskID]; old != nil {
		t = *old
	} else {
		t = marathon.Task{ID: e.TaskID, AppID: e.AppID, StagedAt: e.Timestamp}
	}
	if t.State != "TASK_RUNNING" && e.TaskStatus == "TASK_RUNNING" {
		t.StartedAt = e.Timestamp
	}
	t.State, t.Host, t.SlaveID = e.TaskStatus, e.Host, e.SlaveID
	if e.Version != "" {
		t.Version = e.Version
	}
	if len(e.Ports) > 0 {
		t.Ports = e.Ports
	}
	if len(e.IPAddresses) > 0 {
		t.IPAddresses = e.IPAddresses
	}
	la.tasks[e.TaskID] = &t
	if la.portsPending {
		return EffectResync
	}
	return EffectChanged
}

// healthChanged records the task's health. The event does not say which of
// an app's health checks changed, so the task gets one result with the new
// value: with several checks a task leaves on the first failing one and is
// back when a check recovers (the periodic resync corrects the rare case of
// another check still failing).
func (s *LiveState) healthChanged(e healthChangedEvent) Effect {
	la := s.apps[e.AppID]
	if la == nil {
		return EffectResync
	}
	id := cmp.Or(e.InstanceID, e.TaskID)
	old := la.taskOfInstance(id)
	if old == nil {
		return EffectResync
	}
	if len(old.HealthCheckResults) == 1 && old.HealthCheckResults[0] != nil && old.HealthCheckResults[0].Alive == e.Alive {
		return EffectNone
	}
	t := *old
	t.HealthCheckResults = []*marathon.HealthCheckResult{{Alive: e.Alive, TaskID: t.ID}}
	la.tasks[t.ID] = &t
	return EffectChanged
}

// taskOfInstance is the task a health event names: Marathon 1.4 names the
// instance ("<app>.marathon-<uuid>" for task "<app>.<uuid>"; a pod's
// tasks extend their instance id), older events the task. nil when the
// app has no such task.
func (la *liveApp) taskOfInstance(id string) *marathon.Task {
	if t := la.tasks[id]; t != nil {
		return t
	}
	for _, tid := range taskIDsOf(id) {
		if t := la.tasks[tid]; t != nil && instanceIDOf(tid) == id {
			return t
		}
	}
	// Resident tasks ("<app>.<uuid>.<attempt>") and pods: as Marathon
	// maps a task to its instance (Task.Id.instanceId).
	for tid, t := range la.tasks {
		if instanceIDOf(tid) == id {
			return t
		}
	}
	return nil
}

func (s *LiveState) appDefinition(raw json.RawMessage) (Effect, error) {
	def, err := decodeApplication(raw)
	if err != nil {
		return EffectResync, err
	}
	if def.ID == "" {
		return EffectNone, nil
	}
	def.Tasks = nil
	la := s.apps[def.ID]
	if la == nil {
		la = &liveApp{tasks: map[string]*marathon.Task{}}
		s.apps[def.ID] = la
	} else {
		keepAssignedPorts(&def, la.def)
	}
	la.def = def
	if la.portsPending = unassignedPorts(def); la.portsPending {
		// Marathon assigns them now: read them (and again when a task
		// of the app reports, if this read is too early).
		return EffectResync, nil
	}
	return EffectChanged, nil
}

func (s *LiveState) deploymentStep(e deploymentEvent) Effect {
	id := cmp.Or(e.Plan.ID, e.ID)
	delete(s.actions, id)
	if e.CurrentStep == nil {
		return EffectChanged
	}
	for _, a := range e.CurrentStep.Actions {
		s.setAction(id, a.App, cmp.Or(a.Action, a.Type))
	}
	return EffectChanged
}

// deploymentDone clears the actions of a finished step or deployment.
func (s *LiveState) deploymentDone(e deploymentEvent) Effect {
	id := cmp.Or(e.Plan.ID, e.ID)
	if _, ok := s.actions[id]; !ok {
		return EffectNone
	}
	delete(s.actions, id)
	return EffectChanged
}

// decodeApplication decodes an app definition as go-marathon's type, without
// env and secrets, which the load balancer never reads and which go-marathon
// v0.7.1 cannot decode when they hold secret references.
func decodeApplication(raw []byte) (marathon.Application, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return marathon.Application{}, fmt.Errorf("decode app: %w", err)
	}
	delete(fields, "env")
	delete(fields, "secrets")
	trimmed, err := json.Marshal(fields)
	if err != nil {
		return marathon.Application{}, fmt.Errorf("decode app: %w", err)
	}
	var a marathon.Application
	if err := json.Unmarshal(trimmed, &a); err != nil {
		return marathon.Application{}, fmt.Errorf("decode app: %w", err)
	}
	return a, nil
}
