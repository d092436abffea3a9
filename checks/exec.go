package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// Command runs argv as a Nagios plugin: no shell, stdin empty, stdout and
// stderr read together (as Nagios does), killed with its whole process group
// after timeout. An exec error (not found, not executable), a timeout, a
// signal or an exit code above 3 is UNKNOWN, with the reason as summary.
// now is the clock of Started and Duration.
func Command(ctx context.Context, argv []string, timeout time.Duration, now func() time.Time) Result {
	start := now()
	res := func(st State, summary string) Result {
		return Result{State: st, Summary: summary, Started: start, Duration: now().Sub(start)}
	}
	if len(argv) == 0 {
		return res(Unknown, "no command")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Own process group, killed whole on timeout: a plugin's children (sh -c
	// ..., a sleep) must not outlive it nor hold its output open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return res(Unknown, fmt.Sprintf("timed out after %s", timeout))
	}
	var exitErr *exec.ExitError
	code := 0
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return res(Unknown, fmt.Sprintf("killed by signal %s", ws.Signal()))
		}
		code = exitErr.ExitCode()
	default:
		return res(Unknown, fmt.Sprintf("run %s: %v", argv[0], err))
	}
	r := res(StateOfExit(code), "")
	r.Summary, r.Long, r.Perfdata = ParseOutput(out.String())
	if code > 3 {
		r.Summary = fmt.Sprintf("exit code %d (not a Nagios state): %s", code, r.Summary)
	}
	if r.Summary == "" {
		r.Summary = "(no output)"
	}
	return r
}

// limitedBuffer keeps the first maxOutput bytes written and drops the rest,
// so a chatty plugin cannot fill memory.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}
