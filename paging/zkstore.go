package paging

import (
	"context"
	"fmt"
	"sync"

	"pacer.dev/pacer/alerting"
)

// Session is the ZooKeeper session of the leader election the store reads
// and writes on (election.Elector implements it). Its versions are
// ZooKeeper's; -1 is a missing znode, and writing it creates the znode.
type Session interface {
	// Read returns the data and version of the znode at path.
	Read(ctx context.Context, path string) (data []byte, version int32, err error)
	// WriteFenced writes path only while this instance leads (checked by
	// ZooKeeper in the same transaction) and only at version; it returns
	// the new version.
	WriteFenced(ctx context.Context, path string, data []byte, version int32) (int32, error)
}

// noNode is Session's version of a missing znode.
const noNode int32 = -1

// ZKStore keeps the open incidents and pending change events in one znode,
// encoded as FileStore's file (alerting.MarshalState), on the election's
// own ZooKeeper session. Its writes are fenced: ZooKeeper applies one only
// while this instance's election znode exists and only over the version
// the store read or wrote last, so a deposed leader, however late its
// write arrives, never overwrites its successor's state. ZooKeeper's 1 MB
// node limit holds thousands of incidents, or about a thousand change
// events with their diffs.
type ZKStore struct {
	session Session
	path    string

	mu      sync.Mutex
	version int32 // last read or written; known false after a failed write
	known   bool
}

var _ alerting.Store = (*ZKStore)(nil)

// NewZKStore keeps the state in the znode at path on session.
func NewZKStore(session Session, path string) *ZKStore {
	return &ZKStore{session: session, path: path}
}

// Path is the znode.
func (s *ZKStore) Path() string { return s.path }

// Load reads the znode; a missing one is an empty state.
func (s *ZKStore) Load(ctx context.Context) (alerting.Persisted, error) {
	data, version, err := s.session.Read(ctx, s.path)
	if err != nil {
		return alerting.Persisted{}, fmt.Errorf("load incident state: %w", err)
	}
	s.mu.Lock()
	s.version, s.known = version, true
	s.mu.Unlock()
	if version == noNode {
		return alerting.Persisted{}, nil
	}
	st, err := alerting.UnmarshalState(data)
	if err != nil {
		return alerting.Persisted{}, fmt.Errorf("zookeeper %s: %w", s.path, err)
	}
	return st, nil
}

// Save writes the znode (creating it and its parents when missing), fenced
// by the election. After a failed write (timed out, refused) the version
// is read again before the next one.
func (s *ZKStore) Save(ctx context.Context, st alerting.Persisted) error {
	data, err := alerting.MarshalState(st)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known {
		_, v, err := s.session.Read(ctx, s.path)
		if err != nil {
			return fmt.Errorf("save incident state: %w", err)
		}
		s.version, s.known = v, true
	}
	v, err := s.session.WriteFenced(ctx, s.path, data, s.version)
	if err != nil {
		s.known = false
		return fmt.Errorf("save incident state: %w", err)
	}
	s.version = v
	return nil
}
