package marathonsim

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"pacer.dev/pacer/marathonsim/internal/probe"
)

// healthResult is the state of one health check of one task.
type healthResult struct {
	has                 bool // a result was counted
	alive               bool
	consecutiveFailures int
	firstSuccess        time.Time
	lastSuccess         time.Time
	lastFailure         time.Time
	cause               string
}

func seconds(p *int64, def int64) time.Duration {
	return time.Duration(deref(p, def)) * time.Second
}

// scheduleHealthChecks starts the checks of a task that just started
// running. The first check comes after TaskStart (or the interval, if
// shorter), so virtual tasks turn healthy soon after they run.
func (s *Server) scheduleHealthChecks(t *task) {
	t.hcTimers = make([]Timer, len(t.def.HealthChecks))
	for i := range t.def.HealthChecks {
		first := min(s.opts.TaskStart, seconds(t.def.HealthChecks[i].IntervalSeconds, 60))
		t.hcTimers[i] = s.after(first, func() { s.runCheck(t, i) })
	}
}

func (s *Server) runCheck(t *task, i int) {
	if s.tasks[t.id] != t || t.state != stateRunning {
		return
	}
	hc := t.def.HealthChecks[i]
	t.hcTimers[i] = s.after(seconds(hc.IntervalSeconds, 60), func() { s.runCheck(t, i) })
	if t.forced != nil || t.proc == nil || hc.Protocol == "COMMAND" {
		ok := t.forced == nil || *t.forced
		cause := ""
		if !ok {
			cause = "simulated failure"
		}
		s.recordHealth(t, i, ok, cause)
		return
	}
	addr, path, tcp := s.probeTarget(t, hc)
	timeout := seconds(hc.TimeoutSeconds, 20)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var err error
		if tcp {
			err = probe.TCP(ctx, addr)
		} else {
			err = probe.HTTP(ctx, addr, path)
		}
		s.lock()
		defer s.unlock()
		if s.closed || s.tasks[t.id] != t || t.state != stateRunning {
			return
		}
		cause := ""
		if err != nil {
			cause = err.Error()
		}
		s.recordHealth(t, i, err == nil, cause)
		s.settle()
	}()
}

func (s *Server) probeTarget(t *task, hc HealthCheck) (addr, path string, tcp bool) {
	port := 0
	if hc.Port != nil {
		port = *hc.Port
	} else if idx := deref(hc.PortIndex, 0); idx < len(t.ports) {
		port = t.ports[idx]
	}
	addr = net.JoinHostPort(simHost, strconv.Itoa(port))
	tcp = hc.Protocol == "TCP" || hc.Protocol == "MESOS_TCP"
	return addr, deref(hc.Path, "/"), tcp
}

// recordHealth counts one check result (Marathon's HealthCheckActor):
// failures in the grace period before the first success are ignored; after
// maxConsecutiveFailures the task is killed and replaced with backoff.
func (s *Server) recordHealth(t *task, i int, ok bool, cause string) {
	h := &t.health[i]
	hc := t.def.HealthChecks[i]
	now := s.now()
	wasAlive, had := h.alive, h.has
	if ok {
		if h.firstSuccess.IsZero() {
			h.firstSuccess = now
		}
		h.lastSuccess = now
		h.consecutiveFailures = 0
		h.alive = true
	} else {
		if h.firstSuccess.IsZero() && now.Before(t.startedAt.Add(seconds(hc.GracePeriodSeconds, 300))) {
			return
		}
		h.lastFailure = now
		h.cause = cause
		h.consecutiveFailures++
		h.alive = false
		s.publish("failed_health_check_event", map[string]any{"appId": t.appID, "instanceId": t.instanceID(), "healthCheck": hc})
	}
	h.has = true
	// HealthCheckActor.updateInstanceHealth (core/health/impl/
	// HealthCheckActor.scala:189-205 at v1.4.13): both events only when
	// alive changes, from Health's initial alive=false, and both name the
	// instance, not the task.
	if (had && wasAlive != h.alive) || (!had && h.alive) {
		s.publish("health_status_changed_event", map[string]any{"appId": t.appID, "instanceId": t.instanceID(), "version": t.def.Version, "alive": h.alive})
		s.publish("instance_health_changed_event", map[string]any{"instanceId": t.instanceID(), "runSpecId": t.appID, "healthy": h.alive, "runSpecVersion": t.def.Version})
	}
	s.markDirty(t.appID)
	if !ok && deref(hc.MaxConsecutiveFailures, 3) > 0 && int64(h.consecutiveFailures) >= deref(hc.MaxConsecutiveFailures, 3) {
		reason := fmt.Sprintf("%d consecutive health check failures", h.consecutiveFailures)
		if cause != "" {
			reason = cause
		}
		s.publish("unhealthy_instance_kill_event", map[string]any{"appId": t.appID, "taskId": t.id, "instanceId": t.instanceID(), "version": t.def.Version, "reason": reason, "host": simHost, "slaveId": simAgentID})
		s.killTask(t, "unhealthy: "+reason)
		s.addDelay(s.runtime(t.appID), t.def)
	}
}

// healthView is a healthCheckResults entry with exactly the keys of
// Formats.HealthWrites (api/v2/json/Formats.scala:718-728 at v1.4.13):
// instanceId is the instance's id; 1.3's taskId is gone.
type healthView struct {
	Alive               bool    `json:"alive"`
	ConsecutiveFailures int     `json:"consecutiveFailures"`
	FirstSuccess        *string `json:"firstSuccess"`
	LastFailure         *string `json:"lastFailure"`
	LastSuccess         *string `json:"lastSuccess"`
	LastFailureCause    *string `json:"lastFailureCause"`
	InstanceID          string  `json:"instanceId"`
}

func healthViews(t *task) []healthView {
	var out []healthView
	for _, h := range t.health {
		if !h.has {
			continue
		}
		v := healthView{Alive: h.alive, ConsecutiveFailures: h.consecutiveFailures, FirstSuccess: optTime(h.firstSuccess), LastFailure: optTime(h.lastFailure), LastSuccess: optTime(h.lastSuccess), InstanceID: t.instanceID()}
		if h.cause != "" {
			v.LastFailureCause = ptr(h.cause)
		}
		out = append(out, v)
	}
	return out
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return ptr(formatTime(t))
}
