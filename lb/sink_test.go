package lb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFileSink(t *testing.T) {
	const old = "old ok\n"
	// validate passes when the draft contains "ok"; its output names the file.
	validate := []string{"sh", "-c", `echo "checking $0"; grep -q ok "$0"`, FilePlaceholder}
	tests := []struct {
		name        string
		cfg         string
		validate    []string
		reloadFails bool
		timeout     time.Duration
		wantChanged bool
		wantFile    string
		wantReload  bool
		wantErr     func(error) bool
	}{
		{name: "unchanged bytes: nothing runs", cfg: old, validate: []string{"false"}, wantFile: old},
		{name: "valid: renamed and reloaded", cfg: "new ok\n", validate: validate, wantChanged: true, wantFile: "new ok\n", wantReload: true},
		{
			name: "invalid: old file stays, no reload", cfg: "garbage\n", validate: validate, wantFile: old,
			wantErr: func(err error) bool {
				var ve *ValidationError
				return errors.As(err, &ve) && strings.Contains(ve.Output, "checking ") && strings.Contains(ve.Output, ".draft-")
			},
		},
		{
			name: "validator timeout: old file stays", cfg: "new ok\n", validate: []string{"sleep", "10"}, timeout: 200 * time.Millisecond, wantFile: old,
			wantErr: func(err error) bool { var ve *ValidationError; return errors.As(err, &ve) },
		},
		{
			name: "reload failure reported, new file in place", cfg: "new ok\n", validate: validate, reloadFails: true,
			wantChanged: true, wantFile: "new ok\n", wantReload: true,
			wantErr: func(err error) bool {
				var re *ReloadError
				return errors.As(err, &re) && strings.Contains(re.Output, "reload broke")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "lb.conf")
			marker := filepath.Join(dir, "reloaded")
			writeFile(t, path, []byte(old))
			reload := []string{"sh", "-c", "touch " + marker}
			if tc.reloadFails {
				reload = []string{"sh", "-c", "touch " + marker + "; echo reload broke; exit 1"}
			}
			sink := &FileSink{Path: path, Validate: tc.validate, Reload: reload, Timeout: tc.timeout}

			changed, err := sink.Apply(t.Context(), []byte(tc.cfg))
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !tc.wantErr(err) {
				t.Fatalf("Apply error = %v", err)
			}
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
			got, _ := os.ReadFile(path)
			if diff := cmp.Diff(tc.wantFile, string(got)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(marker); (err == nil) != tc.wantReload {
				t.Errorf("reloaded = %v, want %v", err == nil, tc.wantReload)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".draft-") {
					t.Errorf("draft %s left behind", e.Name())
				}
			}
		})
	}
}

func TestFileSinkNewFileAndMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.conf")
	changed, err := (&FileSink{Path: path}).Apply(t.Context(), []byte("x\n"))
	if err != nil || !changed {
		t.Fatalf("Apply = %v, %v; want true, nil", changed, err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := (&FileSink{Path: path}).Apply(t.Context(), []byte("y\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want the previous file's 0640", fi.Mode().Perm())
	}
}

func TestFileSinkWriteError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "lb.conf")
	changed, err := (&FileSink{Path: path, Reload: []string{"false"}}).Apply(t.Context(), []byte("x\n"))
	if err == nil || changed {
		t.Fatalf("Apply = %v, %v; want false and an error", changed, err)
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		t.Errorf("a write error is not a validation error: %v", err)
	}
}
