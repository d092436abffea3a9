package specs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// maxFileSize bounds one spec file; a larger file is a mistake (a dump, a
// binary), not a service definition.
const maxFileSize = 4 << 20

// LoadDir loads the spec tree rooted at dir. Symlinks that leave dir are
// refused. See Load for what is read and what is returned.
func LoadDir(dir string) (*Set, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load specs: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("load specs: %s is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load specs: %w", err)
	}
	defer root.Close()
	set, err := Load(root.FS())
	if err != nil && !errors.Is(err, ErrInvalid) {
		return nil, fmt.Errorf("load specs %s: %w", dir, err)
	}
	return set, err
}

// Load reads every *.yaml and *.yml file under the root of fsys, recursively,
// skipping hidden files and directories and every other file (*.json
// included: specs are YAML only; Set.Skipped lists what was skipped), and
// decodes the Cluster and
// ServiceGroup documents in them strictly.
//
// An error that is not ErrInvalid means the tree itself could not be read,
// and the Set is nil. Otherwise the Set is never nil, even when decoding found
// problems (returned as Errors): Validate reports those together with the
// semantic ones, so a caller can print every problem at once.
func Load(fsys fs.FS) (*Set, error) {
	files, skipped, walkErrs, err := listFiles(fsys)
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	b.errs = append(b.errs, walkErrs...)
	results := parseFiles(fsys, files)
	for _, r := range results {
		b.add(r)
	}
	set := b.set(files)
	set.Skipped = skipped
	return set, set.loadErrs.asError()
}

// Reasons a file is not read, as Set.Skipped gives them; other files are
// skipped by their extension (".json", ".md") or as "no extension".
const (
	SkipHidden       = "hidden"            // a file or directory whose name starts with "."
	SkipDirSymlink   = "directory symlink" // symlinks are followed to files only
	SkipNoExtension  = "no extension"
	skipOtherSymlink = "symlink"
)

// Skipped is an entry of the tree that Load did not read, and why. A hidden
// directory counts once, its contents are not visited.
type Skipped struct {
	Path   string
	Reason string // SkipHidden, SkipDirSymlink, SkipNoExtension or the extension, e.g. ".json"
}

// listFiles walks fsys and returns the spec files in lexical order, the
// entries it skipped, and the problems of entries it could not use.
func listFiles(fsys fs.FS) ([]string, []Skipped, Errors, error) {
	var files []string
	var skipped []Skipped
	var errs Errors
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			errs = append(errs, &Error{File: p, Msg: "cannot read: " + cleanFSError(err)})
			return nil
		}
		hidden := p != "." && strings.HasPrefix(d.Name(), ".")
		if d.IsDir() {
			if hidden {
				skipped = append(skipped, Skipped{p, SkipHidden})
				return fs.SkipDir
			}
			return nil
		}
		if hidden {
			skipped = append(skipped, Skipped{p, SkipHidden})
			return nil
		}
		if !isSpecFile(p) {
			skipped = append(skipped, Skipped{p, skipReason(fsys, p, d)})
			return nil
		}
		if problem := checkEntry(fsys, p, d); problem != "" {
			errs = append(errs, &Error{File: p, Msg: problem})
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return files, skipped, errs, nil
}

// skipReason says why a file that is not *.yaml or *.yml is not read.
func skipReason(fsys fs.FS, p string, d fs.DirEntry) string {
	if d.Type()&fs.ModeSymlink != 0 {
		if info, err := fs.Stat(fsys, p); err == nil && info.IsDir() {
			return SkipDirSymlink
		}
	}
	if ext := strings.ToLower(path.Ext(p)); ext != "" {
		return ext
	}
	if d.Type()&fs.ModeSymlink != 0 {
		return skipOtherSymlink
	}
	return SkipNoExtension
}

// SkippedSummary counts the skipped entries by reason, e.g. "2 skipped: 1
// hidden, 1 .json", or returns "" when nothing was skipped. Hidden entries
// and directory symlinks come first, then extensions in order.
func (s *Set) SkippedSummary() string {
	if len(s.Skipped) == 0 {
		return ""
	}
	counts := map[string]int{}
	for _, sk := range s.Skipped {
		counts[sk.Reason]++
	}
	reasons := sortedKeys(counts)
	rank := func(r string) int {
		switch r {
		case SkipHidden:
			return 0
		case SkipDirSymlink:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(reasons, func(a, b string) int { return rank(a) - rank(b) })
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", counts[r], r)
	}
	return fmt.Sprintf("%d skipped: %s", len(s.Skipped), strings.Join(parts, ", "))
}

func isSpecFile(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

// checkEntry accepts regular files and symlinks to regular files inside the
// root; it refuses devices, pipes (reading one could hang) and symlinks that
// leave the root or point to directories.
func checkEntry(fsys fs.FS, p string, d fs.DirEntry) string {
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := fs.Stat(fsys, p)
		if err != nil {
			return "symlink refused: it leaves the specs root or is broken (" + cleanFSError(err) + ")"
		}
		if !info.Mode().IsRegular() {
			return "symlink refused: it does not point to a regular file"
		}
		return ""
	}
	if !d.Type().IsRegular() {
		return "not a regular file"
	}
	return ""
}

// cleanFSError drops the path an fs error repeats, since problems already
// carry the file.
func cleanFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readSpecFile reads one file, refusing files over maxFileSize before reading
// them whole.
func readSpecFile(fsys fs.FS, name string) ([]byte, *Error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read: " + cleanFSError(err)}
	}
	defer f.Close()
	size := int64(0)
	if info, err := f.Stat(); err == nil {
		if info.Size() > maxFileSize {
			return nil, &Error{File: name, Msg: tooLarge(info.Size())}
		}
		size = info.Size()
	}
	// Room for the whole file plus ReadFrom's minimum read, so the buffer
	// never grows.
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(f, maxFileSize+1))
	data := buf.Bytes()
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read: " + cleanFSError(err)}
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: name, Msg: tooLarge(int64(len(data)))}
	}
	return data, nil
}

func tooLarge(size int64) string {
	return fmt.Sprintf("file is too large (%d bytes, the limit is %d MiB); split it", size, maxFileSize>>20)
}
