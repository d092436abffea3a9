package checks

import (
	"testing"
	"time"

	"pacer.dev/pacer/specs"
)

// TestServiceOnChange: the service tells OnChange of a check's first
// result and of each hard state change, from its own probes and from the
// agents' results, and not of results that change nothing.
func TestServiceOnChange(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	calls := 0
	s := NewService(ServiceOptions{Now: time.Now, OnChange: func() { calls++ }})
	c := &specs.Check{ID: "/g/p:web", Name: "web", Kind: specs.CheckHTTP, Settings: specs.CheckSettings{For: 2, ClearFor: 1}}
	probe := func(i int, st State) {
		r := Result{State: st, Started: t0.Add(time.Duration(i) * time.Minute)}
		status, _ := s.store.Record(c, "", r)
		s.observe(c, r, status, 0)
	}
	agent := func(hard State, runs int) {
		s.setAgent(map[string]CheckState{"/g/p:exec": {ID: "/g/p:exec", Status: Status{Hard: hard, Runs: runs}}}, nil)
	}
	steps := []struct {
		name string
		do   func()
		want int
	}{
		{"first probe result", func() { probe(0, OK) }, 1},
		{"OK again", func() { probe(1, OK) }, 1},
		{"soft failure", func() { probe(2, Critical) }, 1},
		{"hard failure", func() { probe(3, Critical) }, 2},
		{"still failing", func() { probe(4, Critical) }, 2},
		{"recovered", func() { probe(5, OK) }, 3},
		{"agent check not run yet", func() { agent(OK, 0) }, 3},
		{"agent check first result", func() { agent(OK, 1) }, 4},
		{"agent check same state", func() { agent(OK, 2) }, 4},
		{"agent check fails hard", func() { agent(Warning, 3) }, 5},
	}
	for _, st := range steps {
		st.do()
		if calls != st.want {
			t.Fatalf("after %s: %d OnChange calls, want %d", st.name, calls, st.want)
		}
	}
}
