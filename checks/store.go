package checks

import (
	"slices"
	"strings"
	"sync"

	"pacer.dev/pacer/specs"
)

// CheckState is one check with its status: a row of /api/v1/checks, of
// pacer status and of an agent's results.
type CheckState struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Environment string `json:"environment"`
	Group       string `json:"group"`
	// ServiceGroup is the check's service group (e.g. /services/autofill).
	ServiceGroup string `json:"serviceGroup,omitempty"`
	Cluster      string `json:"cluster"`
	App          string `json:"app,omitempty"`
	Tip          string `json:"tip,omitempty"`
	Runbook      string `json:"runbook,omitempty"`
	Page         bool   `json:"page"`
	Urgency      string `json:"urgency,omitempty"`
	// Task is the task whose agent ran an exec check ("" for the leader's
	// own probes).
	Task   string `json:"task,omitempty"`
	Status Status `json:"status"`
}

// StateOf is check c with no result yet.
func StateOf(c *specs.Check) CheckState {
	return CheckState{ID: c.ID, Name: c.Name, Kind: c.Kind, Environment: c.Environment, Group: c.Group, ServiceGroup: c.ServiceGroup, Cluster: c.Cluster,
		App: c.App(), Tip: c.Tip, Runbook: c.Runbook, Page: c.Settings.Page, Urgency: c.Urgency}
}

// Store holds the status of every check; safe for concurrent use.
type Store struct {
	mu   sync.Mutex
	byID map[string]*CheckState
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{byID: map[string]*CheckState{}} }

// Record adds result r of check c (run by task, "" for the leader) and
// returns the check's status after it and whether its hard state changed.
func (s *Store) Record(c *specs.Check, task string, r Result) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.byID[c.ID]
	if !ok {
		fresh := StateOf(c)
		st = &fresh
		s.byID[c.ID] = st
	}
	st.Task = task
	changed := st.Status.Observe(r, c.Settings.For, c.Settings.ClearFor)
	return st.Status, changed
}

// Set replaces the state of a check as an agent reported it (the agent
// keeps the soft/hard status of its own checks).
func (s *Store) Set(st CheckState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[st.ID] = &st
}

// Retain drops the checks whose id keep does not accept (checks that left
// the specs).
func (s *Store) Retain(keep func(id string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.byID {
		if !keep(id) {
			delete(s.byID, id)
		}
	}
}

// Snapshot returns every check's state, sorted by id.
func (s *Store) Snapshot() []CheckState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckState, 0, len(s.byID))
	for _, st := range s.byID {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b CheckState) int { return strings.Compare(a.ID, b.ID) })
	return out
}
