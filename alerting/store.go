package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps the open incidents across restarts and leader changes: cmd
// saves Tracker.OpenIncidents after each pass and Restores what it loads
// when it starts paging. FileStore is the local one; cmd has one on
// ZooKeeper for when leader election is on.
type Store interface {
	// Load returns what was saved last; nothing (and no error) when
	// nothing was ever saved.
	Load(ctx context.Context) ([]Open, error)
	Save(ctx context.Context, open []Open) error
}

// storedState is the persisted form, versioned so it can evolve.
type storedState struct {
	Version int    `json:"version"`
	Open    []Open `json:"open"`
}

const stateVersion = 1

// MarshalState encodes open incidents for a Store.
func MarshalState(open []Open) ([]byte, error) {
	if open == nil {
		open = []Open{}
	}
	b, err := json.MarshalIndent(storedState{Version: stateVersion, Open: open}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode incident state: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalState decodes what MarshalState wrote.
func UnmarshalState(b []byte) ([]Open, error) {
	var st storedState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decode incident state: %w", err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("decode incident state: version %d, want %d", st.Version, stateVersion)
	}
	return st.Open, nil
}

// FileStore keeps the open incidents in a JSON file (--state-dir), written
// atomically: a temporary file in the same directory, synced, renamed.
type FileStore struct {
	Path string
}

var _ Store = FileStore{}

// Load reads the file; a missing file is an empty state.
func (s FileStore) Load(context.Context) ([]Open, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load incident state: %w", err)
	}
	open, err := UnmarshalState(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	return open, nil
}

// Save replaces the file.
func (s FileStore) Save(_ context.Context, open []Open) error {
	b, err := MarshalState(open)
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
