package marathonsim

// A step is done when every one of its actions is. Checking every action
// after every task start made a 10,000-app deployment quadratic (each of
// its 10,000 task-start timers rescanned the 10,000-action step), so each
// deployment keeps the set of actions of its running step that are not
// done, and re-checks only the apps that changed since the last check.
//
// Whether an action is done depends only on its own app: the app in the
// root, its runtime (tasks, their states and health) and the deployment's
// restart bookkeeping for it. So every change to those marks the app
// changed (touch): markDirty does, and so do launching a task, creating or
// dropping a runtime; swapping the root marks every app changed.

// stepProgress is what a deployment knows about its running step.
type stepProgress struct {
	step     int             // the step pending describes; -1: none yet
	pending  map[string]bool // apps of that step whose action is not done
	changed  map[string]bool // apps touched since pending was updated
	allStale bool            // recompute pending from scratch
}

// touch records that app id's state changed, for the deployments that
// hold it.
func (s *Server) touch(id string) {
	for _, d := range s.deployments {
		if !d.affects(id) {
			continue
		}
		if d.progress.changed == nil {
			d.progress.changed = map[string]bool{}
		}
		d.progress.changed[id] = true
	}
}

// touchAll records that any app may have changed (a new root).
func (s *Server) touchAll() {
	for _, d := range s.deployments {
		d.progress.allStale = true
	}
}

// stepDone reports whether every action of the running step is complete.
func (s *Server) stepDone(d *deployment) bool {
	p := &d.progress
	if p.pending == nil || p.step != d.cur || p.allStale {
		p.pending = map[string]bool{}
		for _, act := range d.steps[d.cur].Actions {
			if !s.actionDone(d, act) {
				p.pending[act.App] = true
			}
		}
		p.step, p.allStale = d.cur, false
	} else {
		acts := d.currentActions()
		for id := range p.changed {
			name, ok := acts[id]
			switch {
			case !ok:
			case s.actionDone(d, action{name, id}):
				delete(p.pending, id)
			default:
				p.pending[id] = true
			}
		}
	}
	p.changed = emptied(p.changed)
	done := len(p.pending) == 0
	if s.stepCheck != nil {
		s.stepCheck(done, s.stepDoneFull(d))
	}
	return done
}

// stepDoneFull checks every action of the running step (tests compare it
// with stepDone through Server.stepCheck).
func (s *Server) stepDoneFull(d *deployment) bool {
	for _, act := range d.steps[d.cur].Actions {
		if !s.actionDone(d, act) {
			return false
		}
	}
	return true
}

// actionDone reports whether act of the running step of d is complete.
func (s *Server) actionDone(d *deployment, act action) bool {
	a := s.root.apps[act.App]
	r := s.rt[act.App]
	switch act.Action {
	case actStop:
		return r == nil || len(r.tasks) == 0
	case actScale:
		if a == nil {
			return true
		}
		n := a.instances()
		if r == nil {
			return n <= 0
		}
		return countReady(r, nil) >= n && len(r.tasks) <= n
	case actRestart:
		if a == nil || r == nil {
			return true
		}
		rs := d.restarts[act.App]
		for id := range r.tasks {
			if rs.old[id] {
				return false
			}
		}
		return countReady(r, rs.old) >= a.instances()
	}
	return true // actStart
}
