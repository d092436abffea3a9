package lb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
)

// Sink puts a rendered config in place.
type Sink interface {
	Apply(ctx context.Context, cfg []byte) (changed bool, err error)
}

// ValidationError: the validator rejected the draft. The draft was never put
// in place and nothing was reloaded; the previous config still serves.
type ValidationError struct {
	*CommandError
	// Line is the first line of the draft the validator complained about
	// (0 when its output names none).
	Line int
	// AppID is the app that rendered Line ("" when unknown, or the line is
	// not an app's), filled in by the pipeline from the renderer's LineMap.
	AppID string
}

// Unwrap returns the command error.
func (e *ValidationError) Unwrap() error { return e.CommandError }

func (e *ValidationError) Error() string {
	if e.AppID != "" {
		return fmt.Sprintf("invalid config: app %s (line %d): %s", e.AppID, e.Line, e.CommandError.Error())
	}
	return "invalid config: " + e.CommandError.Error()
}

// ReloadError: the new config is in place but the reload command failed.
type ReloadError struct{ *CommandError }

// Unwrap returns the command error.
func (e *ReloadError) Unwrap() error { return e.CommandError }

func (e *ReloadError) Error() string { return "reload: " + e.CommandError.Error() }

// FileSink writes a config file safely: unchanged bytes are skipped; new
// bytes go to a draft in the same directory, are fsynced and validated by the
// real binary, and only then renamed over the file and reloaded.
type FileSink struct {
	// Path is the config file the load balancer reads.
	Path string
	// Validate is the validation command; FilePlaceholder is replaced by the
	// draft path, e.g. {"nginx", "-t", "-q", "-p", prefix, "-c", "{file}"} or
	// {"haproxy", "-c", "-f", "{file}"} (not -q: it hides the diagnostics too). Empty skips validation.
	Validate []string
	// Reload is run after the file changed, e.g. {"nginx", "-s", "reload"}.
	// Empty skips reloading.
	Reload []string
	// Reloader, when set, reloads instead of the Reload command and
	// returns once the reload took (HAProxyMaster): the load balancer
	// runs the file in place, and LastReloadDuration is how long that took.
	Reloader Reloader
	// Timeout bounds each command; zero means DefaultCommandTimeout.
	Timeout time.Duration

	// Clock times the reload command; nil means the wall clock.
	Clock Clock

	reloadTook time.Duration // how long the last reload command ran
}

var _ Sink = (*FileSink)(nil)

// Apply implements Sink. On any error before the rename (disk full,
// permission denied, *ValidationError) the old file is left untouched and
// changed is false. A *ReloadError comes with changed true.
func (s *FileSink) Apply(ctx context.Context, cfg []byte) (changed bool, err error) {
	return s.apply(ctx, cfg, true)
}

// ApplyUnvalidated is Apply without the validate command, for a config the
// caller has proven as valid as the one in place (the pipeline's
// server-only fast path). Everything else is as in Apply: equal bytes are
// skipped, the write is atomic and the reload runs.
func (s *FileSink) ApplyUnvalidated(ctx context.Context, cfg []byte) (changed bool, err error) {
	return s.apply(ctx, cfg, false)
}

// WriteOnly puts cfg in place (equal bytes skipped, atomic write) without
// validating it and without running the reload command: the caller already
// applied the change to the running load balancer (HAProxy's runtime API)
// and keeps the file in step for the next reload or restart.
func (s *FileSink) WriteOnly(ctx context.Context, cfg []byte) (changed bool, err error) {
	return s.write(ctx, cfg, false, false)
}

// LastReloadDuration is how long the latest reload command ran (pacer_lb_reload_duration_seconds).
func (s *FileSink) LastReloadDuration() time.Duration { return s.reloadTook }

// Reloads reports whether the sink runs a reload command after a change.
func (s *FileSink) Reloads() bool { return len(s.Reload) > 0 || s.Reloader != nil }

