package marathonsim

import (
	"sort"
	"strings"
	"time"
)

// Task states as Mesos names them.
const (
	stateStaging = "TASK_STAGING"
	stateRunning = "TASK_RUNNING"
	stateKilling = "TASK_KILLING"
	stateKilled  = "TASK_KILLED"
	stateFailed  = "TASK_FAILED"
	simAgentID   = "sim-agent-S0"
	simHost      = "127.0.0.1"
)

// task is one running (or staging) instance of an app.
type task struct {
	seq          uint64 // launch order
	id           string
	appID        string
	def          *App // the app version the task runs
	state        string
	stagedAt     time.Time
	startedAt    time.Time
	stagedStr    string  // stagedAt, formatted once
	startedStr   *string // startedAt, formatted once; nil while staging
	ports        []int
	servicePorts []int
	health       []healthResult
	forced       *bool
	startTimer   Timer
	hcTimers     []Timer
	killTimer    Timer  // TASK_KILLING → TASK_KILLED (virtual executor)
	killMsg      string // why the task is being killed
	proc         procHandle
	standin      *standIn // serves the ports of a container stand-in
	sandbox      sandbox  // process executor: where it runs and writes stdout/stderr
}

func (t *task) ready() bool {
	if t.state != stateRunning {
		return false
	}
	return len(t.def.HealthChecks) == 0 || t.healthy()
}

func (t *task) healthy() bool {
	if len(t.health) == 0 {
		return false
	}
	for _, h := range t.health {
		if !h.has || !h.alive {
			return false
		}
	}
	return true
}

func (t *task) unhealthy() bool {
	for _, h := range t.health {
		if h.has && !h.alive {
			return true
		}
	}
	return false
}

func (t *task) stopTimers() {
	if t.startTimer != nil {
		t.startTimer.Stop()
	}
	if t.killTimer != nil {
		t.killTimer.Stop()
	}
	for _, tm := range t.hcTimers {
		if tm != nil {
			tm.Stop()
		}
	}
}

// countReady counts running, healthy tasks of r that are not in skip.
func countReady(r *appRuntime, skip map[string]bool) int {
	n := 0
	for id, t := range r.tasks {
		if !skip[id] && t.ready() {
			n++
		}
	}
	return n
}

