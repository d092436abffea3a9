package alerting

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// DefaultClearFor is how long a firing condition must stay clear before it
// resolves, unless TrackerOptions.ClearFor says otherwise.
const DefaultClearFor = 2 * time.Minute

// TrackerOptions configure a Tracker.
type TrackerOptions struct {
	// For overrides the conditions' default `for` for every environment
	// that does not set its own.
	For map[Condition]time.Duration
	// ClearFor is the resolve hysteresis; zero means DefaultClearFor.
	ClearFor time.Duration
	// ClusterPolicy pages cluster-level conditions whose Signal carries no
	// Policy. Its zero value does not page; cmd sets Urgency high and the
	// default routing key.
	ClusterPolicy Policy
	Links         LinkOptions
}

// Tracker turns level-based observations into incident transitions: a
// condition pages once it has held for its `for`, and resolves once it has
// been clear for ClearFor. It is safe for concurrent use (Snapshot from a
// status handler while the loop calls Observe).
type Tracker struct {
	opts TrackerOptions

	mu       sync.Mutex
	states   map[subject]*tracked
	silences []Silence
	lastPass time.Time // of the last Observe, for Snapshot
}

type phase int

const (
	pending phase = iota // holding, not yet for its whole `for`
	firing               // held long enough; clearSince set while clearing
)

type tracked struct {
	sig        Signal
	policy     Policy
	phase      phase
	firstSeen  time.Time
	clearSince time.Time // zero while the condition holds
	paged      bool      // a trigger was emitted and needs a resolve
	summary    string    // of the trigger
	severity   Severity
}

// NewTracker returns a Tracker with nothing open.
func NewTracker(opts TrackerOptions) *Tracker {
	if opts.ClearFor == 0 {
		opts.ClearFor = DefaultClearFor
	}
	return &Tracker{opts: opts, states: make(map[subject]*tracked)}
}

// Observe records one pass: signals is everything that holds at now, for
// every cluster this tracker watches. It returns the incidents to send, in
// a stable order (cluster, app, condition).
//
// While MarathonUnreachable holds (or has not yet resolved) for a cluster,
// that cluster's per-app conditions are frozen: nothing new pages, nothing
// open resolves, and the resolve hysteresis restarts when Marathon is back.
func (t *Tracker) Observe(now time.Time, signals []Signal) []Incident {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastPass = now

	present := make(map[subject]Signal, len(signals))
	for _, s := range signals {
		present[s.subject()] = s
	}
	inhibited := t.inhibitedClusters(present)

	subjects := make([]subject, 0, len(present)+len(t.states))
	for s := range present {
		subjects = append(subjects, s)
	}
	for s := range t.states {
		if _, ok := present[s]; !ok {
			subjects = append(subjects, s)
		}
	}
	slices.SortFunc(subjects, func(a, b subject) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.App, b.App), cmp.Compare(a.Condition, b.Condition))
	})

	var out []Incident
	for _, s := range subjects {
		inhibit := !s.Condition.ClusterLevel() && inhibited[s.Cluster]
		var inc *Incident
		if sig, ok := present[s]; ok {
			inc = t.holds(now, s, sig, inhibit)
		} else {
			inc = t.clear(now, s, inhibit)
		}
		if inc != nil {
			out = append(out, *inc)
		}
	}
	return out
}

// inhibitedClusters are those whose Marathon is unreachable now or whose
// MarathonUnreachable has not resolved yet.
func (t *Tracker) inhibitedClusters(present map[subject]Signal) map[string]bool {
	out := make(map[string]bool)
	for s := range present {
		if s.Condition == MarathonUnreachable {
			out[s.Cluster] = true
		}
	}
	for s, st := range t.states {
		if s.Condition == MarathonUnreachable && st.phase == firing {
			out[s.Cluster] = true
		}
	}
	return out
}

// holds handles a condition present in this pass.
func (t *Tracker) holds(now time.Time, s subject, sig Signal, inhibit bool) *Incident {
	st := t.states[s]
	if st == nil {
		st = &tracked{phase: pending, firstSeen: now}
		t.states[s] = st
	}
	st.sig = sig
	st.policy = t.policyOf(sig)
	st.clearSince = time.Time{}
	held := max(now.Sub(st.firstSeen), sig.Details.Age)
	if st.phase == pending && held >= st.policy.forDuration(s.Condition, t.opts.For) && !inhibit {
		st.phase = firing
	}
	if st.phase != firing || st.paged || inhibit || !st.policy.pages() || t.silenced(now, s) {
		return nil
	}
	st.paged = true
	st.severity = st.policy.SeverityOf(s.Condition)
	st.summary = Summary(s.Condition, s.Cluster, s.App, now.Sub(st.firstSeen), sig.Details)
	inc := t.incident(now, s, st, Triggered)
	return &inc
}

// clear handles a tracked condition absent from this pass.
func (t *Tracker) clear(now time.Time, s subject, inhibit bool) *Incident {
	st := t.states[s]
	switch {
	case inhibit:
		st.clearSince = time.Time{} // frozen; hysteresis restarts once Marathon answers
		return nil
	case st.phase == pending:
		delete(t.states, s)
		return nil
	case st.clearSince.IsZero():
		st.clearSince = now
	}
	if now.Sub(st.clearSince) < t.opts.ClearFor {
		return nil
	}
	delete(t.states, s)
	if !st.paged {
		return nil
	}
	inc := t.incident(now, s, st, Resolved)
	return &inc
}

func (t *Tracker) policyOf(sig Signal) Policy {
	switch {
	case sig.Policy != nil:
		return *sig.Policy
	case sig.Condition.ClusterLevel():
		return t.opts.ClusterPolicy
	}
	return Policy{} // the environment does not page
}

func (t *Tracker) incident(now time.Time, s subject, st *tracked, state State) Incident {
	summary := st.summary
	if state == Resolved {
		summary = "Resolved after " + FormatDuration(now.Sub(st.firstSeen)) + ": " + st.summary
	}
	return Incident{
		State:       state,
		DedupKey:    DedupKey(s.Cluster, s.App, s.Condition),
		Route:       st.policy.RoutingKey,
		Condition:   s.Condition,
		Cluster:     s.Cluster,
		App:         s.App,
		Group:       st.sig.Group,
		Environment: st.sig.Environment,
		Severity:    st.severity,
		Summary:     summary,
		Since:       st.firstSeen,
		At:          now,
		Details:     st.sig.Details,
		Links:       t.opts.Links.linksOf(s.Cluster, s.App, s.Condition, st.sig.Details),
	}
}
