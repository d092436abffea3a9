package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// Reloader reloads a load balancer and returns once the reload took: the
// load balancer runs the config file in place (HAProxyMaster). FileSink
// runs it instead of its Reload command.
type Reloader interface {
	Reload(ctx context.Context) error
}

// HAProxyMaster reloads HAProxy running in master-worker mode through its
// master CLI (haproxy -W -S SOCKET) and confirms every reload: a SIGUSR2,
// or a reload command, that reaches the master while it is still reloading
// is lost, so a reload is only done when the master counted it and a new
// worker, forked from the config file in place, answers.
//
// Reload reads `show proc` (the master's reload count, its failed reloads
// and the worker pids), sends `reload`, and polls `show proc` until the
// count moved and a worker that was not there before answers `show info`
// (routed to it by the master with @!PID). A reload that does not take
// within Timeout is sent again, up to Attempts times; a reload the master
// reports as failed (its config or its listeners) is also retried, then
// reported as a *CommandError naming the master's last `show proc`.
type HAProxyMaster struct {
	// Socket is the master CLI socket (haproxy -S PATH); a path.
	Socket string
	// Timeout bounds one attempt from the reload command to the new
	// worker answering; zero means 30s.
	Timeout time.Duration
	// Attempts is how many times a reload is sent before it is reported
	// as failed; zero means 3.
	Attempts int
	// Clock paces the polling; nil means the wall clock.
	Clock Clock
}

var _ Reloader = (*HAProxyMaster)(nil)

// masterProcs is what `show proc` on the master CLI says.
type masterProcs struct {
	// Reloads is the master's reload count (it moves on every re-exec,
	// failed or not); Failed counts failed reloads since the last success.
	Reloads, Failed int
	// Workers are the pids of the current workers (not the old ones
	// still finishing connections).
	Workers []int
}

// ErrReloadNotTaken: the master did not count the reload within the
// attempt's timeout (it was dropped, or the master is stuck).
var ErrReloadNotTaken = errors.New("reload not taken")

// ErrReloadFailed: the master counted the reload but reports it failed;
// the old workers keep serving the previous config.
var ErrReloadFailed = errors.New("haproxy master reports the reload failed")

// Reload implements Reloader.
func (m *HAProxyMaster) Reload(ctx context.Context) error {
	log := logr.FromContextOrDiscard(ctx)
	args := []string{"haproxy master CLI", m.Socket, "reload"}
	before, out, err := m.showProc(ctx)
	if err != nil {
		return &CommandError{Args: args, Err: fmt.Errorf("show proc: %w (is HAProxy running with -W -S %s?)", err, m.Socket)}
	}
	attempts := m.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		if err := m.command(ctx, "reload", nil); err != nil {
			last = fmt.Errorf("send reload: %w", err)
		} else {
			var now masterProcs
			now, out, last = m.await(ctx, before)
			if last == nil {
				return nil
			}
			if now.Reloads > before.Reloads {
				before = now
			}
		}
		if ctx.Err() != nil {
			break
		}
		log.Info("HAProxy reload did not take, sending it again", "attempt", attempt, "error", last.Error())
	}
	return &CommandError{Args: args, Output: out, Err: fmt.Errorf("%d attempts: %w", attempts, last)}
}

// await polls the master until a reload after before took (nil), failed
// (ErrReloadFailed) or the attempt timed out (ErrReloadNotTaken). It
// returns the last `show proc` read and its text.
func (m *HAProxyMaster) await(ctx context.Context, before masterProcs) (masterProcs, string, error) {
	clock := m.clock()
	timeout := cmpOrDur(m.Timeout, 30*time.Second)
	deadline := clock.Now().Add(timeout)
	pause := 5 * time.Millisecond
	var last masterProcs
	var out string
	var lastErr error
	for {
		procs, text, err := m.showProc(ctx)
		if err == nil {
			last, out = procs, text
			if procs.Reloads > before.Reloads {
				if w, ok := newWorker(before, procs); ok {
					if err := m.workerAnswers(ctx, w); err == nil {
						return procs, out, nil
					} else {
						lastErr = err
					}
				} else if procs.Failed > 0 {
					return procs, out, fmt.Errorf("%w (%d failed since the last success)", ErrReloadFailed, procs.Failed)
				}
			}
		} else {
			// The master does not answer while it re-executes; it
			// queues the connection or refuses it.
			lastErr = err
		}
		if ctx.Err() != nil {
			return last, out, ctx.Err()
		}
		if !clock.Now().Before(deadline) {
			if lastErr != nil {
				return last, out, fmt.Errorf("%w within %v: %w", ErrReloadNotTaken, timeout, lastErr)
			}
			return last, out, fmt.Errorf("%w within %v", ErrReloadNotTaken, timeout)
		}
		select {
		case <-ctx.Done():
			return last, out, ctx.Err()
		case <-clock.After(pause):
		}
		pause = min(pause*2, 100*time.Millisecond)
	}
}

