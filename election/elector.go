package election

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"
)

// Elector takes part in one election. Create it with New and call Run once.
type Elector struct {
	opts Options

	mu sync.Mutex
	// session is true while the ZooKeeper session is established.
	session bool
	// gen counts session transitions; a leadership decision is only valid
	// in the generation its children list was read in.
	gen uint64
	// endTerm cancels the running leader term; nil when not leading.
	endTerm context.CancelFunc
	// conn is Run's ZooKeeper connection (nil before and after Run), and
	// termNode the election znode of the running leader term ("" when not
	// leading): WriteFenced writes on conn while termNode exists.
	conn     *zk.Conn
	termNode string
	status   Status
	// wake is signalled (without blocking) on every session transition.
	wake chan struct{}
}

// New validates opts and returns an Elector.
func New(opts Options) (*Elector, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Elector{opts: o, wake: make(chan struct{}, 1)}
	e.status = Status{State: Disconnected, ID: o.ID, Since: o.Now()}
	return e, nil
}

// State is the current role; cheap, for a metrics gauge.
func (e *Elector) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status.State
}

// Status is a snapshot of the current role.
func (e *Elector) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

// Run takes part in the election until ctx is done, then leaves it (its znode
// goes with the closed session, so a follower takes over at once) and
// returns nil. It returns an error only for a configuration it cannot use.
//
// Each time this instance becomes leader, Run calls onElected with a context
// that is cancelled as soon as leadership may be lost: the session is
// disconnected (not only expired), the znode is gone, or ctx is done.
// onElected must do all its writes under that context and return promptly
// once it is cancelled; Run waits for it to return before it can lead again,
// so two terms of one instance never overlap. If onElected returns while
// still leader, the instance resigns: it deletes its znode and queues again.
//
// Without servers, onElected is called once with ctx and the instance stays
// leader until ctx is done.
func (e *Elector) Run(ctx context.Context, onElected func(leaderCtx context.Context)) error {
	log := logr.FromContextOrDiscard(ctx)
	if len(e.opts.Servers) == 0 {
		return e.runSingle(ctx, log, onElected)
	}
	conn, _, err := zk.Connect(e.opts.Servers, e.opts.SessionTimeout,
		zk.WithLogger(zkLogger{log}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(e.onEvent),
	)
	if err != nil {
		return fmt.Errorf("connect zookeeper %v: %w", e.opts.Servers, err)
	}
	e.mu.Lock()
	e.conn = conn
	e.mu.Unlock()
	defer e.close(conn)
	c := &campaign{e: e, conn: conn, log: log, onElected: onElected}
	for {
		if !e.waitSession(ctx) {
			return nil
		}
		err := c.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			switch {
			case errors.Is(err, errResigned):
				log.Info("Resigned leadership, queueing again", "path", e.opts.Path)
			case e.hasSession():
				log.Error(err, "Election round failed", "path", e.opts.Path)
			default:
				log.V(1).Info("Election round ended with the session", "path", e.opts.Path, "reason", err.Error())
			}
			if !e.pause(ctx) {
				return nil
			}
		}
	}
}

func (e *Elector) runSingle(ctx context.Context, log logr.Logger, onElected func(context.Context)) error {
	e.setState(Leader, e.opts.ID, "")
	log.Info("Leading without ZooKeeper (single instance)")
	onElected(ctx)
	<-ctx.Done()
	e.setState(Disconnected, "", "")
	return nil
}

// close ends the session; the server deletes the ephemeral znode at once.
func (e *Elector) close(conn *zk.Conn) {
	conn.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.conn = nil
	e.session = false
	e.gen++
	e.setStateLocked(Disconnected, "", "")
}

// onEvent runs on the ZooKeeper client's goroutine for every event; it must
// not block or call the connection.
func (e *Elector) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	has := ev.State == zk.StateHasSession
	e.mu.Lock()
	defer e.mu.Unlock()
	if has == e.session {
		return
	}
	e.session = has
	e.gen++
	if !has {
		// Stop writing now: the server may expire the session and elect
		// another instance before this one hears of it.
		if e.endTerm != nil {
			e.endTerm()
		}
		e.setStateLocked(Disconnected, e.status.Leader, e.status.Node)
	} else if e.status.State == Disconnected {
		e.setStateLocked(Follower, e.status.Leader, e.status.Node)
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Elector) hasSession() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.session
}

func (e *Elector) generation() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gen
}

// waitSession blocks until there is a session; false when ctx is done.
func (e *Elector) waitSession(ctx context.Context) bool {
	for !e.hasSession() {
		select {
		case <-ctx.Done():
			return false
		case <-e.wake:
		}
	}
	return ctx.Err() == nil
}

// pause waits RetryInterval; false when ctx is done first.
func (e *Elector) pause(ctx context.Context) bool {
	t := time.NewTimer(e.opts.RetryInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (e *Elector) setState(s State, leader, node string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setStateLocked(s, leader, node)
}

func (e *Elector) setStateLocked(s State, leader, node string) {
	if s != e.status.State {
		e.status.Since = e.opts.Now()
	}
	e.status.State, e.status.Leader, e.status.Node = s, leader, node
}
