package gitsource

import (
	"fmt"
	"io/fs"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
)

// Revision is one commit of the followed branch and its spec subtree.
type Revision struct {
	// Commit is the full commit hash; "" when no revision was ever read.
	Commit string
	// Subject is the first line of the commit message.
	Subject string
	// Committed is the commit's committer time (from git, not a clock).
	Committed time.Time
	// FS is the --git-path subtree at Commit, in memory and immutable.
	FS fs.FS
	// Changed is true when Commit differs from the revision the previous
	// successful Sync returned (always true for the first one).
	Changed bool
	// ForcePushed is true when the branch moved to a commit that does not
	// descend from Previous: history was rewritten and pacer followed it.
	ForcePushed bool
	// Previous is the commit the branch was at before, when known.
	Previous string
}

// Short is the abbreviated commit hash, for logs and status.
func (r Revision) Short() string {
	if len(r.Commit) > 12 {
		return r.Commit[:12]
	}
	return r.Commit
}

// Source follows one branch of one repository. Its methods are safe for
// concurrent use; Syncs are serialised.
type Source struct {
	opts   Options
	remote remote
	scrub  scrubber
	dir    string

	mu   sync.Mutex
	repo *git.Repository
	last Revision // last good revision, zero until the first successful Sync
}

// New checks opts, loads credentials (key files) and opens or initialises
// the clone in opts.CacheDir. It does not touch the network.
func New(opts Options) (*Source, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	rem, err := newRemote(opts.URL, opts.Auth)
	if err != nil {
		return nil, err
	}
	s := &Source{
		opts:   opts,
		remote: rem,
		scrub:  newScrubber(rem.secrets...),
		dir:    cachePath(opts.CacheDir, rem.url),
	}
	if s.repo, err = openCache(s.dir, rem.url, rem.display); err != nil {
		return nil, s.scrub.err(err)
	}
	return s, nil
}

// String describes the source without credentials.
func (s *Source) String() string {
	return fmt.Sprintf("%s branch %s path %s", s.remote.display, s.opts.Branch, s.opts.Path)
}

// Last returns the last good revision (zero before the first good Sync).
func (s *Source) Last() Revision {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev := s.last
	rev.Changed, rev.ForcePushed = false, false
	return rev
}
