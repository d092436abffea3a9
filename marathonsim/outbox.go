package marathonsim

import (
	"sync"
	"time"

	"pacer.dev/pacer/marathonsim/internal/events"
)

// Events happen under the server lock, but encoding them (a deployment
// event carries the whole root group twice) and fanning them out to the
// streams must not hold up other requests. So publish only queues an
// event, with its timestamp, and unlock publishes the queue once the lock
// is released. Publishing drains the queue in batches under a separate
// lock, taking each batch in the order the events were queued, so every
// stream still sees events in the order they happened, whichever request
// gets to publish them. A request that queued events returns only once
// they are published (by it or by the request that took its batch); a
// request that queued none never waits for publishing.

// outbox is the queue of events not yet published.
type outbox struct {
	publishing  sync.Mutex    // held while a batch is published; orders the batches
	queued      []queuedEvent // guarded by Server.mu
	count       uint64        // events ever queued; guarded by Server.mu
	countAtLock uint64        // count when the lock was taken
}

type queuedEvent struct {
	eventType string
	payload   any // immutable once queued
	at        time.Time
}

// lock takes the server lock.
func (s *Server) lock() {
	s.mu.Lock()
	s.outbox.countAtLock = s.outbox.count
}

// unlock releases the server lock, then publishes the events queued while
// it was held.
func (s *Server) unlock() {
	queued := s.outbox.count != s.outbox.countAtLock
	s.mu.Unlock()
	if queued {
		s.publishQueued()
	}
}

// publish queues an event for the bus (which adds eventType and the
// timestamp). Callers hold the server lock; payload must not change
// afterwards.
func (s *Server) publish(eventType string, payload any) {
	s.outbox.queued = append(s.outbox.queued, queuedEvent{eventType: eventType, payload: payload, at: s.clock.Now()})
	s.outbox.count++
}

// publishQueued publishes every queued event, in order. Callers do not
// hold the server lock.
func (s *Server) publishQueued() {
	s.outbox.publishing.Lock()
	defer s.outbox.publishing.Unlock()
	s.mu.Lock()
	batch := s.outbox.queued
	s.outbox.queued = nil
	s.mu.Unlock()
	for _, e := range batch {
		if s.onEvent != nil {
			s.onEvent(e.eventType, e.payload)
		}
		s.bus.PublishAt(e.eventType, e.payload, e.at)
		if s.callbacks != nil {
			s.callbacks.enqueue(e.eventType, e.payload, e.at)
		}
	}
}

// encodedEvent builds an event payload from already encoded JSON values,
// in the order given (keys must be sorted to match what a map payload
// marshals to).
func encodedEvent(fields ...keyRaw) events.Encoded {
	n := 2
	for _, f := range fields {
		n += len(f.key) + len(f.raw) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.key...)
		b = append(b, '"', ':')
		b = append(b, f.raw...)
	}
	return append(b, '}')
}

type keyRaw struct {
	key string // a plain key: no characters JSON would escape
	raw []byte
}
