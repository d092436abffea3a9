package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// DefaultCollectInterval is how often the leader reads the live tasks and
// the agents' results.
const DefaultCollectInterval = 30 * time.Second

// LiveApps reads the live apps with their tasks.
type LiveApps func(ctx context.Context) ([]marathon.App, error)

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Prober    *Prober
	Querier   *Querier
	Collector *Collector
	Live      LiveApps
	Metrics   *Metrics // optional
	// CollectInterval is how often the task list and the agents are read
	// (DefaultCollectInterval when zero).
	CollectInterval time.Duration
	Now             func() time.Time
	// OnChange, when set, is called after a check's first result and after
	// each change of a hard state (the status page's live updates); it
	// must not block.
	OnChange func()
}

// Service is the leader's side of the checks: it runs the http, tcp and
// prometheus checks on their schedule against the latest task list, reads
// the agents' results of the exec checks every CollectInterval, and holds
// every check's state for /api/v1/checks, metrics and paging.
type Service struct {
	opts    ServiceOptions
	store   *Store
	mu      sync.Mutex
	checks  []specs.Check
	hash    string
	changed chan struct{}
	live    map[string]marathon.App
	liveErr error
	stale   []Stale
	agent   map[string]CheckState // the latest collected exec check states
}

// NewService returns a service with no checks; set them with SetChecks.
func NewService(opts ServiceOptions) *Service {
	if opts.CollectInterval <= 0 {
		opts.CollectInterval = DefaultCollectInterval
	}
	return &Service{opts: opts, store: NewStore(), changed: make(chan struct{}, 1)}
}

// SetChecks replaces the checks (the rendering of the revision in force);
// the schedule restarts only when they changed.
func (s *Service) SetChecks(list []specs.Check) {
	b, _ := json.Marshal(list) // plain data: cannot fail
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == s.hash {
		return
	}
	s.checks, s.hash = list, h
	ids := map[string]bool{}
	for _, c := range list {
		ids[c.ID] = true
	}
	s.store.Retain(func(id string) bool { return ids[id] })
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Run works until ctx is done (the leader's term).
func (s *Service) Run(ctx context.Context) error {
	log := logr.FromContextOrDiscard(ctx)
	collect := time.NewTicker(s.opts.CollectInterval)
	defer collect.Stop()
	s.collect(ctx)
	stopSched, schedDone := s.startSchedule(ctx)
	defer func() { stopSched(); <-schedDone }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-collect.C:
			s.collect(ctx)
		case <-s.changed:
			stopSched()
			<-schedDone
			log.Info("Checks changed; restarting their schedule")
			s.collect(ctx)
			stopSched, schedDone = s.startSchedule(ctx)
		}
	}
}

func (s *Service) startSchedule(ctx context.Context) (stop func(), done chan struct{}) {
	s.mu.Lock()
	var own []specs.Check
	for _, c := range s.checks {
		if c.Exec == nil {
			own = append(own, c)
		}
	}
	s.mu.Unlock()
	sctx, cancel := context.WithCancel(ctx)
	done = make(chan struct{})
	runner := &Runner{Prober: s.opts.Prober, Querier: s.opts.Querier, Now: s.opts.Now, App: s.app}
	sched := &Scheduler{Run: runner.Run, Store: s.store, Now: s.opts.Now, OnResult: s.observe}
	go func() { sched.Loop(sctx, own); close(done) }()
	return cancel, done
}

func (s *Service) observe(c *specs.Check, r Result, st Status, lag time.Duration) {
	if m := s.opts.Metrics; m != nil {
		m.Observe(c, r, st.Hard)
		m.ObserveLag(lag.Seconds())
	}
	// Observe sets Since to the result's start when Hard changes.
	if s.opts.OnChange != nil && (st.Runs == 1 || st.Since.Equal(r.Started)) {
		s.opts.OnChange()
	}
}

// app returns the latest live app with id.
func (s *Service) app(_ context.Context, id string) (marathon.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.liveErr != nil {
		return marathon.App{}, s.liveErr
	}
	a, ok := s.live[id]
	if !ok {
		return marathon.App{}, fmt.Errorf("app %s is not in Marathon", id)
	}
	return a, nil
}

// collect reads the task list once and the agents' results; nothing
// when no check needs them (no read of Marathon for specs without checks).
func (s *Service) collect(ctx context.Context) {
	s.mu.Lock()
	none := len(s.checks) == 0
	s.mu.Unlock()
	if none {
		return
	}
	apps, err := s.opts.Live(ctx)
	live := make(map[string]marathon.App, len(apps))
	for _, a := range apps {
		live[a.ID] = a
	}
	s.mu.Lock()
	checks := s.checks
	if err != nil {
		s.liveErr = fmt.Errorf("read live apps: %w", err)
		s.mu.Unlock()
		return // keep the agents' last results; paging is inhibited while Marathon is unreachable
	}
	s.live, s.liveErr = live, nil
	s.mu.Unlock()
	states, stale := s.opts.Collector.Collect(ctx, checks, live)
	agent := make(map[string]CheckState, len(states))
	for _, st := range states {
		agent[st.ID] = st
		if m := s.opts.Metrics; m != nil {
			m.SetState(st)
		}
	}
	s.setAgent(agent, stale)
}

// setAgent keeps the agents' latest exec check states, and calls OnChange
// when one got its first result or changed its hard state.
func (s *Service) setAgent(agent map[string]CheckState, stale []Stale) {
	s.mu.Lock()
	changed := false
	for id, st := range agent {
		old, ok := s.agent[id]
		if st.Status.Runs > 0 && (!ok || old.Status.Runs == 0 || old.Status.Hard != st.Status.Hard) {
			changed = true
		}
	}
	s.agent, s.stale = agent, stale
	s.mu.Unlock()
	if changed && s.opts.OnChange != nil {
		s.opts.OnChange()
	}
}

// Snapshot returns every check's state sorted by id, and the stale agent
// apps. Checks not run yet are listed with zero runs.
func (s *Service) Snapshot() ([]CheckState, []Stale) {
	own := s.store.Snapshot()
	s.mu.Lock()
	defer s.mu.Unlock()
	byID := make(map[string]CheckState, len(own)+len(s.agent))
	for _, st := range own {
		byID[st.ID] = st
	}
	for id, st := range s.agent {
		byID[id] = st
	}
	out := make([]CheckState, 0, len(s.checks))
	for i := range s.checks {
		c := &s.checks[i]
		st, ok := byID[c.ID]
		if !ok {
			st = StateOf(c)
		}
		out = append(out, st)
	}
	return out, append([]Stale(nil), s.stale...)
}

// APIPath is where pacer run serves the checks.
const APIPath = "/api/v1/checks"

// APIResponse is the body of GET APIPath: the checks as the status model
// records them (Record).
type APIResponse struct {
	Checks []status.Check `json:"checks"`
	Stale  []Stale        `json:"stale,omitempty"`
}

// ServeHTTP serves APIPath: every check's state, output, since and last
// run, and the stale agents.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	states, stale := s.Snapshot()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(APIResponse{Checks: Records(states), Stale: stale})
}
