package lb

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/gambol99/go-marathon"
)

// LiveState is the in-memory model of Marathon the pipeline renders from:
// every app with its tasks and health, and the deployment actions in
// progress. A full read (Replace) sets it; events (Apply) update it one task
// at a time, so a health change costs no Marathon request.
//
// Snapshots share no mutable data with the state (tasks are copied on
// write), so rendering runs outside the lock while events keep arriving.
// A LiveState is safe for concurrent use; the zero value is empty and unsynced.
type LiveState struct {
	mu   sync.Mutex
	apps map[string]*liveApp
	// actions: deployment id → app id → action of its current step
	// (StopApplication, RestartApplication, ...).
	actions map[string]map[string]string
	synced  bool
	// During a full read, applied events are also kept to be replayed on
	// top of the read's result, which may be older than they are.
	resyncing bool
	replay    []Event
	gen       uint64
}

type liveApp struct {
	def   marathon.Application // Tasks is nil; tasks live in the map
	tasks map[string]*marathon.Task
	// portsPending: def has service ports Marathon had not assigned yet
	// (an api_post_event's); a task status re-reads Marathon.
	portsPending bool
}

// Snapshot is a consistent copy of the state.
type Snapshot struct {
	// Apps with their tasks, sorted by id (tasks by id).
	Apps []marathon.Application
	// Leaving are tasks about to be killed by a deployment step: every
	// task of an app being stopped, and, for an app being restarted, the
	// old-version tasks Marathon may kill now that enough new ones serve.
	Leaving map[string]bool
	// Generation grows with every change of the state.
	Generation uint64
	// Synced is false until the first full read.
	Synced bool
}

// Synced reports whether a full read has been applied.
func (s *LiveState) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

// BeginResync marks the start of a full read: events applied from now on
// are replayed on top of its result in Replace.
func (s *LiveState) BeginResync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resyncing = true
	s.replay = s.replay[:0]
}

// AbortResync ends a full read that failed; the state stays as it was.
func (s *LiveState) AbortResync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resyncing = false
	s.replay = nil
}

// Replace sets the state from a full read: apps with embedded tasks and the
// running deployments. Events applied since BeginResync are replayed on top.
func (s *LiveState) Replace(apps []marathon.Application, deployments []marathon.Deployment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps = make(map[string]*liveApp, len(apps))
	for i := range apps {
		a := apps[i]
		la := &liveApp{tasks: make(map[string]*marathon.Task, len(a.Tasks))}
		for _, t := range a.Tasks {
			if t != nil {
				c := *t
				la.tasks[t.ID] = &c
			}
		}
		a.Tasks = nil
		la.def = a
		la.portsPending = unassignedPorts(a)
		s.apps[a.ID] = la
	}
	s.actions = map[string]map[string]string{}
	for _, d := range deployments {
		for _, act := range d.CurrentActions {
			if act != nil {
				s.setAction(d.ID, act.App, act.Action)
			}
		}
	}
	replay := s.replay
	s.resyncing, s.replay = false, nil
	for _, ev := range replay {
		s.applyLocked(ev)
	}
	s.synced = true
	s.gen++
}

func (s *LiveState) setAction(deployment, app, action string) {
	if s.actions == nil {
		s.actions = map[string]map[string]string{}
	}
	m := s.actions[deployment]
	if m == nil {
		m = map[string]string{}
		s.actions[deployment] = m
	}
	m[app] = action
}

// Snapshot returns a copy of the state.
func (s *LiveState) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Apps: make([]marathon.Application, 0, len(s.apps)), Leaving: map[string]bool{}, Generation: s.gen, Synced: s.synced}
	for _, la := range s.apps {
		a := la.def
		a.Tasks = make([]*marathon.Task, 0, len(la.tasks))
		for _, t := range la.tasks {
			a.Tasks = append(a.Tasks, t)
		}
		slices.SortFunc(a.Tasks, func(x, y *marathon.Task) int { return cmp.Compare(x.ID, y.ID) })
		snap.Apps = append(snap.Apps, a)
	}
	slices.SortFunc(snap.Apps, func(x, y marathon.Application) int { return cmp.Compare(x.ID, y.ID) })
	for _, m := range s.actions {
		for appID, action := range m {
			la := s.apps[appID]
			if la == nil {
				continue
			}
			switch action {
			case "StopApplication":
				for id := range la.tasks {
					snap.Leaving[id] = true
				}
			case "RestartApplication":
				for _, id := range surplusOldTasks(la) {
					snap.Leaving[id] = true
				}
			}
		}
	}
	return snap
}

// surplusOldTasks are the old-version tasks of an app in a rolling restart
// that Marathon's TaskReplaceActor may kill right now: it keeps
// ceil(instances × minimumHealthCapacity) tasks healthy and kills an old
// task as soon as a new one is ready. Marathon does not say which old task
// it kills next; the oldest are taken out first (by start time, then id).
func surplusOldTasks(la *liveApp) []string {
	instances := 1
	if la.def.Instances != nil {
		instances = *la.def.Instances
	}
	capacity := 1.0
	if us := la.def.UpgradeStrategy; us != nil && us.MinimumHealthCapacity != nil {
		capacity = *us.MinimumHealthCapacity
	}
	minHealthy := int(math.Ceil(float64(instances) * capacity))
	healthChecked := la.def.HealthChecks != nil && len(*la.def.HealthChecks) > 0
	var old []*marathon.Task
	newReady := 0
	for _, t := range la.tasks {
		if t.State != "TASK_RUNNING" {
			continue
		}
		if t.Version != la.def.Version {
			old = append(old, t)
		} else if !healthChecked || resultsAlive(t.HealthCheckResults) {
			newReady++
		}
	}
	surplus := min(len(old)+newReady-minHealthy, len(old))
	if surplus <= 0 {
		return nil
	}
	slices.SortFunc(old, func(x, y *marathon.Task) int {
		return cmp.Or(cmp.Compare(x.StartedAt, y.StartedAt), cmp.Compare(x.ID, y.ID))
	})
	ids := make([]string, surplus)
	for i := range ids {
		ids[i] = old[i].ID
	}
	return ids
}
