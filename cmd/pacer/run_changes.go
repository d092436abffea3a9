package main

import (
	"slices"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/operator"
)

// pendingChanges holds the change events of writes Marathon accepted until
// their deployment has finished: PagerDuty change events announce finished
// deployments, not submitted ones. Marathon ends a deployment only once its
// tasks run and pass their health checks (a deployment that never gets
// there stays in /v2/deployments), so a deployment that is gone finished.
// A deployment cancelled by hand (DELETE /v2/deployments/{id}?force=true)
// looks the same and is reported as finished too.
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

// done takes out, oldest first, the changes whose deployment Marathon no
// longer runs; the rest stay pending.
func (p *pendingChanges) done(apps []operator.AppStatus) []alerting.Change {
	running := make(map[string][]string, len(apps))
	for _, a := range apps {
		running[a.ID] = a.Deployments
	}
	var finished []alerting.Change
	for id, cs := range p.byApp {
		var keep []alerting.Change
		for _, c := range cs {
			if c.DeploymentID != "" && slices.Contains(running[id], c.DeploymentID) {
				keep = append(keep, c)
			} else {
				finished = append(finished, c)
			}
		}
		if len(keep) == 0 {
			delete(p.byApp, id)
		} else {
			p.byApp[id] = keep
		}
	}
	slices.SortStableFunc(finished, func(a, b alerting.Change) int { return a.At.Compare(b.At) })
	return finished
}
