package gitsource

import "errors"

// Sentinel errors returned (wrapped) by Source.Sync. Callers use errors.Is.
var (
	// ErrFetch means the remote could not be fetched (unreachable, refused,
	// authentication failed). The last good revision stays in force.
	ErrFetch = errors.New("git fetch failed")
	// ErrEmptyRepository means the remote has no commits at all.
	ErrEmptyRepository = errors.New("remote repository is empty")
	// ErrBranchNotFound means the remote has no such branch.
	ErrBranchNotFound = errors.New("branch not found on remote")
	// ErrPathNotFound means the commit has no directory at the configured path.
	ErrPathNotFound = errors.New("path not found in commit")
)
