package gitsource

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
)

const remoteName = "origin"

// cachePath is the bare clone's directory: one per repository URL, so one
// cache dir can serve several sources and a restart finds its clone again.
func cachePath(cacheDir, cleanURL string) string {
	sum := sha256.Sum256([]byte(cleanURL))
	return filepath.Join(cacheDir, "repo-"+hex.EncodeToString(sum[:8])+".git")
}

// openCache opens the bare clone at dir, or initialises an empty one, and
// points its origin remote at url. Nothing is fetched here.
func openCache(dir, url, display string) (*git.Repository, error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, fmt.Errorf("create git cache dir: %w", err)
		}
		repo, err = git.PlainInit(dir, true)
	}
	if err != nil {
		return nil, fmt.Errorf("open git cache %s: %w", dir, err)
	}
	rem, err := repo.Remote(remoteName)
	switch {
	case errors.Is(err, git.ErrRemoteNotFound):
	case err != nil:
		return nil, fmt.Errorf("read remote of git cache %s: %w", dir, err)
	case len(rem.Config().URLs) == 1 && rem.Config().URLs[0] == url:
		return repo, nil
	default:
		if err := repo.DeleteRemote(remoteName); err != nil {
			return nil, fmt.Errorf("reset remote of git cache %s: %w", dir, err)
		}
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("set remote %s in git cache %s: %w", display, dir, err)
	}
	return repo, nil
}
