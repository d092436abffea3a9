package reaper

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Command is exec.CommandContext for commands that may start children of
// their own (a reload script, a shell pipeline): the command runs in its own
// process group, and when ctx is done the whole group gets SIGTERM; if the
// command has not exited after grace, it gets SIGKILL (os/exec's WaitDelay).
// Its exit status is Wait's as usual.
func Command(ctx context.Context, grace time.Duration, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
	cmd.WaitDelay = grace
	return cmd
}