// ConfirmsReloads reports whether a reload returns only once it took
// (Reloader), so LastReloadDuration is the load balancer's own reload time.
func (s *FileSink) ConfirmsReloads() bool { return s.Reloader != nil }

// RetryReload runs the reload command alone, to retry a reload that failed
// (for example while the load balancer was not running yet).
func (s *FileSink) RetryReload(ctx context.Context) error {
	if !s.Reloads() {
		return nil
	}
	if err := s.reload(ctx); err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			return &ReloadError{ce}
		}
		return fmt.Errorf("reload: %w", err)
	}
	return nil
}

// reload runs the reload command and times it.
func (s *FileSink) reload(ctx context.Context) error {
	clock := s.Clock
	if clock == nil {
		clock = RealClock{}
	}
	start := clock.Now()
	var err error
	if s.Reloader != nil {
		err = s.Reloader.Reload(ctx)
	} else {
		err = runCommand(ctx, s.Timeout, s.Reload)
	}
	s.reloadTook = clock.Now().Sub(start)
	return err
}

func (s *FileSink) apply(ctx context.Context, cfg []byte, validate bool) (changed bool, err error) {
	return s.write(ctx, cfg, validate, true)
}

func (s *FileSink) write(ctx context.Context, cfg []byte, validate, reload bool) (changed bool, err error) {
	log := logr.FromContextOrDiscard(ctx).WithValues("path", s.Path)
	old, err := os.ReadFile(s.Path)
	switch {
	case err == nil && bytes.Equal(old, cfg):
		log.V(1).Info("Config unchanged")
		return false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("read %s: %w", s.Path, err)
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(s.Path); err == nil {
		mode = fi.Mode().Perm()
	}

	draft, err := s.writeDraft(cfg, mode)
	if err != nil {
		return false, err
	}
	defer func() {
		if draft != "" {
			_ = os.Remove(draft)
		}
	}()
	if validate && len(s.Validate) > 0 {
		if err := runCommand(ctx, s.Timeout, substitute(s.Validate, draft)); err != nil {
			var ce *CommandError
			if errors.As(err, &ce) {
				return false, &ValidationError{CommandError: ce, Line: offendingLine(ce.Output)}
			}
			return false, fmt.Errorf("validate %s: %w", draft, err)
		}
	}
	if err := os.Rename(draft, s.Path); err != nil {
		return false, fmt.Errorf("rename %s: %w", draft, err)
	}
	draft = ""
	syncDir(filepath.Dir(s.Path))
	log.Info("Wrote config", "bytes", len(cfg), "validated", validate && len(s.Validate) > 0)

	if reload && s.Reloads() {
		if err := s.reload(ctx); err != nil {
			var ce *CommandError
			if errors.As(err, &ce) {
				return true, &ReloadError{ce}
			}
			return true, fmt.Errorf("reload: %w", err)
		}
		log.Info("Reloaded load balancer", "confirmed", s.Reloader != nil, "reloadTook", s.reloadTook)
	}
	return true, nil
}

// writeDraft writes cfg to a new file beside Path and fsyncs it.
func (s *FileSink) writeDraft(cfg []byte, mode fs.FileMode) (string, error) {
	dir, base := filepath.Split(s.Path)
	f, err := os.CreateTemp(dir, "."+base+".draft-*")
	if err != nil {
		return "", fmt.Errorf("create draft for %s: %w", s.Path, err)
	}
	name := f.Name()
	fail := func(op string, err error) (string, error) {
		_ = f.Close()
		_ = os.Remove(name)
		return "", fmt.Errorf("%s draft %s: %w", op, name, err)
	}
	if _, err := f.Write(cfg); err != nil {
		return fail("write", err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail("chmod", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("close draft %s: %w", name, err)
	}
	return name, nil
}

// syncDir makes the rename durable. Best effort: some filesystems refuse
// fsync on directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
