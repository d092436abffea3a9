package status

import (
	"maps"
	"sync"
	"time"
)

// Pass is one operator pass as the status page lists it.
type Pass struct {
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"durationNanos"`
	Revision string        `json:"revision,omitempty"`
	// Invalid is the invalid newer revision's id, when there was one.
	Invalid string `json:"invalid,omitempty"`
	// Error is the first of the pass's source, Marathon and pass errors.
	Error   string  `json:"error,omitempty"`
	Applied int     `json:"applied"`
	Summary Summary `json:"summary"`
	// Repeats counts the passes after First with the same outcome
	// (revisions, error, no write, same counts); At and Duration are the
	// newest one's.
	Repeats int       `json:"repeats,omitempty"`
	First   time.Time `json:"first,omitzero"`
}

// same reports whether q has p's outcome, so History folds q into p.
func (p Pass) same(q Pass) bool {
	if p.Revision != q.Revision || p.Invalid != q.Invalid || p.Error != q.Error || p.Applied != 0 || q.Applied != 0 {
		return false
	}
	return maps.Equal(p.Summary.Sync, q.Summary.Sync) && maps.Equal(p.Summary.Health, q.Summary.Health)
}

// PassOf records a Cluster status as a Pass.
func PassOf(c Cluster) Pass {
	p := Pass{At: c.LastPass, Duration: c.PassDuration, Revision: c.Revision.ID, Applied: len(c.Applied), Summary: c.Summary}
	if c.InvalidRevision != nil {
		p.Invalid = c.InvalidRevision.ID
	}
	for _, e := range []string{c.SourceError, c.MarathonError, c.PassError} {
		if e != "" {
			p.Error = e
			break
		}
	}
	return p
}

// History keeps the last passes, newest first, a run of passes with the
// same outcome folded into one (a quiet cluster passes every few seconds).
// Safe for concurrent use.
type History struct {
	mu     sync.Mutex
	passes []Pass // ring
	next   int
	full   bool
}

// NewHistory keeps the last n passes (at least 1).
func NewHistory(n int) *History { return &History{passes: make([]Pass, max(n, 1))} }

// Add records a pass.
func (h *History) Add(p Pass) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last := &h.passes[(h.next-1+len(h.passes))%len(h.passes)]; (h.next > 0 || h.full) && last.same(p) {
		if last.First.IsZero() {
			last.First = last.At
		}
		last.At, last.Duration = p.At, p.Duration
		last.Repeats++
		return
	}
	h.passes[h.next] = p
	h.next = (h.next + 1) % len(h.passes)
	h.full = h.full || h.next == 0
}

// List returns the passes, newest first.
func (h *History) List() []Pass {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.next
	if h.full {
		n = len(h.passes)
	}
	out := make([]Pass, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, h.passes[(h.next-i+len(h.passes))%len(h.passes)])
	}
	return out
}

// Incident is an open incident (paged, not yet resolved) as the leader's
// paging tracks it.
type Incident struct {
	// Condition is the alerting condition, e.g. CrashLooping.
	Condition string `json:"condition"`
	// App is empty for cluster-level incidents.
	App      string    `json:"app,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Summary  string    `json:"summary"`
	Since    time.Time `json:"since"`
}

// Write is a write Marathon accepted, with the subject of the revision
// written (when it was the revision in force).
type Write struct {
	AppliedChange
	Subject string `json:"subject,omitempty"`
}

// Writes keeps the last writes of the cluster, newest first. Safe for
// concurrent use.
type Writes struct {
	mu   sync.Mutex
	ring []Write
	next int
	full bool
}

// NewWrites keeps the last n writes (at least 1).
func NewWrites(n int) *Writes { return &Writes{ring: make([]Write, max(n, 1))} }

// Observe records the writes of a pass.
func (w *Writes) Observe(c Cluster) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range c.Applied {
		wr := Write{AppliedChange: a}
		if a.Revision == c.Revision.ID {
			wr.Subject = c.Revision.Subject
		}
		w.ring[w.next] = wr
		w.next = (w.next + 1) % len(w.ring)
		w.full = w.full || w.next == 0
	}
}

// Of returns app's writes, newest first (all apps' when app is "").
func (w *Writes) Of(app string) []Write {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.next
	if w.full {
		n = len(w.ring)
	}
	var out []Write
	for i := 1; i <= n; i++ {
		if wr := w.ring[(w.next-i+len(w.ring))%len(w.ring)]; app == "" || wr.App == app {
			out = append(out, wr)
		}
	}
	return out
}
