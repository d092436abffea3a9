package marathonsim

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"pacer.dev/pacer/marathonsim/internal/events"
)

// Options configures a Server.
type Options struct {
	Executor  string        // "virtual" (default) or "process"
	CPUs      float64       // capacity; 0 = unlimited
	MemMB     float64       // capacity; 0 = unlimited
	TaskStart time.Duration // staging → running delay (default 200ms)
	// EventSubscriber is Marathon's --event_subscriber: "http_callback"
	// serves /v2/eventSubscriptions and POSTs every event to the
	// subscribed URLs; "" (default) answers those calls with 400, as a
	// Marathon started without it does.
	EventSubscriber string
	// TaskKill is how long a virtual task stays TASK_KILLING before it is
	// TASK_KILLED when its app sets no taskKillGracePeriodSeconds (an app
	// that sets it keeps its tasks TASK_KILLING for that long). Default:
	// TaskStart. The process executor ignores it: a task is killed when
	// its process exits (SIGTERM, SIGKILL after the grace period).
	TaskKill time.Duration
	// StandInDrain is how long the stand-in of a container task keeps
	// serving after SIGTERM before it exits 0 (process executor; see the
	// package documentation). Default 1 s; an app's env SIM_DRAIN wins.
	StandInDrain time.Duration
	Clock        Clock        // nil = real time
	Logger       *slog.Logger // nil = discard

	// Leader and Standby let two Servers play a Marathon HA pair (zero
	// values: a single leader). Leader is the leader's host:port as
	// /v2/leader, /v2/info and the X-Marathon-Leader header report it;
	// "" on a leader means the Host of each request. Standby makes this
	// instance a non-leader that forwards every request but /sim/v1 to
	// http://Leader, as Marathon's LeaderProxyFilter does, or answers 503
	// "Could not determine the current leader" when Leader is "".
	// SetLeader changes both at run time.
	Leader  string
	Standby bool
	// FrameworkID and ZK are what /v2/info reports as frameworkId and
	// zookeeper_config.zk (defaults marathonsim-0000 and
	// zk://localhost:2181/marathon): two simulators playing two clusters
	// tell themselves apart by them, as two real Marathons do.
	FrameworkID string
	ZK          string
	// SandboxDir is the agent's work_dir under which the process executor
	// writes each task's sandbox (stdout, stderr); "" makes a temporary
	// one, removed by Close. See AgentHandler.
	SandboxDir string
}

// Server is a simulated Marathon 1.4.13 leader.
type Server struct {
	opts  Options
	clock Clock
	log   *slog.Logger
	bus   *events.Bus

	callbacks *callbacks // nil without Options.EventSubscriber

	leader leadership

	mu             sync.Mutex // guards all below; take it with lock, release with unlock
	closed         bool
	root           *tree
	rt             map[string]*appRuntime
	tasks          map[string]*task
	history        map[string][]*App
	trees          []*tree // stored root versions, oldest first
	deployments    []*deployment
	dirty          map[string]bool
	waitingCap     map[string]bool
	lastVersion    time.Time
	nextPort       int
	taskSeq        uint64
	usedCPUs       float64
	usedMem        float64
	faults         faults
	render         renderCache
	onEvent        func(eventType string, payload any) // test hook
	stepCheck      func(incremental, full bool)        // test hook, see stepDone
	procWG         sync.WaitGroup
	sandboxRoot    string           // agent work_dir (process executor)
	ownSandbox     bool             // sandboxRoot was made by New
	completedExecs []executorRecord // finished tasks' executors, oldest first
	outbox         outbox
}

