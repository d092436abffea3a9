package paging

import (
	"pacer.dev/pacer/status"
)

// Incidents returns the open incidents after the last status Run
// observed, for the status page; nil while this instance does not lead
// (the leader owns them). Safe for concurrent use.
func (al *Alerter) Incidents() []status.Incident {
	if p := al.open.Load(); p != nil {
		return *p
	}
	return nil
}

// publishIncidents snapshots the tracker's open incidents (Run's
// goroutine).
func (al *Alerter) publishIncidents() {
	if al.tracker == nil {
		al.open.Store(nil)
		return
	}
	open := al.tracker.OpenIncidents()
	out := make([]status.Incident, 0, len(open))
	for _, o := range open {
		out = append(out, status.Incident{Condition: string(o.Condition), App: o.App, Severity: string(o.Severity),
			Summary: o.Summary, Since: o.Since})
	}
	al.open.Store(&out)
}
