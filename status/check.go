package status

import "time"

// CheckState is a custom check's state in the Nagios plugin contract.
type CheckState string

// Check states. CheckPending is a check with no result yet.
const (
	CheckOK       CheckState = "OK"
	CheckWarning  CheckState = "WARNING"
	CheckCritical CheckState = "CRITICAL"
	CheckUnknown  CheckState = "UNKNOWN"
	CheckPending  CheckState = "PENDING"
)

// Failing reports whether the state needs someone's eyes (WARNING,
// CRITICAL, UNKNOWN).
func (s CheckState) Failing() bool {
	return s == CheckWarning || s == CheckCritical || s == CheckUnknown
}

// Rank orders states by badness, Nagios' order for services: CRITICAL >
// WARNING > UNKNOWN > OK > PENDING.
func (s CheckState) Rank() int {
	switch s {
	case CheckCritical:
		return 4
	case CheckWarning:
		return 3
	case CheckUnknown:
		return 2
	case CheckOK:
		return 1
	}
	return 0
}

// Check is one custom check's record in the status model: what the
// leader's checks service decided (checks.Status, converted by
// checks.CheckState.Record; no reader computes a state of its own).
type Check struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Cluster      string `json:"cluster,omitempty"`
	Group        string `json:"group,omitempty"`
	ServiceGroup string `json:"serviceGroup,omitempty"`
	Environment  string `json:"environment,omitempty"`
	// App is the app the check runs in or probes ("" for prometheus
	// checks).
	App string `json:"app,omitempty"`
	// Task is the task whose agent ran an exec check.
	Task string `json:"task,omitempty"`
	// State is the hard state (the one that pages); CheckPending before the
	// first result.
	State CheckState `json:"state"`
	// Soft is set while the last result disagrees with State and is not
	// yet confirmed (for / clearFor); SoftState is that result's state and
	// Streak how many results in a row said so.
	Soft      bool       `json:"soft,omitempty"`
	SoftState CheckState `json:"softState,omitempty"`
	Streak    int        `json:"streak,omitempty"`
	// Since is when State took its value (zero before the first change).
	Since time.Time `json:"since,omitzero"`
	// LastRun is when the last result started; LastDuration how long it
	// took; Runs counts the results.
	LastRun      time.Time     `json:"lastRun,omitzero"`
	LastDuration time.Duration `json:"lastDurationNanos,omitempty"`
	Runs         int           `json:"runs"`
	// Summary is the last result's first output line (without perfdata);
	// Long the rest of its output.
	Summary  string      `json:"summary,omitempty"`
	Long     string      `json:"long,omitempty"`
	Perfdata []CheckPerf `json:"perfdata,omitempty"`
	Tip      string      `json:"tip,omitempty"`
	Runbook  string      `json:"runbook,omitempty"`
	// Page is false for a check that is tracked and never pages; Urgency
	// is the environment's alerting urgency.
	Page    bool   `json:"page"`
	Urgency string `json:"urgency,omitempty"`
}

// CheckPerf is one perfdata item of a check's last result, as written:
// label=value[UOM];warn;crit;min;max (Text).
type CheckPerf struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
	UOM   string  `json:"uom,omitempty"`
	Text  string  `json:"text"`
}

// Failing reports whether the check's hard state is WARNING, CRITICAL or
// UNKNOWN.
func (c *Check) Failing() bool { return c.State.Failing() }

// ChecksSummary aggregates checks: how many, the worst hard state, and
// how many fail.
type ChecksSummary struct {
	Total   int        `json:"total"`
	Failing int        `json:"failing"`
	Worst   CheckState `json:"worst,omitempty"`
}

// SummarizeChecks counts cs and finds their worst hard state ("" when cs is
// empty; CheckPending when none has a result yet).
func SummarizeChecks(cs []Check) ChecksSummary {
	var s ChecksSummary
	for i := range cs {
		s.Total++
		if cs[i].Failing() {
			s.Failing++
		}
		if s.Worst == "" || cs[i].State.Rank() > s.Worst.Rank() {
			s.Worst = cs[i].State
		}
	}
	return s
}

// ChecksByApp groups checks by the app they run in or probe; checks of no
// app (prometheus) are under "".
func ChecksByApp(cs []Check) map[string][]Check {
	m := map[string][]Check{}
	for _, c := range cs {
		m[c.App] = append(m[c.App], c)
	}
	return m
}
