package gitsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"testing/fstest"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-logr/logr"
)

// snapshot reads the dir subtree of commit into memory.
//
// Reading the commit's tree objects, instead of checking out a working tree,
// is what makes a revision atomic: objects are immutable and addressed by
// hash, so the returned fs.FS is exactly the tree of that commit, whatever a
// later fetch does to the clone, and there is no checkout to be seen half
// written or to clean up. Spec trees are small (YAML), so memory is cheap.
// fstest.MapFS is the standard library's in-memory fs.FS (it does not import
// package testing); it is returned as fs.FS, read-only by contract.
func snapshot(ctx context.Context, commit *object.Commit, dir string) (fs.FS, error) {
	root, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of commit %s: %w", commit.Hash, err)
	}
	tree := root
	if dir != "." {
		entry, err := root.FindEntry(dir)
		if err != nil {
			return nil, fmt.Errorf("path %q in commit %s: %w", dir, commit.Hash, ErrPathNotFound)
		}
		if entry.Mode != filemode.Dir {
			return nil, fmt.Errorf("path %q in commit %s is not a directory: %w", dir, commit.Hash, ErrPathNotFound)
		}
		if tree, err = root.Tree(dir); err != nil {
			return nil, fmt.Errorf("read path %q in commit %s: %w", dir, commit.Hash, err)
		}
	}
	return treeFS(ctx, tree)
}

func treeFS(ctx context.Context, tree *object.Tree) (fs.FS, error) {
	log := logr.FromContextOrDiscard(ctx)
	m := fstest.MapFS{}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("walk tree %s: %w", tree.Hash, err)
		}
		switch entry.Mode {
		case filemode.Dir:
			m[name] = &fstest.MapFile{Mode: fs.ModeDir | 0o555}
		case filemode.Regular, filemode.Deprecated, filemode.Executable:
			data, err := readBlob(tree, entry)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			m[name] = &fstest.MapFile{Data: data, Mode: 0o444}
		default: // symlinks and submodules do not belong in a spec tree
			log.V(1).Info("Skipped git tree entry", "path", name, "mode", entry.Mode.String())
		}
	}
}

func readBlob(tree *object.Tree, entry object.TreeEntry) ([]byte, error) {
	f, err := tree.TreeEntryFile(&entry)
	if err != nil {
		return nil, err
	}
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
