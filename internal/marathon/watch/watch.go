// Package watch is pacer's live view of Marathon: one /v2/events stream per
// process, shared by every consumer (the operator enqueues a pass, the load
// balancer updates its task model), instead of one stream each.
//
// A Hub subscribes once, with the union of the event types its
// subscriptions ask for, and hands each event, in order, to the
// subscriptions whose types include it. Gaps (every (re)connection of the
// stream, when events may have been missed) reach every subscription, so
// each consumer re-reads what it needs; a subscription that attaches after
// the stream connected first receives a gap of its own.
//
// Still to come (issue 14, point 1): one full read of /v2/apps per resync
// cycle, decoded once into one App/Task/Deployment model the subscriptions
// share; today the operator and the load balancer each read /v2/apps.
package watch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"pacer.dev/pacer/internal/marathon"
)

// Streamer is the Marathon client's event stream (marathon.Client).
type Streamer interface {
	StreamEvents(ctx context.Context, opts marathon.StreamOptions, fn func(marathon.Event)) error
}

var _ Streamer = (*marathon.Client)(nil)

// ErrStopped is what Subscription.Stream returns when the hub stopped
// before the subscription's context ended.
var ErrStopped = errors.New("watch: event stream stopped")

// Hub holds the process's one event stream. Subscribe every consumer before
// Run; Run streams until its context is done.
type Hub struct {
	// Client is where the events come from.
	Client Streamer
	// OnError is told about every broken connection (marathon.StreamOptions).
	OnError func(err error, retryIn time.Duration)
	// IdleTimeout reconnects a stream silent this long (0: the client's
	// default; marathon.StreamOptions).
	IdleTimeout time.Duration

	mu        sync.Mutex // serialises delivery and attaching
	subs      []*Subscription
	running   bool
	connected bool // a gap was delivered: the stream is up
	done      chan struct{}
	err       error
}

// Subscription is one consumer of a Hub's stream.
type Subscription struct {
	hub   *Hub
	types map[string]bool // nil: every type
	fn    func(marathon.Event)
}

// Subscribe adds a consumer of the event types given (every type when none
// is given). Call it before Run: the stream's server-side filter is the
// union of the subscriptions' types.
func (h *Hub) Subscribe(types ...string) *Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running {
		panic("watch: Subscribe after Run")
	}
	if h.done == nil {
		h.done = make(chan struct{})
	}
	s := &Subscription{hub: h}
	if len(types) > 0 {
		s.types = make(map[string]bool, len(types))
		for _, t := range types {
			s.types[t] = true
		}
	}
	h.subs = append(h.subs, s)
	return s
}

// Types is the union of the subscriptions' event types, sorted; nil when a
// subscription takes every type.
func (h *Hub) Types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.typesLocked()
}

func (h *Hub) typesLocked() []string {
	var types []string
	for _, s := range h.subs {
		if s.types == nil {
			return nil
		}
		for t := range s.types {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	slices.Sort(types)
	return types
}

// Run holds the one event stream until ctx is done, delivering its events
// to the subscriptions, and returns ctx's error (or the stream's). The
// subscriptions' Stream calls then return.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return errors.New("watch: Run called twice")
	}
	h.running = true
	if h.done == nil {
		h.done = make(chan struct{})
	}
	types := h.typesLocked()
	h.mu.Unlock()

	err := h.Client.StreamEvents(ctx, marathon.StreamOptions{Types: types, OnError: h.OnError, IdleTimeout: h.IdleTimeout}, h.deliver)
	h.mu.Lock()
	h.err = err
	h.connected = false
	close(h.done)
	h.mu.Unlock()
	return err
}

// deliver hands ev to every attached subscription that takes it, in order.
func (h *Hub) deliver(ev marathon.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ev.Gap {
		h.connected = true
	}
	for _, s := range h.subs {
		if s.fn != nil && (ev.Gap || s.types == nil || s.types[ev.Type]) {
			s.fn(ev)
		}
	}
}

// Stream calls fn for every event of the subscription's types and every
// gap, in order and never concurrently, until ctx is done (it then returns
// ctx's error) or the hub stops (ErrStopped, or the stream's error). When
// the stream is already up, fn first receives a gap: events before Stream
// was called were missed. One Stream at a time per subscription.
func (s *Subscription) Stream(ctx context.Context, fn func(marathon.Event)) error {
	h := s.hub
	h.mu.Lock()
	if s.fn != nil {
		h.mu.Unlock()
		return errors.New("watch: Stream called twice on one subscription")
	}
	select {
	case <-h.done:
		err := h.err
		h.mu.Unlock()
		return stopped(err)
	default:
	}
	s.fn = fn
	if h.connected {
		fn(marathon.Event{Gap: true})
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		s.fn = nil
		h.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-h.done:
		h.mu.Lock()
		err := h.err
		h.mu.Unlock()
		return stopped(err)
	}
}

func stopped(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ErrStopped
	}
	return errors.Join(ErrStopped, err)
}