// sortedTasks returns the tasks of r, oldest first.
func sortedTasks(r *appRuntime) []*task {
	out := make([]*task, 0, len(r.tasks))
	for _, t := range r.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// instanceID is the id of the instance that runs t, as Marathon 1.4.13
// derives it from a task id of the form <app>.<uuid>: <app>.marathon-<uuid>
// (Task.Id.instanceId and calculateLegacyExecutorId, core/task/Task.scala:
// 179-188, 244-246 at v1.4.13). Task ids themselves are unchanged.
func (t *task) instanceID() string {
	i := strings.LastIndexByte(t.id, '.')
	if i < 0 {
		return t.id
	}
	return t.id[:i] + ".marathon-" + t.id[i+1:]
}

// launchTask stages a new task of app a.
func (s *Server) launchTask(a *App, r *appRuntime) {
	s.taskSeq++
	t := &task{seq: s.taskSeq, id: safeID(a.ID) + "." + newUUID(), appID: a.ID, def: a, state: stateStaging, stagedAt: s.now(), servicePorts: servicePortsOf(a)}
	t.stagedStr = formatTime(t.stagedAt)
	t.health = make([]healthResult, len(a.HealthChecks))
	nports := len(t.servicePorts)
	r.tasks[t.id] = t
	s.tasks[t.id] = t
	s.touch(a.ID)
	s.usedCPUs += a.cpus()
	s.usedMem += a.mem()
	if err := s.startExecutor(t, nports); err != nil {
		s.publishStatus(t, "")
		s.failTask(t, "failed to start: "+err.Error())
		return
	}
	s.publishStatus(t, "")
	t.startTimer = s.after(s.opts.TaskStart, func() { s.taskRunning(t) })
}

func (s *Server) taskRunning(t *task) {
	if s.tasks[t.id] != t || t.state != stateStaging {
		return
	}
	if t.proc != nil && !t.proc.Alive() {
		// The process executor reports TASK_RUNNING only for a process
		// that has lived through TaskStart and still lives: one that has
		// exited stays staging until watchProcess fails it, however late
		// under load that goroutine gets the lock.
		return
	}
	t.state = stateRunning
	t.startedAt = s.now()
	t.startedStr = ptr(formatTime(t.startedAt))
	s.publishStatus(t, "")
	s.scheduleHealthChecks(t)
	s.markDirty(t.appID)
}

// stopTask removes t with a terminal state (TASK_KILLED or TASK_FAILED).
func (s *Server) stopTask(t *task, state, msg string) {
	if s.tasks[t.id] != t {
		return
	}
	t.stopTimers()
	delete(s.tasks, t.id)
	if r := s.rt[t.appID]; r != nil {
		delete(r.tasks, t.id)
	}
	s.usedCPUs -= t.def.cpus()
	s.usedMem -= t.def.mem()
	s.stopExecutor(t)
	t.state = state
	s.recordCompleted(t)
	s.publishStatus(t, msg)
	s.markDirty(t.appID)
	for id := range s.waitingCap {
		s.markDirty(id)
	}
	s.forgetIfGone(t.appID)
}

// failTask ends t as TASK_FAILED: recorded as the app's last failure, and
// the next launch of the app is delayed by its backoff.
func (s *Server) failTask(t *task, msg string) {
	if s.tasks[t.id] != t {
		return
	}
	s.stopTask(t, stateFailed, msg)
	if s.root.apps[t.appID] == nil {
		return // a task of a removed app: nothing to relaunch
	}
	r := s.runtime(t.appID)
	r.lastFailure = &taskFailure{AppID: t.appID, Host: simHost, Message: msg, State: stateFailed, TaskID: t.id, Timestamp: formatTime(s.now()), Version: t.def.Version, SlaveID: simAgentID}
	s.addDelay(r, t.def)
}

// killForScale picks n tasks to kill by the app's killSelection.
func killOrder(tasks []*task, selection string) []*task {
	out := append([]*task(nil), tasks...)
	sort.SliceStable(out, func(i, j int) bool {
		// staging tasks go first, then by age
		if (out[i].state == stateStaging) != (out[j].state == stateStaging) {
			return out[i].state == stateStaging
		}
		if selection == "OLDEST_FIRST" {
			return out[i].seq < out[j].seq
		}
		return out[i].seq > out[j].seq
	})
	return out
}

var conditions = map[string]string{stateStaging: "Staging", stateRunning: "Running", stateKilling: "Killing", stateKilled: "Killed", stateFailed: "Failed"}

type statusUpdate struct {
	SlaveID     string      `json:"slaveId"`
	TaskID      string      `json:"taskId"`
	TaskStatus  string      `json:"taskStatus"`
	Message     string      `json:"message"`
	AppID       string      `json:"appId"`
	Host        string      `json:"host"`
	IPAddresses []ipAddress `json:"ipAddresses"`
	Ports       []int       `json:"ports"`
	Version     string      `json:"version"`
}

type ipAddress struct {
	IPAddress string `json:"ipAddress"`
	Protocol  string `json:"protocol"`
}

type instanceChanged struct {
	InstanceID     string `json:"instanceId"`
	Condition      string `json:"condition"`
	RunSpecID      string `json:"runSpecId"`
	AgentID        string `json:"agentId"`
	Host           string `json:"host"`
	RunSpecVersion string `json:"runSpecVersion"`
}

func (s *Server) publishStatus(t *task, msg string) {
	s.publish("status_update_event", statusUpdate{SlaveID: simAgentID, TaskID: t.id, TaskStatus: t.state, Message: msg, AppID: t.appID, Host: simHost,
		IPAddresses: []ipAddress{{IPAddress: simHost, Protocol: "IPv4"}}, Ports: nonNil(t.ports), Version: t.def.Version})
	s.publish("instance_changed_event", instanceChanged{InstanceID: t.instanceID(), Condition: conditions[t.state], RunSpecID: t.appID, AgentID: simAgentID, Host: simHost, RunSpecVersion: t.def.Version})
}
