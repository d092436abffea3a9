package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// DirSource is a spec tree in a local directory (--specs DIR). Its revision
// is a hash of the tree's file names and contents, so an edit is picked up
// by the next sync.
type DirSource struct {
	Dir string
}

// Sync hashes the tree and returns it as a revision.
func (d DirSource) Sync(ctx context.Context) (Revision, error) {
	fsys := os.DirFS(d.Dir)
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		f, err := fsys.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", path)
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return Revision{}, fmt.Errorf("read specs %s: %w", d.Dir, err)
	}
	return Revision{ID: "dir-" + hex.EncodeToString(h.Sum(nil))[:12], Subject: "local directory " + d.Dir, FS: fsys}, nil
}