// New returns a Server with an empty root group.
func New(opts Options) (*Server, error) {
	switch opts.Executor {
	case "":
		opts.Executor = "virtual"
	case "virtual", "process":
	default:
		return nil, fmt.Errorf("new simulator: unknown executor %q (want virtual or process)", opts.Executor)
	}
	if opts.TaskStart <= 0 {
		opts.TaskStart = 200 * time.Millisecond
	}
	if opts.TaskKill <= 0 {
		opts.TaskKill = opts.TaskStart
	}
	if opts.StandInDrain <= 0 {
		opts.StandInDrain = defaultStandInDrain
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.FrameworkID == "" {
		opts.FrameworkID = "marathonsim-0000"
	}
	if opts.ZK == "" {
		opts.ZK = "zk://localhost:2181/marathon"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		opts:       opts,
		clock:      opts.Clock,
		log:        opts.Logger,
		rt:         map[string]*appRuntime{},
		tasks:      map[string]*task{},
		history:    map[string][]*App{},
		dirty:      map[string]bool{},
		waitingCap: map[string]bool{},
		nextPort:   31000,
	}
	clock := opts.Clock
	s.bus = events.NewBus(events.Options{Now: clock.Now, AfterFunc: func(d time.Duration, f func()) func() bool {
		return clock.AfterFunc(d, f).Stop
	}})
	switch opts.EventSubscriber {
	case "":
	case "http_callback":
		s.callbacks = newCallbacks()
	default:
		return nil, fmt.Errorf("event subscriber %q: want http_callback or none", opts.EventSubscriber)
	}
	if opts.Executor == "process" {
		s.sandboxRoot = opts.SandboxDir
		if s.sandboxRoot == "" {
			dir, err := os.MkdirTemp("", "marathonsim-agent-")
			if err != nil {
				return nil, fmt.Errorf("new simulator: agent work dir: %w", err)
			}
			s.sandboxRoot, s.ownSandbox = dir, true
		} else if err := os.MkdirAll(s.sandboxRoot, 0o755); err != nil {
			return nil, fmt.Errorf("new simulator: agent work dir: %w", err)
		}
		abs, err := filepath.Abs(s.sandboxRoot)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs) // the agent attaches real paths
		}
		if err != nil {
			return nil, fmt.Errorf("new simulator: agent work dir: %w", err)
		}
		s.sandboxRoot = abs
	}
	s.SetLeader(opts.Leader, opts.Standby)
	v, _ := s.newVersion()
	s.root = newTree(v)
	s.trees = []*tree{s.root}
	return s, nil
}

// Close stops every task (and process) and closes the event streams.
func (s *Server) Close() error {
	s.lock()
	if s.closed {
		s.unlock()
		return nil
	}
	s.closed = true
	ids := make([]string, 0, len(s.tasks))
	for id := range s.tasks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s.stopTask(s.tasks[id], "TASK_KILLED", "simulator shutting down")
	}
	s.unlock()
	s.procWG.Wait()
	if s.ownSandbox {
		_ = os.RemoveAll(s.sandboxRoot)
	}
	s.bus.Close()
	if s.callbacks != nil {
		s.callbacks.close()
	}
	return nil
}

// after runs f under the server lock once d has elapsed on the clock, then
// lets the simulation settle.
func (s *Server) after(d time.Duration, f func()) Timer {
	return s.clock.AfterFunc(d, func() {
		s.lock()
		defer s.unlock()
		if s.closed {
			return
		}
		f()
		s.settle()
	})
}

func (s *Server) markDirty(appID string) {
	s.dirty[appID] = true
	s.touch(appID)
}

// settle reconciles dirty apps and advances deployments until nothing moves.
// Every entry point (request, timer, process exit) calls it with s.mu held.
func (s *Server) settle() {
	for i := 0; i < 10000; i++ {
		moved := s.progressDeployments()
		if len(s.dirty) == 0 && !moved {
			return
		}
		ids := make([]string, 0, len(s.dirty))
		for id := range s.dirty {
			ids = append(ids, id)
		}
		s.dirty = emptied(s.dirty)
		sort.Strings(ids)
		for _, id := range ids {
			s.reconcileApp(id)
		}
	}
	s.log.Warn("Simulation did not settle")
}

// emptied returns m with no keys. A cleared map keeps its size, and ranging
// over it costs that size however few keys it holds, so a map that held
// many keys is replaced: else after a 10,000-app step every later range
// over the dirty set would walk 10,000 empty slots.
func emptied(m map[string]bool) map[string]bool {
	if len(m) > 64 {
		return map[string]bool{}
	}
	clear(m)
	return m
}

// ServeHTTP serves the Marathon v2 API, /ping, and the /sim/v1 control API
// (a standby forwards all but /sim/v1 to the leader).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveLeadership(w, r) {
		return
	}
	if err := s.applyFaults(w, r); err != nil {
		return
	}
	s.route(w, r)
}
