package gitsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-logr/logr"
)

// Sync fetches the branch and returns the revision it points at, with the
// spec subtree of exactly that commit. The caller drives timing (interval,
// webhook Trigger) and decides what to do with an unchanged revision. Give
// ctx a deadline: the transports have no timeout of their own. file:// and
// local-path remotes run the git binary (git-upload-pack).
//
// On error Sync returns the last good revision and an error. The last good
// revision is the one Sync returned before or, first after a restart, the
// one left in the cache dir (then with Changed set); it is zero when there is
// none. The error says which revision stays in force and wraps ErrFetch,
// ErrEmptyRepository, ErrBranchNotFound or ErrPathNotFound. A branch
// that was force-pushed to unrelated history is followed and reported with
// Revision.ForcePushed. Errors and logs never contain credentials.
func (s *Source) Sync(ctx context.Context) (Revision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := logr.FromContextOrDiscard(ctx).WithValues("url", s.remote.display, "branch", s.opts.Branch)

	before, _ := s.trackedHead()
	if err := s.fetch(ctx); err != nil {
		return s.keepLast(ctx, err)
	}
	head, err := s.trackedHead()
	if err != nil {
		return s.keepLast(ctx, fmt.Errorf("resolve fetched branch %s: %w", s.opts.Branch, err))
	}
	if s.last.Commit == head.String() {
		rev := s.last
		rev.Changed, rev.ForcePushed = false, false
		return rev, nil
	}
	rev, err := s.read(ctx, head)
	if err != nil {
		return s.keepLast(ctx, err)
	}
	base := plumbing.NewHash(s.last.Commit)
	if s.last.Commit == "" {
		base = before
	}
	if !base.IsZero() && base != head {
		rev.Previous = base.String()
		rev.ForcePushed = !s.descends(base, head)
	}
	if rev.ForcePushed {
		log.Info("Branch was force-pushed, following the remote", "previous", rev.Previous, "revision", rev.Commit)
	}
	log.Info("Read new revision", "revision", rev.Commit, "path", s.opts.Path)
	s.last = rev
	return rev, nil
}

// fetch updates refs/remotes/origin/<branch>, forced so that a rewritten
// branch is followed.
func (s *Source) fetch(ctx context.Context) error {
	branch := s.opts.Branch
	spec := config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/%s/%s", branch, remoteName, branch))
	err := s.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{spec},
		Auth:       s.remote.auth,
		Tags:       git.NoTags,
		Force:      true,
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("fetch %s: %w", s.remote.display, ErrEmptyRepository)
	case errors.Is(err, git.NoMatchingRefSpecError{}):
		return fmt.Errorf("fetch %s: branch %s: %w", s.remote.display, branch, ErrBranchNotFound)
	case ctx.Err() != nil:
		return fmt.Errorf("fetch %s: %w", s.remote.display, ctx.Err())
	default:
		return fmt.Errorf("fetch %s: %w: %w", s.remote.display, ErrFetch, s.scrub.err(err))
	}
}

// trackedHead is the commit the local tracking ref points at.
func (s *Source) trackedHead() (plumbing.Hash, error) {
	ref, err := s.repo.Reference(plumbing.NewRemoteReferenceName(remoteName, s.opts.Branch), true)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// read builds the revision for commit head.
func (s *Source) read(ctx context.Context, head plumbing.Hash) (Revision, error) {
	commit, err := s.repo.CommitObject(head)
	if err != nil {
		return Revision{}, fmt.Errorf("read commit %s: %w", head, err)
	}
	fsys, err := snapshot(ctx, commit, s.opts.Path)
	if err != nil {
		return Revision{}, err
	}
	subject, _, _ := strings.Cut(strings.TrimSpace(commit.Message), "\n")
	return Revision{
		Commit:    head.String(),
		Subject:   subject,
		Committed: commit.Committer.When,
		FS:        fsys,
		Changed:   true,
	}, nil
}

// descends reports whether head has base in its history. A base that is
// no longer in the clone is treated as not an ancestor.
func (s *Source) descends(base, head plumbing.Hash) bool {
	b, err := s.repo.CommitObject(base)
	if err != nil {
		return false
	}
	h, err := s.repo.CommitObject(head)
	if err != nil {
		return false
	}
	ok, err := b.IsAncestor(h)
	return err == nil && ok
}

// keepLast returns the last good revision with err, saying so. Right after
// a restart that is the revision left in the cache by the previous process,
// so an unreachable remote at start-up still yields the specs last fetched.
func (s *Source) keepLast(ctx context.Context, err error) (Revision, error) {
	if s.last.Commit == "" {
		if head, herr := s.trackedHead(); herr == nil {
			if rev, rerr := s.read(ctx, head); rerr == nil {
				logr.FromContextOrDiscard(ctx).Info("Using cached revision", "url", s.remote.display, "branch", s.opts.Branch, "revision", rev.Commit)
				s.last = rev
				return rev, fmt.Errorf("sync git source (using cached revision %s): %w", rev.Short(), s.scrub.err(err))
			}
		}
		return Revision{}, fmt.Errorf("sync git source (no good revision yet): %w", s.scrub.err(err))
	}
	rev := s.last
	rev.Changed, rev.ForcePushed = false, false
	return rev, fmt.Errorf("sync git source (keeping last good revision %s): %w", rev.Short(), s.scrub.err(err))
}
