package reaper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/go-logr/logr"
	"golang.org/x/sys/unix"
)

// childEnv marks the re-executed child; its value is the supervisor's pid, so
// a stray variable in the environment is not taken for the mark.
const childEnv = "PACER_REAPER_PARENT"

// Options configure Supervise.
type Options struct {
	// Subreaper supervises even when this process is not PID 1, as a child
	// subreaper. Tests use it; so can a non-init parent.
	Subreaper bool
	// Signals forwarded to the child; DefaultSignals when nil.
	Signals []os.Signal
}

// DefaultSignals are the signals forwarded to the child.
var DefaultSignals = []os.Signal{
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
	syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
}

// Supervise decides this process's role. In the re-executed child, or when
// not PID 1 and not asked to be a subreaper, it returns supervisor=false at
// once and the caller does its work. Otherwise this process is the
// supervisor: Supervise starts the child, forwards signals and reaps until the
// child exits, then returns supervisor=true and the code to exit with.
//
// Call it first thing in main, before any goroutine starts a process:
//
//	if code, sup, err := reaper.Supervise(ctx, reaper.Options{}); sup {
//		if err != nil { fmt.Fprintln(os.Stderr, err) }
//		os.Exit(code)
//	}
//
// When ctx is done the supervisor sends SIGTERM to the child and keeps
// waiting for it.
func Supervise(ctx context.Context, opts Options) (code int, supervisor bool, err error) {
	if v, ok := os.LookupEnv(childEnv); ok && v == strconv.Itoa(os.Getppid()) {
		// Our own commands must not take themselves for supervised.
		_ = os.Unsetenv(childEnv)
		return 0, false, nil
	}
	if os.Getpid() != 1 && !opts.Subreaper {
		return 0, false, nil
	}
	if opts.Subreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return 1, true, fmt.Errorf("become child subreaper: %w", err)
		}
	}
	signals := opts.Signals
	if signals == nil {
		signals = DefaultSignals
	}
	// Subscribe before the child exists, so no SIGCHLD or SIGTERM is lost.
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGCHLD}, signals...)...)
	defer signal.Stop(sigs)

	pid, err := startChild()
	if err != nil {
		return 1, true, err
	}
	log := logr.FromContextOrDiscard(ctx).WithValues("child", pid)
	log.V(1).Info("Supervising")
	return superviseLoop(ctx, log, pid, sigs), true, nil
}

// startChild re-executes this binary with the same arguments in its own
// process group. syscall.ForkExec, not os/exec: no os.Process holds the pid,
// so reaping it here with wait4 steals nobody's status.
func startChild() (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find own executable: %w", err)
	}
	env := append(os.Environ(), childEnv+"="+strconv.Itoa(os.Getpid()))
	pid, err := syscall.ForkExec(exe, os.Args, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", exe, err)
	}
	return pid, nil
}

func superviseLoop(ctx context.Context, log logr.Logger, pid int, sigs <-chan os.Signal) int {
	done := ctx.Done()
	for {
		select {
		case <-done:
			done = nil
			log.Info("Context done, stopping child")
			_ = syscall.Kill(pid, syscall.SIGTERM)
		case sig := <-sigs:
			if sig != syscall.SIGCHLD {
				log.V(1).Info("Forwarding signal", "signal", sig.String())
				if err := syscall.Kill(pid, sig.(syscall.Signal)); err != nil && !errors.Is(err, syscall.ESRCH) {
					log.Error(err, "Forward signal", "signal", sig.String())
				}
				continue
			}
			if code, exited := reapAll(log, pid); exited {
				return code
			}
		}
	}
}

// reapAll reaps every exited child without blocking. It reports the main
// child's exit code once that child is among them.
func reapAll(log logr.Logger, child int) (code int, exited bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil || pid <= 0: // ECHILD: none left; 0: none exited yet
			return code, exited
		case pid == child:
			code, exited = exitCode(ws), true
			log.V(1).Info("Child exited", "code", code)
		default:
			log.V(1).Info("Reaped orphan", "pid", pid, "code", exitCode(ws))
		}
	}
}

// exitCode is the shell's convention: the exit status, or 128+n when killed
// by signal n.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
