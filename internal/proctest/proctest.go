package proctest

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer that a running child (or a logger) writes while
// the test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StopTimeout is how long a stopped child has after SIGTERM before its
// process group gets SIGKILL.
const StopTimeout = 10 * time.Second

// Start runs bin in the foreground as a child of the test, in its own
// process group, and stops the whole group in t.Cleanup (SIGTERM, SIGKILL
// after StopTimeout), logging its output when the test failed. The test
// fails at once when the child cannot start or has already exited on
// return. It returns the pid and the child's output.
func Start(t testing.TB, bin string, args ...string) (int, *Buffer) {
	t.Helper()
	out := &Buffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(StopTimeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	select {
	case err := <-done:
		t.Fatalf("%s exited at once: %v\n%s", bin, err, out.String())
	default:
	}
	return cmd.Process.Pid, out
}
