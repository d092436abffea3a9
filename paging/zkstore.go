package paging

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"

	"pacer.dev/pacer/alerting"
)

// zkOpTimeout bounds one ZooKeeper read or write of the incident state.
const zkOpTimeout = 10 * time.Second

// ZKStore keeps the open incidents and pending change events in one znode,
// encoded as FileStore's file (alerting.MarshalState). ZooKeeper's 1 MB
// node limit holds thousands of incidents, or about a thousand change
// events with their diffs.
type ZKStore struct {
	conn *zk.Conn
	path string
}

var _ alerting.Store = (*ZKStore)(nil)

// NewZKStore connects to ZooKeeper and keeps the state in znode p.
func NewZKStore(servers []string, p string, sessionTimeout time.Duration, log logr.Logger) (*ZKStore, error) {
	conn, _, err := zk.Connect(servers, sessionTimeout, zk.WithLogger(zkLog{log.WithName("zk")}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("connect zookeeper %v: %w", servers, err)
	}
	return &ZKStore{conn: conn, path: p}, nil
}

// Close ends the session.
func (s *ZKStore) Close() { s.conn.Close() }

// Path is the znode.
func (s *ZKStore) Path() string { return s.path }

// Load reads the znode; a missing one is an empty state.
func (s *ZKStore) Load(ctx context.Context) (alerting.Persisted, error) {
	var data []byte
	err := s.within(ctx, func() error {
		var err error
		data, _, err = s.conn.Get(s.path)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return alerting.Persisted{}, nil
	}
	if err != nil {
		return alerting.Persisted{}, fmt.Errorf("load incident state %s: %w", s.path, err)
	}
	st, err := alerting.UnmarshalState(data)
	if err != nil {
		return alerting.Persisted{}, fmt.Errorf("zookeeper %s: %w", s.path, err)
	}
	return st, nil
}

// Save writes the znode, creating it and its parents when missing.
func (s *ZKStore) Save(ctx context.Context, st alerting.Persisted) error {
	data, err := alerting.MarshalState(st)
	if err != nil {
		return err
	}
	err = s.within(ctx, func() error {
		_, err := s.conn.Set(s.path, data, -1)
		if !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		if err := s.ensureParents(); err != nil {
			return err
		}
		_, err = s.conn.Create(s.path, data, 0, zk.WorldACL(zk.PermAll))
		return err
	})
	if err != nil {
		return fmt.Errorf("save incident state %s: %w", s.path, err)
	}
	return nil
}

func (s *ZKStore) ensureParents() error {
	parts := strings.Split(strings.Trim(path.Dir(s.path), "/"), "/")
	cur := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		cur += "/" + p
		if _, err := s.conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// within runs a ZooKeeper call, giving up after zkOpTimeout or when ctx
// ends (the call itself ends with the session).
func (s *ZKStore) within(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	t := time.NewTimer(zkOpTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("zookeeper: no answer within %s", zkOpTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// zkLog sends the ZooKeeper client's log lines to logr at V(1).
type zkLog struct{ log logr.Logger }

func (l zkLog) Printf(format string, args ...any) {
	l.log.V(1).Info("ZooKeeper client", "message", fmt.Sprintf(format, args...))
}
