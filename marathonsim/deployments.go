package marathonsim

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"

	"pacer.dev/pacer/marathonsim/internal/events"
)

// deployment is a running plan (BEHAVIOUR.md §7).
type deployment struct {
	id, version  string
	orig, target *tree
	steps        []step
	cur          int // index of the running step; -1 before the first
	affected     []string
	restarts     map[string]*restartState
	forced       map[string]bool   // apps restarted by /restart
	plan         json.RawMessage   // rendered for events on first use
	affectedSet  map[string]bool   // index of affected, built on first use
	curIndex     map[string]string // app → action of step curIndexFor
	curIndexFor  int
	progress     stepProgress // what of the running step is not done yet
}

// restartState is the rolling-restart bookkeeping of one RestartApplication.
type restartState struct {
	old        map[string]bool
	minHealthy int
	maxCap     int
}

// actionFor returns the deployment that holds app id and, if that app's
// action is in the running step, the action name ("" when it waits).
// Lookups go through per-deployment indexes, so reconciling every app of a
// 10,000-app deployment stays linear.
func (s *Server) actionFor(id string) (*deployment, string) {
	for _, d := range s.deployments {
		if !d.affects(id) {
			continue
		}
		if d.cur >= 0 && d.cur < len(d.steps) {
			return d, d.currentActions()[id]
		}
		return d, ""
	}
	return nil, ""
}

// currentActions maps each app of the running step to its action. An app
// has at most one action per step (computePlan).
func (d *deployment) currentActions() map[string]string {
	if d.curIndex == nil || d.curIndexFor != d.cur {
		d.curIndex = make(map[string]string, len(d.steps[d.cur].Actions))
		for _, act := range d.steps[d.cur].Actions {
			d.curIndex[act.App] = act.Action
		}
		d.curIndexFor = d.cur
	}
	return d.curIndex
}

// affects reports whether id is one of d's affected apps.
func (d *deployment) affects(id string) bool {
	if d.affectedSet == nil {
		d.affectedSet = make(map[string]bool, len(d.affected))
		for _, a := range d.affected {
			d.affectedSet[a] = true
		}
	}
	return d.affectedSet[id]
}

// progressDeployments finishes steps whose actions are done and starts the
// next ones. It reports whether anything moved.
func (s *Server) progressDeployments() bool {
	if s.faults.StallDeployments {
		return false
	}
	moved := false
	for _, d := range append([]*deployment(nil), s.deployments...) {
		for {
			if d.cur >= 0 && !s.stepDone(d) {
				break
			}
			moved = true
			if d.cur >= 0 {
				s.publishStep("deployment_step_success", d)
			}
			d.cur++
			if d.cur >= len(d.steps) {
				s.finishDeployment(d, "deployment_success")
				break
			}
			s.startStep(d)
		}
	}
	return moved
}

func (s *Server) startStep(d *deployment) {
	s.publishStep("deployment_info", d)
	for _, act := range d.steps[d.cur].Actions {
		r := s.runtime(act.App)
		switch act.Action {
		case actStop:
			for _, t := range sortedTasks(r) {
				s.killTask(t, "app removed")
			}
			if r.queue.timer != nil {
				r.queue.timer.Stop()
			}
			r.queue = launchQueue{}
			s.forgetIfGone(act.App) // else once the last killing task is gone
			s.publish("app_terminated_event", map[string]any{"appId": act.App})
		case actRestart:
			a := s.root.apps[act.App]
			n := a.instances()
			// Tasks already running the target config count as new
			// (TaskReplaceActor partitions by version), unless restarted.
			old := map[string]bool{}
			key := configKey(a)
			for id, t := range r.tasks {
				if d.forced[act.App] || !bytes.Equal(configKey(t.def), key) {
					old[id] = true
				}
			}
			us := a.UpgradeStrategy
			minHealthy := int(math.Ceil(float64(n) * deref(us.MinimumHealthCapacity, 1)))
			maxCap := int(math.Floor(float64(n) * (1 + deref(us.MaximumOverCapacity, 1))))
			if minHealthy == maxCap && maxCap <= len(old) {
				maxCap++
			}
			d.restarts[act.App] = &restartState{old: old, minHealthy: minHealthy, maxCap: maxCap}
		}
		s.markDirty(act.App)
	}
}

