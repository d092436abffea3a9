package alerting

import (
	"cmp"
	"slices"
	"time"
)

// Status is one tracked condition, for pacer's status page and metrics.
type Status struct {
	DedupKey  string    `json:"dedupKey"`
	Condition Condition `json:"condition"`
	Cluster   string    `json:"cluster"`
	App       string    `json:"app,omitempty"`
	// Phase is pending (holding, not yet paging), firing or clearing
	// (firing, clear for less than the hysteresis).
	Phase string    `json:"phase"`
	Since time.Time `json:"since"`
	// Paged is true when a trigger was sent and a resolve is owed.
	Paged bool `json:"paged"`
	// Silenced is true while a Silence suppresses paging.
	Silenced bool `json:"silenced,omitempty"`
}

// Snapshot lists every tracked condition, sorted by dedup key.
func (t *Tracker) Snapshot() []Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Status, 0, len(t.states))
	for s, st := range t.states {
		ph := "pending"
		switch {
		case st.phase == firing && !st.clearSince.IsZero():
			ph = "clearing"
		case st.phase == firing:
			ph = "firing"
		}
		out = append(out, Status{DedupKey: DedupKey(s.Cluster, s.App, s.Condition), Condition: s.Condition,
			Cluster: s.Cluster, App: s.App, Phase: ph, Since: st.firstSeen, Paged: st.paged, Silenced: t.silenced(t.lastPass, s)})
	}
	slices.SortFunc(out, func(a, b Status) int { return cmp.Compare(a.DedupKey, b.DedupKey) })
	return out
}

// Open is an incident that was triggered and not yet resolved: what must
// survive a restart so pacer neither pages twice nor forgets to resolve.
type Open struct {
	Condition   Condition `json:"condition"`
	Cluster     string    `json:"cluster"`
	App         string    `json:"app,omitempty"`
	Group       string    `json:"group,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Route       KeyRef    `json:"route"`
	Severity    Severity  `json:"severity"`
	Summary     string    `json:"summary"`
	Since       time.Time `json:"since"`
}

// OpenIncidents lists the incidents a resolve is owed for, sorted, for the
// caller to persist after each Observe.
func (t *Tracker) OpenIncidents() []Open {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Open
	for s, st := range t.states {
		if !st.paged {
			continue
		}
		out = append(out, Open{Condition: s.Condition, Cluster: s.Cluster, App: s.App, Group: st.sig.Group,
			Environment: st.sig.Environment, Route: st.policy.RoutingKey, Severity: st.severity,
			Summary: st.summary, Since: st.firstSeen})
	}
	slices.SortFunc(out, func(a, b Open) int {
		return cmp.Compare(DedupKey(a.Cluster, a.App, a.Condition), DedupKey(b.Cluster, b.App, b.Condition))
	})
	return out
}

// Restore seeds the tracker with incidents open before a restart: they are
// firing and paged, so a condition that still holds does not page again and
// one that healed meanwhile resolves after the hysteresis. Call it before
// the first Observe.
func (t *Tracker) Restore(open []Open) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range open {
		s := subject{Cluster: o.Cluster, App: o.App, Condition: o.Condition}
		if o.Condition.ClusterLevel() {
			s.App = ""
		}
		route := o.Route
		t.states[s] = &tracked{
			sig:       Signal{Condition: o.Condition, Cluster: o.Cluster, App: s.App, Group: o.Group, Environment: o.Environment},
			policy:    Policy{Urgency: UrgencyHigh, RoutingKey: route},
			phase:     firing,
			firstSeen: o.Since,
			paged:     true,
			summary:   o.Summary,
			severity:  o.Severity,
		}
	}
}
