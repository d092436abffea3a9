package lb

import (
	"context"
	"fmt"
	"time"

	"github.com/gambol99/go-marathon"
	"github.com/go-logr/logr"
)

// AppLister reads the full state from Marathon: every app with its tasks
// and health results (GET /v2/apps?embed=apps.tasks) and the running
// deployments. internal/marathon.Client implements it. ListApplications may
// return apps together with an error about apps it could not decode; those
// apps are left out and the error is logged.
type AppLister interface {
	ListApplications(ctx context.Context) ([]marathon.Application, error)
	ListDeployments(ctx context.Context) ([]marathon.Deployment, error)
}

// EventStream delivers Marathon events filtered by type, in order, until ctx
// is done, reconnecting by itself; after every (re)connection it delivers
// Event{Gap: true} before the connection's events.
type EventStream interface {
	Stream(ctx context.Context, types []string, fn func(Event)) error
}

// DefaultResync is how often the whole state is re-read even when events
// flow (marathon-lb's 300 s).
const DefaultResync = 5 * time.Minute

// Source keeps a LiveState in step with Marathon: a full read at start,
// after every event-stream gap, when an event cannot be applied alone, and
// every Resync; events in between.
type Source struct {
	Lister AppLister
	// Events, when nil, leaves only the periodic full reads (polling).
	Events EventStream
	State  *LiveState
	// Resync is the period of full reads; zero means DefaultResync.
	Resync time.Duration
	// RetryMin and RetryMax bound the backoff after a failed full read
	// (default 500ms and 30s).
	RetryMin, RetryMax time.Duration
	Clock              Clock
}

// Run follows Marathon until ctx is done and calls changed (from any
// goroutine, never concurrently with itself from the same goroutine) after
// every change of the state. It returns ctx's error.
func (s *Source) Run(ctx context.Context, changed func()) error {
	log := logr.FromContextOrDiscard(ctx)
	clock := s.Clock
	if clock == nil {
		clock = RealClock{}
	}
	period := cmpOrDur(s.Resync, DefaultResync)
	retryMin, retryMax := cmpOrDur(s.RetryMin, 500*time.Millisecond), cmpOrDur(s.RetryMax, 30*time.Second)

	resync := make(chan struct{}, 1)
	request := func() {
		select {
		case resync <- struct{}{}:
		default:
		}
	}
	request()
	if s.Events != nil {
		go func() {
			_ = s.Events.Stream(ctx, EventTypes, func(ev Event) {
				eff, err := s.State.Apply(ev)
				if err != nil {
					log.Error(err, "Cannot apply Marathon event, re-reading everything", "event", ev.Type)
				}
				switch eff {
				case EffectChanged:
					changed()
				case EffectResync:
					request()
				}
			})
		}()
	}

	backoff := retryMin
	var retry <-chan time.Time
	next := clock.After(period)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-resync:
		case <-retry:
		case <-next:
			next = clock.After(period)
		}
		retry = nil
		if err := s.resyncOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Error(err, "Cannot read Marathon, keeping the last known state", "retryIn", backoff)
			retry = clock.After(backoff)
			backoff = min(backoff*2, retryMax)
			continue
		}
		backoff = retryMin
		changed()
	}
}

// resyncOnce reads everything and replaces the state.
func (s *Source) resyncOnce(ctx context.Context) error {
	s.State.BeginResync()
	apps, err := s.Lister.ListApplications(ctx)
	if err != nil && apps == nil {
		s.State.AbortResync()
		return fmt.Errorf("resync: %w", err)
	}
	if err != nil {
		logr.FromContextOrDiscard(ctx).Error(err, "Some apps could not be read and are left out")
	}
	deps, err := s.Lister.ListDeployments(ctx)
	if err != nil {
		s.State.AbortResync()
		return fmt.Errorf("resync: %w", err)
	}
	s.State.Replace(apps, deps)
	logr.FromContextOrDiscard(ctx).V(1).Info("Read Marathon state", "apps", len(apps), "deployments", len(deps))
	return nil
}

func cmpOrDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
