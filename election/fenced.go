package election

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Errors of Read and WriteFenced.
var (
	// ErrNotLeader: a fenced write was refused because this instance does
	// not lead, or its election znode is gone (it was deposed: its session
	// expired or it resigned), however late the write reached the server.
	ErrNotLeader = errors.New("not the leader")
	// ErrVersion: the znode changed since it was read (someone else wrote).
	ErrVersion = errors.New("znode changed since it was read")
	// ErrNoSession: the elector has no ZooKeeper connection (Run has not
	// connected yet, has returned, or runs without servers).
	ErrNoSession = errors.New("no ZooKeeper session")
)

// NoNode is the version Read returns for a missing znode; WriteFenced
// creates the znode when given it.
const NoNode int32 = -1

// opTimeout bounds one ZooKeeper call of Read and WriteFenced; the client
// itself waits until the session ends.
const opTimeout = 10 * time.Second

// Read returns the data and version of the znode at p, read on the
// elector's own ZooKeeper session; NoNode and no data when it is missing.
func (e *Elector) Read(ctx context.Context, p string) ([]byte, int32, error) {
	conn, _ := e.sessionConn()
	if conn == nil {
		return nil, NoNode, fmt.Errorf("read %s: %w", p, ErrNoSession)
	}
	var data []byte
	var stat *zk.Stat
	err := Within(ctx, func() error {
		var err error
		data, stat, err = conn.Get(p)
		return err
	})
	switch {
	case errors.Is(err, zk.ErrNoNode):
		return nil, NoNode, nil
	case err != nil:
		return nil, NoNode, fmt.Errorf("read %s: %w", p, err)
	}
	return data, stat.Version, nil
}

// WriteFenced sets the znode at p to data only while this instance leads,
// and only if p still has version (the one Read returned; NoNode creates
// p). One ZooKeeper multi checks that the election znode of the current
// term exists and writes p, so a deposed leader (its znode went with its
// session or its resignation, and a successor may be writing) can never
// overwrite its successor's data, whenever its write reaches the server.
// p's missing parents are created first, empty and unfenced. It returns
// p's new version.
func (e *Elector) WriteFenced(ctx context.Context, p string, data []byte, version int32) (int32, error) {
	conn, node := e.sessionConn()
	if conn == nil {
		return NoNode, fmt.Errorf("write %s: %w", p, ErrNoSession)
	}
	if node == "" {
		return NoNode, fmt.Errorf("write %s: %w", p, ErrNotLeader)
	}
	var res []zk.MultiResponse
	err := Within(ctx, func() error {
		if version == NoNode {
			if err := createParents(conn, p); err != nil {
				return err
			}
		}
		var write any = &zk.SetDataRequest{Path: p, Data: data, Version: version}
		if version == NoNode {
			write = &zk.CreateRequest{Path: p, Data: data, Acl: zk.WorldACL(zk.PermAll)}
		}
		var err error
		res, err = conn.Multi(&zk.CheckVersionRequest{Path: node, Version: -1}, write)
		return err
	})
	if len(res) == 2 {
		switch {
		case errors.Is(res[0].Error, zk.ErrNoNode):
			return NoNode, fmt.Errorf("write %s: election znode %s is gone: %w", p, node, ErrNotLeader)
		case errors.Is(res[1].Error, zk.ErrBadVersion), errors.Is(res[1].Error, zk.ErrNodeExists), errors.Is(res[1].Error, zk.ErrNoNode):
			return NoNode, fmt.Errorf("write %s (version %d): %w", p, version, ErrVersion)
		}
	}
	if err != nil {
		return NoNode, fmt.Errorf("write %s: %w", p, err)
	}
	if version == NoNode {
		return 0, nil
	}
	return res[1].Stat.Version, nil
}

// sessionConn returns the ZooKeeper connection and the current term's
// election znode ("" when not leading).
func (e *Elector) sessionConn() (*zk.Conn, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conn, e.termNode
}

func createParents(conn *zk.Conn, p string) error {
	cur := ""
	for _, part := range strings.Split(strings.Trim(path.Dir(p), "/"), "/") {
		if part == "" {
			continue
		}
		cur += "/" + part
		if _, err := conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", cur, err)
		}
	}
	return nil
}

// Within runs a ZooKeeper call, giving up after 10 s (opTimeout) or when
// ctx ends (the call itself ends with the session). Callers holding
// their own ZooKeeper connection use it too.
func Within(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	t := time.NewTimer(opTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("zookeeper: no answer within %s", opTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
