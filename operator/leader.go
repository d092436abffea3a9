package operator

import (
	"context"
	"sync"
)

// Leadership says whether this instance may write to Marathon, and under
// which context: the election's leader context, cancelled the moment
// leadership may be lost, so that an apply in flight stops writing at once.
// It is safe for concurrent use.
type Leadership struct {
	always  bool
	mu      sync.Mutex
	ctx     context.Context // nil while not leader
	changed chan struct{}
}

// NewLeadership returns a Leadership that is not leader until Lead is called.
func NewLeadership() *Leadership {
	return &Leadership{changed: make(chan struct{}, 1)}
}

// AlwaysLeader returns a Leadership for a single instance without election:
// it always writes, under the operator's own context.
func AlwaysLeader() *Leadership {
	l := NewLeadership()
	l.always = true
	return l
}

// Lead makes this instance leader for the life of leaderCtx and returns when
// it is done. It has the shape of the election's onElected callback.
func (l *Leadership) Lead(leaderCtx context.Context) {
	l.set(leaderCtx)
	<-leaderCtx.Done()
	l.set(nil)
}

func (l *Leadership) set(ctx context.Context) {
	l.mu.Lock()
	l.ctx = ctx
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// Context returns the context writes must run under and whether this
// instance leads. For AlwaysLeader the context is nil: the caller's own.
func (l *Leadership) Context() (context.Context, bool) {
	if l.always {
		return nil, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil || l.ctx.Err() != nil {
		return nil, false
	}
	return l.ctx, true
}

// IsLeader reports whether this instance may write now.
func (l *Leadership) IsLeader() bool {
	_, ok := l.Context()
	return ok
}

// Changed delivers a value after leadership was gained or lost.
func (l *Leadership) Changed() <-chan struct{} { return l.changed }
