package alerting

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Sender sends one event with a resolved routing key, once. PagerDuty is
// the real one; Delivery adds queuing and retries in front of it.
type Sender interface {
	SendIncident(ctx context.Context, key RoutingKey, inc Incident) error
	SendChange(ctx context.Context, key RoutingKey, c Change) error
}

// ErrStopped is returned by Notify once Run has returned.
var ErrStopped = errors.New("alert delivery stopped")

// DeliveryOptions configure a Delivery. Now and After are required: cmd
// passes time.Now and time.After, tests a fake clock.
type DeliveryOptions struct {
	Keys  KeyResolver
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Jitter returns a number in [0, 1); nil means math/rand/v2.Float64.
	Jitter func() float64
	// PerMinute is the most events sent per routing key in any minute;
	// zero means 120 (PagerDuty's Events API limit).
	PerMinute int
	// BackoffBase and BackoffMax bound retry delays; zero means 1s and 5m.
	BackoffBase, BackoffMax time.Duration
	// QueueSize bounds each routing key's queue; Notify waits for room
	// when it is full. Zero means 10000.
	QueueSize int
	// FlushTimeout bounds delivery of what is queued once Run's context
	// ends; zero means 10s.
	FlushTimeout time.Duration
	// Fallback gets incidents and changes whose routing key does not
	// resolve; nil means LogNotifier.
	Fallback interface {
		Notifier
		ChangeNotifier
	}
}

// Delivery is a Notifier that queues events per routing key and sends them
// in order with a Sender: retried with exponential backoff on network
// errors, 429 and 5xx (honouring Retry-After), dropped only when PagerDuty
// rejects the event itself (400, logged with PagerDuty's reason), and rate
// limited by waiting, never dropping. One worker per key sends in FIFO
// order, so a resolve never overtakes its trigger.
type Delivery struct {
	sender Sender
	opts   DeliveryOptions

	mu      sync.Mutex
	queues  map[RoutingKey]*queue
	start   func(*queue) // set while Run runs
	stopped bool
}

var (
	_ Notifier       = (*Delivery)(nil)
	_ ChangeNotifier = (*Delivery)(nil)
)

// NewDelivery returns a Delivery; call Run to start sending.
func NewDelivery(sender Sender, opts DeliveryOptions) (*Delivery, error) {
	if opts.Now == nil || opts.After == nil {
		return nil, errors.New("alert delivery: Now and After are required")
	}
	opts.Jitter = cmpOrFunc(opts.Jitter, rand.Float64)
	opts.PerMinute = cmpOrInt(opts.PerMinute, 120)
	opts.BackoffBase = cmpOrInt(opts.BackoffBase, time.Second)
	opts.BackoffMax = cmpOrInt(opts.BackoffMax, 5*time.Minute)
	opts.QueueSize = cmpOrInt(opts.QueueSize, 10000)
	opts.FlushTimeout = cmpOrInt(opts.FlushTimeout, 10*time.Second)
	if opts.Fallback == nil {
		opts.Fallback = LogNotifier{}
	}
	return &Delivery{sender: sender, opts: opts, queues: make(map[RoutingKey]*queue)}, nil
}

func cmpOrInt[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func cmpOrFunc(f, def func() float64) func() float64 {
	if f == nil {
		return def
	}
	return f
}

// Notify queues inc for its routing key and returns; it waits only while
// that key's queue is full. An incident without a resolvable key goes to
// the fallback (a log line).
func (d *Delivery) Notify(ctx context.Context, inc Incident) error {
	key, ok := d.key(ctx, inc.Route, inc.DedupKey)
	if !ok {
		return d.opts.Fallback.Notify(ctx, inc)
	}
	return d.enqueue(ctx, key, item{inc: &inc})
}

// NotifyChange queues a change event like Notify.
func (d *Delivery) NotifyChange(ctx context.Context, c Change) error {
	key, ok := d.key(ctx, c.Route, "change "+c.App)
	if !ok {
		return d.opts.Fallback.NotifyChange(ctx, c)
	}
	return d.enqueue(ctx, key, item{change: &c})
}

func (d *Delivery) key(ctx context.Context, ref KeyRef, what string) (RoutingKey, bool) {
	log := logr.FromContextOrDiscard(ctx)
	key, fallbackErr, err := d.opts.Keys.Resolve(ref)
	if fallbackErr != nil && err == nil {
		log.Info("Routing key does not resolve, using the default key", "incident", what, "route", ref.String(), "reason", fallbackErr.Error())
	}
	if err != nil {
		log.Error(err, "No PagerDuty routing key, incident only logged", "incident", what, "route", ref.String())
		return RoutingKey{}, false
	}
	return key, true
}

func (d *Delivery) enqueue(ctx context.Context, key RoutingKey, it item) error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return fmt.Errorf("queue %s: %w", it.name(), ErrStopped)
	}
	q := d.queues[key]
	if q == nil {
		q = newQueue(key, d.opts.QueueSize, d.opts.PerMinute)
		d.queues[key] = q
		if d.start != nil {
			d.start(q)
		}
	}
	d.mu.Unlock()
	return q.push(ctx, it)
}

