package lb

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// FilePlaceholder in a validate command is replaced by the draft's path.
const FilePlaceholder = "{file}"

// DefaultCommandTimeout bounds validate and reload commands when
// FileSink.Timeout is zero.
const DefaultCommandTimeout = 30 * time.Second

// CommandError is a validate or reload command that failed: it exited
// non-zero, timed out or could not start. Output is its combined stdout and
// stderr (the validator's diagnostics).
type CommandError struct {
	Args   []string
	Output string
	Err    error
}

func (e *CommandError) Error() string {
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return fmt.Sprintf("%s: %v", strings.Join(e.Args, " "), e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", strings.Join(e.Args, " "), e.Err, out)
}

func (e *CommandError) Unwrap() error { return e.Err }

// runCommand runs args as a child process with a timeout and returns its
// combined output.
func runCommand(ctx context.Context, timeout time.Duration, args []string) error {
	if len(args) == 0 {
		return errors.New("empty command")
	}
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	// A command that leaves a daemon holding our pipes must not hang us.
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return &CommandError{Args: args, Output: string(out), Err: err}
	}
	return nil
}

func substitute(args []string, file string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, FilePlaceholder, file)
	}
	return out
}
