package alerting

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// item is one queued event: an incident or a change.
type item struct {
	inc    *Incident
	change *Change
}

func (it item) name() string {
	if it.change != nil {
		return "change " + it.change.App + " " + it.change.Revision
	}
	return string(it.inc.State) + " " + it.inc.DedupKey
}

// queue is one routing key's FIFO. Only its worker peeks and pops; any
// goroutine pushes.
type queue struct {
	key  RoutingKey
	size int
	rate window // owned by the worker
	wake chan struct{}

	mu    sync.Mutex
	items []item
	room  chan struct{} // closed when an item is popped; nil if nobody waits
}

func newQueue(key RoutingKey, size, perMinute int) *queue {
	return &queue{key: key, size: size, rate: window{limit: perMinute, per: time.Minute}, wake: make(chan struct{}, 1)}
}

// push appends it, waiting for room while the queue is full.
func (q *queue) push(ctx context.Context, it item) error {
	for {
		q.mu.Lock()
		if len(q.items) < q.size {
			q.items = append(q.items, it)
			q.mu.Unlock()
			select {
			case q.wake <- struct{}{}:
			default:
			}
			return nil
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return fmt.Errorf("queue %s full: %w", it.name(), ctx.Err())
		}
	}
}

func (q *queue) peek() (item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return item{}, false
	}
	return q.items[0], true
}

func (q *queue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items[0] = item{}
	q.items = q.items[1:]
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
