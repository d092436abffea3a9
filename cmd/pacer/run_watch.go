package main

import (
	"context"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/internal/marathon/watch"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/operator"
)

// newEventHub is the process's one Marathon event stream (watch.Hub):
// pacer run's operator and LB, and pacer lb, subscribe to it.
// idleTimeout reconnects a stream silent that long (0: the client's default).
func newEventHub(client *marathon.Client, log logr.Logger, idleTimeout time.Duration) *watch.Hub {
	return &watch.Hub{Client: client, IdleTimeout: idleTimeout, OnError: func(err error, retryIn time.Duration) {
		log.Error(err, "Marathon event stream broken, reconnecting; every consumer re-reads Marathon", "retryIn", retryIn)
	}}
}

// opEvents adapts a subscription of the hub to operator.EventStream.
type opEvents struct{ sub *watch.Subscription }

func (e opEvents) Stream(ctx context.Context, fn func(operator.Event)) error {
	return e.sub.Stream(ctx, func(ev marathon.Event) {
		fn(operator.Event{Type: ev.Type, Data: ev.Data, Gap: ev.Gap})
	})
}

// lbEvents adapts a subscription of the hub, made with lb.EventTypes, to
// lb.EventStream.
type lbEvents struct{ sub *watch.Subscription }

var (
	_ lb.AppLister         = (*marathon.Client)(nil)
	_ lb.EventStream       = lbEvents{}
	_ operator.EventStream = opEvents{}
)

// Stream delivers the subscription's events; types is lb.EventTypes, the
// types the subscription was made with.
func (e lbEvents) Stream(ctx context.Context, _ []string, fn func(lb.Event)) error {
	return e.sub.Stream(ctx, func(ev marathon.Event) {
		fn(lb.Event{Type: ev.Type, Data: ev.Data, Gap: ev.Gap})
	})
}
