package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/gitsource"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/operator"
)

// gitSyncTimeout bounds one fetch: gitsource's Sync needs a deadline.
const gitSyncTimeout = 2 * time.Minute

// gitSource adapts gitsource.Source to operator.Source. It tells the
// trigger every revision it fetched, so a webhook naming it does nothing.
type gitSource struct {
	s       *gitsource.Source
	trigger *gitsource.Trigger
}

func (g gitSource) Sync(ctx context.Context) (operator.Revision, error) {
	ctx, cancel := context.WithTimeout(ctx, gitSyncTimeout)
	defer cancel()
	rev, err := g.s.Sync(ctx)
	if err == nil && rev.Commit != "" && g.trigger != nil {
		g.trigger.Fetched(rev.Commit)
	}
	return operator.Revision{ID: rev.Commit, Subject: rev.Subject, FS: rev.FS}, err
}

// opEvents adapts the Marathon client's event stream to operator.EventStream.
type opEvents struct {
	client *marathon.Client
	log    logr.Logger
	// idleTimeout reconnects a stream silent this long (0: the client's default).
	idleTimeout time.Duration
}

func (e opEvents) Stream(ctx context.Context, fn func(operator.Event)) error {
	opts := marathon.StreamOptions{Types: operator.EventTypes, IdleTimeout: e.idleTimeout, OnError: func(err error, retryIn time.Duration) {
		e.log.Error(err, "Marathon event stream broken, reconnecting; a full pass follows", "retryIn", retryIn)
	}}
	return e.client.StreamEvents(ctx, opts, func(ev marathon.Event) {
		fn(operator.Event{Type: ev.Type, Data: ev.Data, Gap: ev.Gap})
	})
}

// taskGroup runs named goroutines and collects their errors.
type taskGroup struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
	failed chan error
	once   sync.Once
}

func (g *taskGroup) goErr(name string, fn func() error) {
	g.once.Do(func() { g.failed = make(chan error, 1) })
	g.wg.Go(func() {
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%s: %w", name, err)
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
			select {
			case g.failed <- err:
			default:
			}
		}
	})
}

func (g *taskGroup) wait() <-chan struct{} {
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	return done
}

func (g *taskGroup) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.errs...)
}
