package lb

import (
	"sync"
	"time"

	"github.com/gambol99/go-marathon"
)

// HealthMemory remembers the last health Marathon reported for each task, so
// that a task whose health results are briefly missing keeps its last known
// health for a grace period.
//
// After a Marathon leader failover the new leader reports health-checked tasks
// with no healthCheckResults until it has checked them again (marathon#3419,
// traefik#653). nixy then drops every such task and the LB answers 503 for all
// health-checked apps; marathon-lb added an LRU cache for this (mlb#148).
// A task that never reported health (a new task) is not remembered and does
// not serve until its first result arrives.
//
// A HealthMemory is safe for concurrent use. The zero value is not usable;
// use NewHealthMemory.
type HealthMemory struct {
	grace time.Duration
	now   func() time.Time

	mu    sync.Mutex
	tasks map[string]healthEntry
}

type healthEntry struct {
	alive bool
	at    time.Time // when Marathon last reported results for the task
}

// NewHealthMemory returns a memory that trusts a task's last reported health
// for grace after its results disappear. now is the clock (time.Now in
// production, a fake in tests).
func NewHealthMemory(grace time.Duration, now func() time.Time) *HealthMemory {
	return &HealthMemory{grace: grace, now: now, tasks: make(map[string]healthEntry)}
}

// resultsAlive is nixy's rule: at least one result and every result alive.
func resultsAlive(results []*marathon.HealthCheckResult) bool {
	if len(results) == 0 {
		return false
	}
	for _, r := range results {
		if r == nil || !r.Alive {
			return false
		}
	}
	return true
}

// healthPass is one selection pass over the memory: it records what it sees
// and, at the end, forgets tasks that are gone.
type healthPass struct {
	m    *HealthMemory
	now  time.Time
	seen map[string]struct{}
}

func (m *HealthMemory) begin() *healthPass {
	if m == nil {
		return &healthPass{}
	}
	return &healthPass{m: m, now: m.now(), seen: make(map[string]struct{})}
}

// alive reports whether a health-checked task counts as healthy now.
func (p *healthPass) alive(taskID string, results []*marathon.HealthCheckResult) bool {
	if p.m == nil {
		return resultsAlive(results)
	}
	p.seen[taskID] = struct{}{}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	if len(results) > 0 {
		alive := resultsAlive(results)
		p.m.tasks[taskID] = healthEntry{alive: alive, at: p.now}
		return alive
	}
	e, ok := p.m.tasks[taskID]
	if !ok {
		return false
	}
	if p.now.Sub(e.at) > p.m.grace {
		delete(p.m.tasks, taskID)
		return false
	}
	return e.alive
}

// end forgets tasks that were not seen in this pass (killed, finished, or no
// longer running), so the memory stays as large as the cluster.
func (p *healthPass) end() {
	if p.m == nil {
		return
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	for id := range p.m.tasks {
		if _, ok := p.seen[id]; !ok {
			delete(p.m.tasks, id)
		}
	}
}

// Len is the number of remembered tasks.
func (m *HealthMemory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tasks)
}
