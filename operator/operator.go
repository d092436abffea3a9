package operator

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// Operator converges one cluster on the specs. Create it with New and call
// Run once; Status and Handler may be used concurrently.
type Operator struct {
	opts Options
	kick chan struct{} // events enqueue here; cap 1 coalesces a burst

	mu     sync.RWMutex
	status Status

	managed atomic.Pointer[managedSet] // read by the event goroutine

	// Loop state, owned by the Run goroutine.
	good      *loaded
	invalid   *InvalidRevision
	sourceErr error
	apps      *backoff // per app id
	streaks   *streaks // the loop breaker, per app id
	passes    *backoff // "source" and "marathon"
	lastWrite map[string]time.Time
	lastErr   map[string]appError
	// planCache keeps normalized desired apps between passes.
	planCache *reconciler.PlanCache
	// page caches the status page's per-app facts (page_facts.go).
	page pageFacts
	// syncedTerm is the leader term (its context) in which the source was
	// last synced; a pass in a newer term syncs before it writes.
	syncedTerm context.Context
	// writers watches for another writer on the cluster.
	writers writerWatch
	// holds keeps back the prune of apps of revisions not loaded yet.
	holds deleteHold
}

type appError struct {
	msg string
	at  time.Time
}

// loaded is a revision that passed validation, rendered for the cluster.
type loaded struct {
	rev     Revision
	at      time.Time
	apps    []specs.App
	policy  map[string]string // group path (environment) → sync policy
	prune   []string          // environment groups whose policy prunes
	lbs     *reconciler.LoadBalancers
	byID    map[string]*specs.App
	desired []reconciler.DesiredApp
}

// New checks opts and returns an Operator.
func New(opts Options) (*Operator, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	o := &Operator{
		opts:      opts,
		kick:      make(chan struct{}, 1),
		apps:      newBackoff(opts.BackoffBase, opts.BackoffMax, opts.Jitter),
		streaks:   newStreaks(opts.MaxWritesPerRevision),
		passes:    newBackoff(opts.BackoffBase, opts.BackoffMax, opts.Jitter),
		lastWrite: map[string]time.Time{},
		lastErr:   map[string]appError{},
		planCache: reconciler.NewPlanCache(),
	}
	o.status = Status{Cluster: opts.Cluster, Environment: opts.Environment, DryRun: opts.DryRun, Summary: summarize(nil)}
	o.managed.Store(&managedSet{})
	return o, nil
}

// Status returns the status after the last pass.
func (o *Operator) Status() Status {
	o.mu.RLock()
	defer o.mu.RUnlock()
	s := o.status
	s.Leader = o.opts.Leader.IsLeader()
	return s
}

// Ready reports whether the first pass with a good revision is done.
func (o *Operator) Ready() bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.status.Ready
}

// Run reconciles until ctx is done. Cancelling ctx stops taking work; an
// apply in flight goes on for at most Options.ShutdownGrace (or until
// leadership is lost). Run returns nil then.
func (o *Operator) Run(ctx context.Context) error {
	log := logr.FromContextOrDiscard(ctx)
	var wg sync.WaitGroup
	if o.opts.Events != nil {
		wg.Go(func() { o.followEvents(ctx) })
	}
	defer wg.Wait()
	log.Info("Operator started", "cluster", o.opts.Cluster, "interval", o.opts.SyncInterval, "dryRun", o.opts.DryRun)
	fetch := true
	var nextFetch time.Time
	for {
		if fetch {
			nextFetch = o.opts.Clock.Now().Add(o.opts.SyncInterval)
		}
		res := o.pass(ctx, fetch)
		if ctx.Err() != nil {
			log.Info("Operator stopped")
			return nil
		}
		if res.fetchAt.Before(nextFetch) && !res.fetchAt.IsZero() {
			nextFetch = res.fetchAt
		}
		var done bool
		fetch, done = o.wait(ctx, nextFetch, res.retryAt)
		if done {
			log.Info("Operator stopped")
			return nil
		}
	}
}

// wait blocks until the next reason for a pass and reports whether the
// source must be synced first, or whether ctx is done.
func (o *Operator) wait(ctx context.Context, nextFetch, retryAt time.Time) (fetch, done bool) {
	clock := o.opts.Clock
	deadline := nextFetch
	if !retryAt.IsZero() && retryAt.Before(deadline) {
		deadline = retryAt
	}
	o.opts.Metrics.setLeader(o.opts.Leader.IsLeader())
	select {
	case <-ctx.Done():
		return false, true
	case <-clock.After(max(deadline.Sub(clock.Now()), 0)):
		return !clock.Now().Before(nextFetch), false
	case <-o.opts.Trigger:
		return true, false
	case <-o.opts.Leader.Changed():
		o.opts.Metrics.setLeader(o.opts.Leader.IsLeader())
		return false, false
	case <-o.kick:
		return false, o.drain(ctx)
	}
}

// drain absorbs a burst of events: it returns once no event came for
// Debounce, or DebounceMax after the first one.
func (o *Operator) drain(ctx context.Context) (done bool) {
	clock := o.opts.Clock
	first := clock.Now()
	for {
		left := o.opts.DebounceMax - clock.Now().Sub(first)
		if left <= 0 {
			return false
		}
		select {
		case <-ctx.Done():
			return true
		case <-o.kick:
		case <-clock.After(min(o.opts.Debounce, left)):
			select {
			case <-o.kick: // came with the timer: the burst goes on
			default:
				return false
			}
		}
	}
}

// enqueue asks for a pass without blocking; pending requests coalesce.
func (o *Operator) enqueue() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

func (o *Operator) publish(s Status) {
	o.mu.Lock()
	o.status = s
	o.mu.Unlock()
	o.opts.Metrics.observeStatus(s.Summary)
	if o.opts.OnPass != nil {
		s.Leader = o.opts.Leader.IsLeader()
		o.opts.OnPass(s)
	}
}
