package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/election"
)

// stateFile is the incident state's file name in --state-dir.
const stateFile = "alerting-incidents.json"

// zkOpTimeout bounds one ZooKeeper read or write of the incident state.
const zkOpTimeout = 10 * time.Second

// incidentStore picks where open incidents and pending change events
// survive a restart: ZooKeeper next to the election when --zk is set (a
// new leader finds them), else a file in --state-dir, else nowhere (warned
// at start). close releases it.
func incidentStore(o *runOptions, cluster string, log logr.Logger) (store alerting.Store, where string, closeFn func(), err error) {
	if servers := election.ParseServers(o.zk); len(servers) > 0 {
		base := o.zkPath
		if base == "" {
			base = "/pacer/" + cluster
		}
		s, err := newZKStore(servers, path.Join(base, "alerting"), o.zkSessionTimeout, log)
		if err != nil {
			return nil, "", nil, err
		}
		return s, "zookeeper " + s.path, s.close, nil
	}
	if o.alerting.stateDir != "" {
		p := filepath.Join(o.alerting.stateDir, stateFile)
		return alerting.FileStore{Path: p}, p, func() {}, nil
	}
	return nil, "", func() {}, nil
}

// zkStore keeps the open incidents and pending change events in one znode,
// encoded as FileStore's file (alerting.MarshalState). ZooKeeper's 1 MB
// node limit holds thousands of incidents, or about a thousand change
// events with their diffs.
type zkStore struct {
	conn *zk.Conn
	path string
}

var _ alerting.Store = (*zkStore)(nil)

func newZKStore(servers []string, p string, sessionTimeout time.Duration, log logr.Logger) (*zkStore, error) {
	conn, _, err := zk.Connect(servers, sessionTimeout, zk.WithLogger(zkLog{log.WithName("zk")}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("run: incident state: connect zookeeper %v: %w", servers, err)
	}
	return &zkStore{conn: conn, path: p}, nil
}

func (s *zkStore) close() { s.conn.Close() }

// Load reads the znode; a missing one is an empty state.
func (s *zkStore) Load(ctx context.Context) (alerting.Persisted, error) {
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
func (s *zkStore) Save(ctx context.Context, st alerting.Persisted) error {
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

func (s *zkStore) ensureParents() error {
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
func (s *zkStore) within(ctx context.Context, fn func() error) error {
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