// Len is the number of events waiting to be delivered, for all keys.
func (d *Delivery) Len() int {
	n := 0
	for _, v := range d.Depth() {
		n += v
	}
	return n
}

// Depth is the queue depth per routing key, by key fingerprint (for the
// pacer_alert_queue_depth metric and the status page).
func (d *Delivery) Depth() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.queues))
	for k, q := range d.queues {
		out[k.Fingerprint()] = q.len()
	}
	return out
}

// Run sends until ctx ends, then keeps sending what is queued for at most
// FlushTimeout and returns an error naming how many events were left
// undelivered. The logger comes from ctx.
func (d *Delivery) Run(ctx context.Context) error {
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	var wg sync.WaitGroup
	d.mu.Lock()
	d.start = func(q *queue) {
		wg.Go(func() { d.work(ctx, sendCtx, q) })
	}
	for _, q := range d.queues {
		d.start(q)
	}
	d.mu.Unlock()

	<-ctx.Done()
	d.mu.Lock()
	d.start = nil // a key first seen now gets no worker; its events count as undelivered
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-d.opts.After(d.opts.FlushTimeout):
		cancelSends()
		<-done
	}
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	if n := d.Len(); n > 0 {
		err = fmt.Errorf("flush alerts: %d events not delivered within %s", n, d.opts.FlushTimeout)
	}
	return err
}

// work sends q's events in order until ctx ends and q is empty, or sendCtx
// ends.
func (d *Delivery) work(ctx, sendCtx context.Context, q *queue) {
	log := logr.FromContextOrDiscard(ctx).WithValues("routingKey", q.key.Fingerprint())
	attempt := 0
	for sendCtx.Err() == nil {
		it, ok := q.peek()
		if !ok {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-q.wake:
			case <-ctx.Done():
			}
			continue
		}
		if wait := q.rate.wait(d.opts.Now()); wait > 0 {
			log.V(1).Info("Rate limit reached, waiting", "wait", wait, "queued", q.len())
			d.sleep(sendCtx, wait)
			continue
		}
		q.rate.record(d.opts.Now())
		err := d.send(sendCtx, q.key, it)
		var se *SendError
		switch {
		case err == nil:
			q.pop()
			attempt = 0
		case errors.As(err, &se) && se.Permanent():
			log.Error(err, "PagerDuty REJECTED an event as invalid; it is dropped and will never page, fix pacer",
				"incident", it.name(), "status", se.StatusCode, "problem", se.Problem)
			q.pop()
			attempt = 0
		case sendCtx.Err() != nil:
			return
		default:
			attempt++
			delay := backoff(attempt, d.opts.BackoffBase, d.opts.BackoffMax, d.opts.Jitter)
			if se != nil && se.RetryAfter > delay {
				delay = se.RetryAfter
			}
			log.Error(err, "Sending to PagerDuty failed, will retry", "incident", it.name(), "attempt", attempt,
				"retryIn", delay, "queued", q.len())
			d.sleep(sendCtx, delay)
		}
	}
}

func (d *Delivery) send(ctx context.Context, key RoutingKey, it item) error {
	if it.change != nil {
		return d.sender.SendChange(ctx, key, *it.change)
	}
	return d.sender.SendIncident(ctx, key, *it.inc)
}

func (d *Delivery) sleep(ctx context.Context, wait time.Duration) {
	select {
	case <-d.opts.After(wait):
	case <-ctx.Done():
	}
}
