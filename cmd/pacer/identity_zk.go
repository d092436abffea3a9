package main

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"
)

// zkStore is one znode on its own ZooKeeper session (the Marathon identity
// record, read and written before the election starts).
type zkStore struct {
	conn *zk.Conn
	path string
}

func newZKStore(servers []string, p string, sessionTimeout time.Duration, log logr.Logger) (*zkStore, error) {
	conn, _, err := zk.Connect(servers, sessionTimeout, zk.WithLogger(zkLog{log.WithName("zk")}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("run: connect zookeeper %v: %w", servers, err)
	}
	return &zkStore{conn: conn, path: p}, nil
}

func (s *zkStore) close() { s.conn.Close() }

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

// zkLog sends the ZooKeeper client's log lines to logr at V(1).
type zkLog struct{ log logr.Logger }

func (l zkLog) Printf(format string, args ...any) {
	l.log.V(1).Info("ZooKeeper client", "message", fmt.Sprintf(format, args...))
}
