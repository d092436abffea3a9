package marathonsim

import (
	"math"
	"net/http"
	"time"
)

// launchQueue is an app's entry in Marathon's launch queue.
type launchQueue struct {
	count      int           // tasks waiting to be launched
	since      time.Time     // when the entry appeared
	delay      time.Duration // current backoff (0 = none)
	delayUntil time.Time     // no launch before this instant
	timer      Timer         // wakes the app when the delay is over
}

// reconcileApp brings the app's tasks towards what its deployment action (or,
// without one, its instance count) asks for, then launches what it can.
func (s *Server) reconcileApp(id string) {
	a := s.root.apps[id]
	r := s.rt[id]
	if a == nil {
		if r != nil {
			r.queue.count = 0
		}
		return
	}
	r = s.runtime(id)
	d, act := s.actionFor(id)
	want := 0
	switch {
	case act == actRestart:
		want = s.rollingRestart(a, r, d.restarts[id])
	case d != nil && act != actScale:
		// waiting for its step, or StartApplication (scale to 0)
	default:
		n := a.instances()
		live := countLive(r) // sorting the tasks on every change made big apps quadratic
		if extra := live - n; extra > 0 {
			for _, t := range killOrder(liveTasks(r), a.KillSelection)[:extra] {
				s.killTask(t, "scaled down")
			}
		}
		want = n - live
	}
	s.setQueued(r, max(want, 0))
	s.launchQueued(a, r)
}

// rollingRestart applies TaskReplaceActor's strategy (BEHAVIOUR.md §7):
// keep at least minHealthy ready tasks, never run more than maxCap, kill one
// old task per new ready task. It returns how many new tasks to launch.
func (s *Server) rollingRestart(a *App, r *appRuntime, rs *restartState) int {
	// Old tasks being killed still take capacity until they are gone, as
	// in TaskReplaceActor (an old instance leaves oldInstanceIds only when
	// it is terminal); fresh tasks being killed are replaced.
	var old, fresh []*task
	oldTotal := 0
	for _, t := range sortedTasks(r) {
		switch {
		case rs.old[t.id]:
			oldTotal++
			if t.state != stateKilling {
				old = append(old, t)
			}
		case t.state != stateKilling:
			fresh = append(fresh, t)
		}
	}
	keep := max(rs.minHealthy-countReady(r, rs.old), 0)
	if len(old) > keep {
		for _, t := range killOrder(old, a.KillSelection)[:len(old)-keep] {
			s.killTask(t, "replaced by new version")
		}
	}
	return min(a.instances()-len(fresh), rs.maxCap-oldTotal-len(fresh))
}

func (s *Server) setQueued(r *appRuntime, n int) {
	if n > 0 && r.queue.count == 0 {
		r.queue.since = s.now()
	}
	r.queue.count = n
	if n == 0 {
		delete(s.waitingCap, r.id)
	}
}

// launchQueued launches queued tasks while the backoff and capacity allow.
func (s *Server) launchQueued(a *App, r *appRuntime) {
	for r.queue.count > 0 {
		if wait := r.queue.delayUntil.Sub(s.now()); wait > 0 {
			if r.queue.timer == nil {
				id := a.ID
				r.queue.timer = s.after(wait, func() {
					if rt := s.rt[id]; rt != nil {
						rt.queue.timer = nil
					}
					s.markDirty(id)
				})
			}
			return
		}
		if !s.fits(a) {
			s.waitingCap[a.ID] = true
			return
		}
		delete(s.waitingCap, a.ID)
		s.launchTask(a, r)
		r.queue.count--
	}
}

func (s *Server) fits(a *App) bool {
	const eps = 1e-9
	if s.opts.CPUs > 0 && s.usedCPUs+a.cpus() > s.opts.CPUs+eps {
		return false
	}
	if s.opts.MemMB > 0 && s.usedMem+a.mem() > s.opts.MemMB+eps {
		return false
	}
	return true
}

// addDelay grows the app's launch backoff: backoffSeconds, then times
// backoffFactor per failure, capped at maxLaunchDelaySeconds.
func (s *Server) addDelay(r *appRuntime, a *App) {
	base := time.Duration(deref(a.BackoffSeconds, 1)) * time.Second
	maxDelay := time.Duration(deref(a.MaxLaunchDelaySeconds, 3600)) * time.Second
	if r.queue.delay == 0 {
		r.queue.delay = base
	} else {
		r.queue.delay = time.Duration(float64(r.queue.delay) * deref(a.BackoffFactor, 1.15))
	}
	r.queue.delay = min(r.queue.delay, maxDelay)
	r.queue.delayUntil = s.now().Add(r.queue.delay)
	if r.queue.timer != nil {
		r.queue.timer.Stop()
		r.queue.timer = nil
	}
}

func (s *Server) resetDelay(r *appRuntime) {
	r.queue.delay = 0
	r.queue.delayUntil = time.Time{}
	if r.queue.timer != nil {
		r.queue.timer.Stop()
		r.queue.timer = nil
	}
	s.markDirty(r.id)
}

type queueItem struct {
	App                    *appView       `json:"app"`
	Count                  int            `json:"count"`
	Delay                  queueDelay     `json:"delay"`
	Since                  string         `json:"since"`
	ProcessedOffersSummary map[string]int `json:"processedOffersSummary"`
}

type queueDelay struct {
	TimeLeftSeconds int64 `json:"timeLeftSeconds"`
	Overdue         bool  `json:"overdue"`
}

func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request, rest string) {
	s.lock()
	defer s.unlock()
	if rest == "" && r.Method == http.MethodGet {
		items := []queueItem{}
		for _, id := range s.root.sortedAppIDs() {
			rt := s.rt[id]
			if rt == nil || rt.queue.count == 0 {
				continue
			}
			left := rt.queue.delayUntil.Sub(s.now())
			items = append(items, queueItem{
				App:                    s.appView(s.root.apps[id], viewOpts{versionInfo: true}),
				Count:                  rt.queue.count,
				Delay:                  queueDelay{TimeLeftSeconds: int64(math.Ceil(max(left, 0).Seconds())), Overdue: left <= 0},
				Since:                  formatTime(rt.queue.since),
				ProcessedOffersSummary: map[string]int{"processedOffersCount": 0, "unusedOffersCount": 0},
			})
		}
		writeJSON(w, 200, map[string]any{"queue": items})
		return
	}
	const suffix = "/delay"
	if r.Method == http.MethodDelete && len(rest) > len(suffix) && rest[len(rest)-len(suffix):] == suffix {
		id := canonicalID(rest[:len(rest)-len(suffix)], "/")
		rt := s.rt[id]
		if rt == nil || rt.queue.count == 0 {
			writeErr(w, errMsg(404, "Application %s not found in tasks queue.", id))
			return
		}
		s.resetDelay(rt)
		s.settle()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeErr(w, uriNotFound(r.URL.EscapedPath()))
}
