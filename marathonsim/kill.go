package marathonsim

import "time"

// defaultKillGrace is Mesos' default kill grace period for the command
// executor, used when an app sets no taskKillGracePeriodSeconds.
const defaultKillGrace = 3 * time.Second

// killTask kills t as Marathon 1.4 does: the task turns TASK_KILLING at once
// (status_update_event TASK_KILLING, instance_changed_event Killing) and
// stays listed in that state until it is gone, then turns TASK_KILLED.
// A killing task is neither running nor healthy for counts and deployment
// steps, but holds its resources until it is gone.
//
// With the process executor the process group gets SIGTERM now and SIGKILL
// after the kill grace period (taskKillGracePeriodSeconds, else 3 s); the
// task is gone when the process has exited. With the virtual executor the
// task is gone after taskKillGracePeriodSeconds if the app sets it (a task
// that drains for its whole grace period), else after Options.TaskKill.
func (s *Server) killTask(t *task, msg string) {
	if s.tasks[t.id] != t || t.state == stateKilling {
		return
	}
	t.stopTimers()
	t.state = stateKilling
	t.killMsg = msg
	s.publishStatus(t, msg)
	s.markDirty(t.appID)
	if t.proc != nil {
		s.stopExecutor(t) // the exit watcher turns the task TASK_KILLED
		return
	}
	t.killTimer = s.after(s.virtualKillDelay(t), func() { s.stopTask(t, stateKilled, msg) })
}

// killGrace is the time between SIGTERM and SIGKILL for t's process.
func killGrace(t *task) time.Duration {
	if g := t.def.TaskKillGracePeriodSeconds; g != nil && *g > 0 {
		return time.Duration(*g) * time.Second
	}
	return defaultKillGrace
}

// virtualKillDelay is how long a virtual task stays TASK_KILLING.
func (s *Server) virtualKillDelay(t *task) time.Duration {
	if g := t.def.TaskKillGracePeriodSeconds; g != nil && *g > 0 {
		return time.Duration(*g) * time.Second
	}
	return s.opts.TaskKill
}

// liveTasks returns the tasks of r that are not being killed, oldest first.
func liveTasks(r *appRuntime) []*task {
	out := sortedTasks(r)
	n := 0
	for _, t := range out {
		if t.state != stateKilling {
			out[n] = t
			n++
		}
	}
	return out[:n]
}

// countLive counts the tasks of r that are not being killed.
func countLive(r *appRuntime) int {
	n := 0
	for _, t := range r.tasks {
		if t.state != stateKilling {
			n++
		}
	}
	return n
}

// forgetIfGone drops the runtime of a removed app once its last (killing)
// task is gone, so that an app created again under the same id starts
// with a fresh queue, backoff and last failure.
func (s *Server) forgetIfGone(id string) {
	if r := s.rt[id]; r != nil && len(r.tasks) == 0 && s.root.apps[id] == nil {
		if r.queue.timer != nil {
			r.queue.timer.Stop()
		}
		delete(s.rt, id)
		s.touch(id)
	}
}