func (s *Server) finishDeployment(d *deployment, eventType string) {
	for i, x := range s.deployments {
		if x == d {
			s.deployments = append(s.deployments[:i], s.deployments[i+1:]...)
			break
		}
	}
	if s.wanted(eventType) {
		s.publish(eventType, deploymentResultEvent(d.id, s.planRaw(d)))
	}
	for _, id := range d.affected {
		s.markDirty(id)
	}
}

// cancelDeployment stops d where it is (force): deployment_failed.
func (s *Server) cancelDeployment(d *deployment) {
	s.finishDeployment(d, "deployment_failed")
}

func (s *Server) publishStep(eventType string, d *deployment) {
	if s.wanted(eventType) {
		s.publish(eventType, deploymentStepEvent(d.steps[d.cur], s.planRaw(d)))
	}
}

// deploymentStepEvent is the payload of deployment_info and
// deployment_step_success: the bytes json.Marshal gives for
// map[string]any{"currentStep": step, "plan": plan}, without compacting
// the plan (the root group twice) once more.
func deploymentStepEvent(cur step, plan json.RawMessage) events.Encoded {
	st, _ := json.Marshal(cur)
	return encodedEvent(keyRaw{"currentStep", st}, keyRaw{"plan", plan})
}

// deploymentResultEvent is the payload of deployment_success and
// deployment_failed, as deploymentStepEvent.
func deploymentResultEvent(id string, plan json.RawMessage) events.Encoded {
	idRaw, _ := json.Marshal(id)
	return encodedEvent(keyRaw{"id", idRaw}, keyRaw{"plan", plan})
}

type deploymentView struct {
	ID             string          `json:"id"`
	Version        string          `json:"version"`
	AffectedApps   []string        `json:"affectedApps"`
	AffectedPods   []string        `json:"affectedPods"`
	Steps          []step          `json:"steps"`
	CurrentActions []currentAction `json:"currentActions"`
	CurrentStep    int             `json:"currentStep"`
	TotalSteps     int             `json:"totalSteps"`
}

type currentAction struct {
	Action                string `json:"action"`
	App                   string `json:"app"`
	ReadinessCheckResults []any  `json:"readinessCheckResults"`
}

func (s *Server) deploymentViews() []deploymentView {
	out := make([]deploymentView, 0, len(s.deployments))
	for _, d := range s.deployments {
		v := deploymentView{ID: d.id, Version: d.version, AffectedApps: nonNil(d.affected), AffectedPods: []string{}, Steps: nonNil(d.steps), CurrentActions: []currentAction{}, CurrentStep: d.cur + 1, TotalSteps: len(d.steps)}
		if d.cur >= 0 && d.cur < len(d.steps) {
			for _, a := range d.steps[d.cur].Actions {
				v.CurrentActions = append(v.CurrentActions, currentAction{Action: a.Action, App: a.App, ReadinessCheckResults: []any{}})
			}
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) handleDeployments(w http.ResponseWriter, r *http.Request, id string) {
	s.lock()
	defer s.unlock()
	if id == "" {
		if r.Method != http.MethodGet {
			writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
			return
		}
		writeJSON(w, 200, s.deploymentViews())
		return
	}
	if r.Method != http.MethodDelete {
		writeErr(w, errMsg(405, "HTTP 405 Method Not Allowed"))
		return
	}
	var d *deployment
	for _, x := range s.deployments {
		if x.id == id {
			d = x
		}
	}
	if d == nil {
		writeErr(w, errMsg(404, "DeploymentPlan %s does not exist", id))
		return
	}
	if boolParam(r, "force", false) {
		s.cancelDeployment(d)
		s.settle()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	next := s.root.clone()
	for _, aid := range d.affected {
		if a, ok := d.orig.apps[aid]; ok {
			next.putApp(a, s.root.version)
		} else {
			delete(next.apps, aid)
		}
	}
	nd, err := s.commit(changeReq{next: next, gid: "/", force: true})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeDeployment(w, 200, nd, "")
}
