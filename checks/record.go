package checks

import "pacer.dev/pacer/status"

// Record is the check's record in the status model: the one conversion
// from the checks service's own state, so that the API, pacer status,
// paging and the status page read the same state.
func (c CheckState) Record() status.Check {
	s := c.Status
	r := status.Check{ID: c.ID, Name: c.Name, Kind: c.Kind, Cluster: c.Cluster, Group: c.Group, ServiceGroup: c.ServiceGroup,
		Environment: c.Environment, App: c.App, Task: c.Task, State: stateOf(s.Hard), Since: s.Since, Runs: s.Runs,
		Tip: c.Tip, Runbook: c.Runbook, Page: c.Page, Urgency: c.Urgency}
	if s.Runs == 0 {
		r.State = status.CheckPending
		return r
	}
	if s.Soft {
		r.Soft, r.SoftState, r.Streak = true, stateOf(s.Last.State), s.Streak
	}
	r.LastRun, r.LastDuration = s.Last.Started, s.Last.Duration
	r.Summary, r.Long = s.Last.Summary, s.Last.Long
	for _, p := range s.Last.Perfdata {
		r.Perfdata = append(r.Perfdata, status.CheckPerf{Label: p.Label, Value: p.Value, UOM: p.UOM, Text: p.String()})
	}
	return r
}

// Records converts states (Record) in order.
func Records(states []CheckState) []status.Check {
	out := make([]status.Check, len(states))
	for i := range states {
		out[i] = states[i].Record()
	}
	return out
}

func stateOf(s State) status.CheckState {
	switch s {
	case OK:
		return status.CheckOK
	case Warning:
		return status.CheckWarning
	case Critical:
		return status.CheckCritical
	}
	return status.CheckUnknown
}
