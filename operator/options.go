package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
)

// Marathon is what the operator needs from a Marathon client: the
// reconciler's reads and writes. *marathon.Client implements it.
type Marathon interface {
	reconciler.Marathon
}

// Source hands out the newest revision of the spec tree. On error it
// returns the last good revision it has (zero when none) with the error.
type Source interface {
	Sync(ctx context.Context) (Revision, error)
}

// Revision is one version of the spec tree.
type Revision struct {
	// ID names the revision (a git commit, or a content hash of a directory).
	ID string
	// Subject describes it (the commit subject), for status.
	Subject string
	// FS is the spec tree, rooted at the specs root.
	FS fs.FS
}

// Event is one Marathon event, or a gap marker after which every event
// may have been missed.
type Event struct {
	Type string
	Data json.RawMessage
	Gap  bool
}

// EventStream delivers Marathon events until ctx is done.
type EventStream interface {
	Stream(ctx context.Context, fn func(Event)) error
}

// Clock is the operator's source of time; tests inject a fake one. It has
// the reconciler's shape so that it is passed on to reconciler.Apply.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Options configure an Operator. They are plain configuration: the runtime
// state lives in Operator.
type Options struct {
	// Cluster is the cluster name of the Cluster spec the operator converges.
	Cluster string
	// Environment, when set, limits the operator to one environment.
	Environment string
	Source      Source
	Marathon    Marathon
	// Events, when set, makes changes to managed apps trigger a pass.
	Events EventStream
	// Leader says whether (and under which context) this instance may write.
	// Nil means always leader.
	Leader *Leadership
	// Trigger asks for an immediate source sync (the webhook, SIGHUP).
	Trigger <-chan struct{}
	// SyncInterval is the period of source syncs and full passes. Default 1m.
	SyncInterval time.Duration
	// DryRun makes the operator read-only.
	DryRun bool
	// Debounce is the quiet time that ends a burst of events (default
	// 250ms); DebounceMax bounds the wait from the first event (default 2s).
	Debounce, DebounceMax time.Duration
	// BackoffBase and BackoffMax bound the exponential backoff of failing
	// apps and passes (default 2s and 5m).
	BackoffBase, BackoffMax time.Duration
	// LockWait bounds the wait for a deployment that locks an app before it
	// is written; the pass is requeued after RequeueAfter instead (defaults
	// 5s and 5s).
	LockWait, RequeueAfter time.Duration
	// SupersedeAfter lets a new revision replace a deployment that locks an
	// app instead of waiting for it, when that deployment is older than
	// this, touches that app alone and moves it to another pacer revision
	// (the app's pacer.dev/revision label): typically pacer's own
	// deployment of a bad version that never gets healthy, which the fix
	// pushed after it could otherwise never replace. The write uses
	// force=true; Marathon cancels the old deployment without rolling it
	// back. Zero never supersedes.
	SupersedeAfter time.Duration
	// ShutdownGrace is how long an in-flight apply may go on once ctx is
	// cancelled (default 10s).
	ShutdownGrace time.Duration
	// MaxDeleteRatio is the prune guard (0: reconciler default).
	MaxDeleteRatio float64
	// MaskSalt keys the hashes that stand in for env and secrets values in
	// plans, the status and alerts ("": reconciler.DefaultMaskSalt).
	MaskSalt string
	// MaxWritesPerRevision is the loop breaker: an app written this many
	// times in a row for the same definition in git, its diff never
	// shrinking, is not written again until its definition changes or the
	// diff shrinks, and is reported with ReasonNotConverging and a
	// LastError (SyncFailed).
	// 0 means DefaultMaxWritesPerRevision; it cannot be turned off.
	MaxWritesPerRevision int
	// WriterWindow is how long another writer, once seen, stays in
	// Status.ConcurrentWriter (default DefaultWriterWindow).
	WriterWindow time.Duration
	// Clock defaults to the real clock.
	Clock Clock
	// Jitter returns a number in [0, 1); default math/rand/v2.Float64.
	Jitter func() float64
	// Metrics, when set, receives the operator's metrics.
	Metrics *Metrics
	// OnPass, when set, is called with the status after every pass.
	OnPass func(Status)
}

// ErrInvalidOptions marks a configuration error.
var ErrInvalidOptions = errors.New("invalid operator options")

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Source == nil:
		return o, fmt.Errorf("%w: no spec source", ErrInvalidOptions)
	case o.Marathon == nil:
		return o, fmt.Errorf("%w: no Marathon client", ErrInvalidOptions)
	case o.Cluster == "":
		return o, fmt.Errorf("%w: no cluster", ErrInvalidOptions)
	case o.SyncInterval < 0:
		return o, fmt.Errorf("%w: sync interval %s", ErrInvalidOptions, o.SyncInterval)
	case o.MaxWritesPerRevision < 0:
		return o, fmt.Errorf("%w: max writes per revision %d (at least 1; 0 for the default %d)", ErrInvalidOptions, o.MaxWritesPerRevision, DefaultMaxWritesPerRevision)
	}
	if o.MaxWritesPerRevision == 0 {
		o.MaxWritesPerRevision = DefaultMaxWritesPerRevision
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.SyncInterval, time.Minute)
	def(&o.Debounce, 250*time.Millisecond)
	def(&o.DebounceMax, 2*time.Second)
	def(&o.BackoffBase, 2*time.Second)
	def(&o.BackoffMax, 5*time.Minute)
	def(&o.LockWait, 5*time.Second)
	def(&o.RequeueAfter, 5*time.Second)
	def(&o.ShutdownGrace, 10*time.Second)
	def(&o.WriterWindow, DefaultWriterWindow)
	if o.Debounce > o.DebounceMax {
		return o, fmt.Errorf("%w: debounce %s longer than its maximum %s", ErrInvalidOptions, o.Debounce, o.DebounceMax)
	}
	if o.Clock == nil {
		o.Clock = reconciler.SystemClock{}
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Leader == nil {
		o.Leader = AlwaysLeader()
	}
	return o, nil
}

var _ Marathon = (*marathon.Client)(nil)