// newWorker returns a worker of now that was not one of before's.
func newWorker(before, now masterProcs) (int, bool) {
	for _, w := range now.Workers {
		if !slices.Contains(before.Workers, w) {
			return w, true
		}
	}
	return 0, false
}

// workerAnswers asks worker pid for `show info` through the master; it
// answers once it runs (its CLI is up after it loaded the config).
func (m *HAProxyMaster) workerAnswers(ctx context.Context, pid int) error {
	var b strings.Builder
	if err := m.command(ctx, "@!"+strconv.Itoa(pid)+" show info", &b); err != nil {
		return fmt.Errorf("worker %d: %w", pid, err)
	}
	if !strings.Contains(b.String(), "\nPid: "+strconv.Itoa(pid)+"\n") && !strings.HasPrefix(b.String(), "Pid: "+strconv.Itoa(pid)+"\n") {
		return fmt.Errorf("worker %d does not answer yet: %q", pid, firstLine(b.String()))
	}
	return nil
}

// showProc reads and parses `show proc`.
func (m *HAProxyMaster) showProc(ctx context.Context) (masterProcs, string, error) {
	var b strings.Builder
	if err := m.command(ctx, "show proc", &b); err != nil {
		return masterProcs{}, "", err
	}
	p, err := parseShowProc(b.String())
	return p, b.String(), err
}

// command sends one command to the master CLI and copies its answer to
// out (nil discards it). The master answers a connection whose writing
// side is shut down, then closes it.
func (m *HAProxyMaster) command(ctx context.Context, cmd string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, cmpOrDur(m.Timeout, 30*time.Second))
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", m.Socket)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if _, err := conn.Write([]byte(cmd + "\n")); err != nil {
		return err
	}
	if uc, ok := conn.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	if out == nil {
		out = io.Discard
	}
	if _, err := io.Copy(out, conn); err != nil && !errors.Is(err, net.ErrClosed) {
		if cmd == "reload" {
			return nil // the master may drop the connection as it re-executes
		}
		return err
	}
	return nil
}

func (m *HAProxyMaster) clock() Clock {
	if m.Clock == nil {
		return RealClock{}
	}
	return m.Clock
}

// parseShowProc parses the master CLI's `show proc` (HAProxy 2.6):
//
//	#<PID>          <type>          <reloads>       <uptime>        <version>
//	13392           master          2 [failed: 1]   0d00h10m18s     2.6.12-1+deb12u4
//	# workers
//	10987           worker          1               0d00h00m01s     2.6.12-1+deb12u4
//	# old workers
//	9012            worker          3               0d00h00m09s     2.6.12-1+deb12u4
//	# programs
func parseShowProc(s string) (masterProcs, error) {
	var p masterProcs
	section, master := "", false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			section = strings.TrimSpace(strings.TrimPrefix(l, "#"))
			continue
		}
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		switch {
		case f[1] == "master":
			master = true
			if p.Reloads, err = strconv.Atoi(f[2]); err != nil {
				return p, fmt.Errorf("show proc: master reloads %q", f[2])
			}
			if i := strings.Index(l, "[failed: "); i >= 0 {
				n, _, _ := strings.Cut(l[i+len("[failed: "):], "]")
				p.Failed, _ = strconv.Atoi(n)
			}
		case f[1] == "worker" && section == "workers":
			p.Workers = append(p.Workers, pid)
		}
	}
	if !master {
		return p, fmt.Errorf("show proc: no master line in %q", firstLine(s))
	}
	return p, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
