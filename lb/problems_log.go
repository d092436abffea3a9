package lb

import (
	"fmt"

	"github.com/go-logr/logr"
)

// ProblemError is a Problem as an error, for the log line that reports it.
type ProblemError struct{ Problem }

func (e *ProblemError) Error() string {
	where := "app " + e.AppID
	if e.PortIndex >= 0 {
		where += fmt.Sprintf(" port %d", e.PortIndex)
	}
	switch e.Kind {
	case ProblemSkipped:
		return where + " left out of the load balancer: " + e.Reason
	default:
		return fmt.Sprintf("%s: %s (kept by %s): %s", where, e.Kind, e.KeptBy, e.Reason)
	}
}

// problemLog reports each problem once while it lasts. logr has no warning
// level: a new problem is logged with Error (zap's "error", above the
// default info level of pacer's logger, cmd/pacer/log.go), as the
// operator must fix the app; a problem seen on an earlier pass only at
// V(1); one that is gone at Info.
type problemLog struct {
	seen map[Problem]bool
}

func (l *problemLog) report(log logr.Logger, probs []Problem) {
	now := make(map[Problem]bool, len(probs))
	for _, p := range probs {
		now[p] = true
		kv := []any{"app", p.AppID, "port", p.PortIndex, "kind", p.Kind, "reason", p.Reason}
		if p.KeptBy != "" {
			kv = append(kv, "keptBy", p.KeptBy)
		}
		if l.seen[p] {
			log.V(1).Info("Load balancer problem persists", kv...)
			continue
		}
		log.Error(&ProblemError{p}, "Load balancer problem", kv...)
	}
	for p := range l.seen {
		if !now[p] {
			log.Info("Load balancer problem resolved", "app", p.AppID, "port", p.PortIndex, "kind", p.Kind)
		}
	}
	l.seen = now
}
