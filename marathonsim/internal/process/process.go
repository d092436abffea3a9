package process

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"time"
)

// outputDrain bounds how long Done waits, after the group is gone, for the
// output pipes of a descendant that left the process group.
const outputDrain = 2 * time.Second

// Spec describes the command to run.
type Spec struct {
	// Cmd is run by `/bin/sh -c`.
	Cmd string
	// Env is the whole environment of the process, plus the host's PATH
	// unless Env sets PATH itself.
	Env map[string]string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Stdout and Stderr receive the output; nil discards it.
	Stdout, Stderr io.Writer
}

// Process is a started command. Its methods are safe for concurrent use.
type Process struct {
	pid    int
	exited chan struct{} // closed when Wait has returned for the shell
	done   chan struct{}
	err    error // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start runs spec.Cmd in a new process group.
func Start(spec Spec) (*Process, error) {
	if spec.Cmd == "" {
		return nil, errors.New("start process: empty command")
	}
	enableSubreaper()

	cmd := exec.Command("/bin/sh", "-c", spec.Cmd)
	cmd.Env = environ(spec.Env)
	cmd.Dir = spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Our own pipes for non-file writers, so that Wait returns when the
	// shell exits rather than when the last descendant closes its output.
	var outputs sync.WaitGroup
	var readers, writers []*os.File
	for _, o := range []struct {
		dst  io.Writer
		slot *io.Writer
	}{{spec.Stdout, &cmd.Stdout}, {spec.Stderr, &cmd.Stderr}} {
		switch o.dst.(type) {
		case nil, *os.File: // exec passes these straight to the child
			*o.slot = o.dst
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(readers...)
			closeAll(writers...)
			return nil, fmt.Errorf("start process %q: %w", spec.Cmd, err)
		}
		readers, writers = append(readers, r), append(writers, w)
		*o.slot = w
		dst := o.dst
		outputs.Go(func() { _, _ = io.Copy(dst, r) })
	}
	startErr := cmd.Start()
	closeAll(writers...) // the child has its copies
	if startErr != nil {
		closeAll(readers...)
		outputs.Wait()
		return nil, fmt.Errorf("start process %q: %w", spec.Cmd, startErr)
	}

	p := &Process{pid: cmd.Process.Pid, exited: make(chan struct{}), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
		// The task is over: kill and reap what is left of its group.
		_ = killGroup(p.pid, syscall.SIGKILL)
		reapGroup(p.pid)
		waitOrClose(&outputs, readers)
		close(p.done)
	}()
	return p, nil
}

// waitOrClose waits for the output copies, closing the pipes if a process
// outside the group still holds them after outputDrain.
func waitOrClose(wg *sync.WaitGroup, readers []*os.File) {
	copied := make(chan struct{})
	go func() { wg.Wait(); close(copied) }()
	select {
	case <-copied:
	case <-time.After(outputDrain):
		closeAll(readers...)
		<-copied
	}
	closeAll(readers...)
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// environ turns env into exec's form, sorted for reproducibility, adding the
// host's PATH when env has none.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env)+1)
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	if _, ok := env["PATH"]; !ok {
		if path, ok := os.LookupEnv("PATH"); ok {
			out = append(out, "PATH="+path)
		}
	}
	sort.Strings(out)
	return out
}

// Pid is the process id of the shell, which is also the process group id.
func (p *Process) Pid() int { return p.pid }

// Alive reports whether the shell is still running: Wait has not returned
// for it and (on Linux) the kernel does not show it as exited, so a shell
// that has just exited counts as gone before this package has reaped it.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return !exitedUnreaped(p.pid)
	}
}

// Done is closed when the shell has exited and its group has been killed and
// reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitErr is nil before Done is closed or after a zero exit, and otherwise
// the *exec.ExitError (use ExitCode, or Sys().(syscall.WaitStatus) for the
// signal) or the wait error.
func (p *Process) ExitErr() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop sends SIGTERM to the process group, SIGKILL to the group after grace
// if the shell has not exited by then, and waits until the group is gone.
// Stop is idempotent; every call waits for the process and returns the same
// result: nil once it has gone, whatever its exit status (see ExitErr).
func (p *Process) Stop(grace time.Duration) error {
	p.stopOnce.Do(func() { p.stopErr = p.stop(grace) })
	<-p.done
	return p.stopErr
}

func (p *Process) stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := killGroup(p.pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop process %d: %w", p.pid, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		if err := killGroup(p.pid, syscall.SIGKILL); err != nil {
			return fmt.Errorf("kill process %d: %w", p.pid, err)
		}
	}
	return nil
}

// killGroup signals every process in group pgid; a group that no longer
// exists is not an error.
func killGroup(pgid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// FreePorts returns n distinct TCP ports that were free on 127.0.0.1: each
// is found by listening on 127.0.0.1:0, and all listeners are held until
// every port is chosen so none repeats.
func FreePorts(n int) ([]int, error) {
	if n < 0 {
		return nil, fmt.Errorf("free ports: negative count %d", n)
	}
	ports := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free ports: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
