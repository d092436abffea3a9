package main

import (
	"slices"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
)

// pendingChanges holds the change events of writes Marathon accepted until
// their deployment has finished: PagerDuty change events announce
// successful deployments, not submitted ones.
type pendingChanges struct {
	byApp map[string][]alerting.Change
}

// add queues the change events of a pass's writes.
func (p *pendingChanges) add(cs ...alerting.Change) {
	if p.byApp == nil {
		p.byApp = map[string][]alerting.Change{}
	}
	for _, c := range cs {
		p.byApp[c.App] = append(p.byApp[c.App], c)
	}
}

// done takes out the changes whose deployment Marathon no longer runs,
// splitting them into those that succeeded (the app converged: healthy,
// suspended, or gone after a delete) and those that did not (the
// deployment was cancelled or replaced and the app is not healthy); the
// rest stay pending.
func (p *pendingChanges) done(apps []operator.AppStatus) (succeeded, failed []alerting.Change) {
	byID := make(map[string]*operator.AppStatus, len(apps))
	for i := range apps {
		byID[apps[i].ID] = &apps[i]
	}
	for id, cs := range p.byApp {
		a := byID[id]
		var keep []alerting.Change
		for _, c := range cs {
			switch {
			case a != nil && c.DeploymentID != "" && slices.Contains(a.Deployments, c.DeploymentID):
				keep = append(keep, c)
			case converged(a, c):
				succeeded = append(succeeded, c)
			default:
				failed = append(failed, c)
			}
		}
		if len(keep) == 0 {
			delete(p.byApp, id)
		} else {
			p.byApp[id] = keep
		}
	}
	byAt := func(a, b alerting.Change) int { return a.At.Compare(b.At) }
	slices.SortStableFunc(succeeded, byAt)
	slices.SortStableFunc(failed, byAt)
	return succeeded, failed
}

// converged reports whether an app whose deployment ended is where the
// change wanted it.
func converged(a *operator.AppStatus, c alerting.Change) bool {
	if c.Action == "delete" {
		return a == nil || a.Health == operator.Missing
	}
	return a != nil && (a.Health == operator.Healthy || a.Health == operator.Suspended)
}
