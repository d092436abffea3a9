package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Store keeps what a leader owes PagerDuty across restarts and leader
// changes: the open incidents (cmd saves Tracker.OpenIncidents after each
// pass and Restores them when it starts paging) and the change events
// waiting for their deployment to finish. FileStore is the local one; cmd
// has one on ZooKeeper for when leader election is on. Both use
// MarshalState.
type Store interface {
	// Load returns what was saved last; the zero Persisted (and no error)
	// when nothing was ever saved.
	Load(ctx context.Context) (Persisted, error)
	Save(ctx context.Context, st Persisted) error
}

// Persisted is what a Store keeps.
type Persisted struct {
	// Open are the incidents a resolve is owed for.
	Open []Open
	// Changes are change events of writes Marathon accepted whose
	// deployment had not finished yet, oldest first.
	Changes []Change
}

// storedState is the persisted form. Changes came later without a version
// bump: it is optional, so state written before it loads (no pending
// changes), and an older pacer reading newer state ignores the field
// (losing only the pending changes) instead of refusing the whole state
// and not paging at all.
type storedState struct {
	Version int            `json:"version"`
	Open    []Open         `json:"open"`
	Changes []storedChange `json:"changes,omitempty"`
}

const stateVersion = 1

// storedChange is Change with stable JSON names. The conversions between
// the two do not compile when Change gains a field, so the stored form
// cannot silently leave one out.
type storedChange struct {
	Route            KeyRef    `json:"route"`
	Cluster          string    `json:"cluster"`
	App              string    `json:"app"`
	Group            string    `json:"group,omitempty"`
	Environment      string    `json:"environment,omitempty"`
	Action           string    `json:"action,omitempty"`
	DeploymentID     string    `json:"deploymentId,omitempty"`
	Revision         string    `json:"revision,omitempty"`
	PreviousRevision string    `json:"previousRevision,omitempty"`
	What             []string  `json:"what,omitempty"`
	Diff             string    `json:"diff,omitempty"`
	At               time.Time `json:"at"`
	Links            []Link    `json:"links,omitempty"`
}

// MarshalState encodes st for a Store. Equal values give equal
// bytes, so a caller can compare them to save only what changed.
func MarshalState(st Persisted) ([]byte, error) {
	out := storedState{Version: stateVersion, Open: st.Open}
	if out.Open == nil {
		out.Open = []Open{}
	}
	for _, c := range st.Changes {
		out.Changes = append(out.Changes, storedChange(c))
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode incident state: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalState decodes what MarshalState wrote, and state written before
// pending changes were kept.
func UnmarshalState(b []byte) (Persisted, error) {
	var in storedState
	if err := json.Unmarshal(b, &in); err != nil {
		return Persisted{}, fmt.Errorf("decode incident state: %w", err)
	}
	if in.Version != stateVersion {
		return Persisted{}, fmt.Errorf("decode incident state: version %d, want %d", in.Version, stateVersion)
	}
	st := Persisted{Open: in.Open}
	for _, c := range in.Changes {
		st.Changes = append(st.Changes, Change(c))
	}
	return st, nil
}

// FileStore keeps the state in a JSON file (--state-dir), written
// atomically: a temporary file in the same directory, synced, renamed.
type FileStore struct {
	Path string
}

var _ Store = FileStore{}

// Load reads the file; a missing file is an empty state.
func (s FileStore) Load(context.Context) (Persisted, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Persisted{}, nil
	}
	if err != nil {
		return Persisted{}, fmt.Errorf("load incident state: %w", err)
	}
	st, err := UnmarshalState(b)
	if err != nil {
		return Persisted{}, fmt.Errorf("%s: %w", s.Path, err)
	}
	return st, nil
}

// Save replaces the file.
func (s FileStore) Save(_ context.Context, st Persisted) error {
	b, err := MarshalState(st)
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save incident state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.Path)+".*")
	if err != nil {
		return fmt.Errorf("save incident state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: a no-op
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save incident state %s: %w", s.Path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save incident state %s: %w", s.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save incident state %s: %w", s.Path, err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("save incident state: %w", err)
	}
	return nil
}
