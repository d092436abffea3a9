package process

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the copy goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wait fails the test if p does not finish in time.
func wait(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		_ = p.Stop(0)
		t.Fatalf("process %d still running after 20s", p.Pid())
	}
}

func start(t *testing.T, spec Spec) *Process {
	t.Helper()
	p, err := Start(spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Stop(0) })
	return p
}

// assertGone checks that pid neither runs nor lingers as a zombie.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err == nil {
		t.Errorf("process %d still exists: %s", pid, stat)
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read /proc/%d: %v", pid, err)
	}
}

func hasProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
}

// pidsFrom reads n pids, one per line, that the command prints on the pipe.
func pidsFrom(t *testing.T, r *os.File, n int) []int {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(20 * time.Second))
	sc := bufio.NewScanner(r)
	var pids []int
	for len(pids) < n && sc.Scan() {
		pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatalf("not a pid: %q", sc.Text())
		}
		pids = append(pids, pid)
	}
	if len(pids) < n {
		t.Fatalf("read %d pids, want %d: %v", len(pids), n, sc.Err())
	}
	return pids
}

func TestEnvironmentAndOutput(t *testing.T) {
	t.Setenv("PACER_HOST_ONLY", "leaked")
	var out, errOut syncBuffer
	dir := t.TempDir()
	p := start(t, Spec{
		Cmd: `echo "$PORT0 $MARATHON_APP_ID host=${PACER_HOST_ONLY-unset}"; pwd; ` +
			`command -v sleep >/dev/null && echo path-ok; echo oops >&2`,
		Env:    map[string]string{"PORT0": "31000", "MARATHON_APP_ID": "/web"},
		Dir:    dir,
		Stdout: &out,
		Stderr: &errOut,
	})
	wait(t, p)
	if err := p.ExitErr(); err != nil {
		t.Fatalf("ExitErr = %v", err)
	}
	real, _ := os.Readlink(dir) // TempDir may sit behind a symlink
	want := "31000 /web host=unset\n" + dir + "\npath-ok\n"
	if got := out.String(); got != want && got != strings.Replace(want, dir, real, 1) {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got := errOut.String(); got != "oops\n" {
		t.Errorf("stderr = %q", got)
	}
}

func TestExplicitPathWins(t *testing.T) {
	var out syncBuffer
	p := start(t, Spec{Cmd: `echo "$PATH"`, Env: map[string]string{"PATH": "/usr/bin:/bin"}, Stdout: &out})
	wait(t, p)
	if got := out.String(); got != "/usr/bin:/bin\n" {
		t.Errorf("PATH = %q", got)
	}
}

func TestOutputToFileAndDiscard(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := start(t, Spec{Cmd: "echo to-file; echo dropped >&2", Stdout: f})
	wait(t, p)
	if b, _ := os.ReadFile(f.Name()); string(b) != "to-file\n" {
		t.Errorf("file = %q", b)
	}
	if _, err := f.WriteString("still open\n"); err != nil {
		t.Errorf("caller's file was closed: %v", err)
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		code int // -1: killed by a signal
	}{
		{"success", "true", 0},
		{"exit code", "exit 3", 3},
		{"command not found", "definitely-not-a-command-pacer", 127},
		{"killed by signal", "kill -9 $$", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, Spec{Cmd: tc.cmd})
			wait(t, p)
			err := p.ExitErr()
			if tc.code == 0 {
				if err != nil {
					t.Fatalf("ExitErr = %v, want nil", err)
				}
				return
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("ExitErr = %v, want *exec.ExitError", err)
			}
			if ee.ExitCode() != tc.code {
				t.Errorf("exit code = %d, want %d", ee.ExitCode(), tc.code)
			}
			if tc.code == -1 {
				if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
					t.Errorf("status = %v, want killed by SIGKILL", ws)
				}
			}
		})
	}
}

func TestExitErrNilWhileRunning(t *testing.T) {
	p := start(t, Spec{Cmd: "exec sleep 300"})
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr while running = %v", err)
	}
	select {
	case <-p.Done():
		t.Fatal("Done closed while running")
	default:
	}
	if p.Pid() <= 0 {
		t.Errorf("Pid = %d", p.Pid())
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var ee *exec.ExitError
	if !errors.As(p.ExitErr(), &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("ExitErr after Stop = %v, want terminated by SIGTERM", p.ExitErr())
	}
}

func TestOwnProcessGroup(t *testing.T) {
	var out syncBuffer
	p := start(t, Spec{Cmd: "ps -o pgid= -p $$ 2>/dev/null || cut -d' ' -f5 /proc/$$/stat", Stdout: &out})
	wait(t, p)
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(p.Pid()) {
		t.Errorf("pgid = %q, want the shell's pid %d", got, p.Pid())
	}
}

func TestStopKillsWholeGroupWithoutZombies(t *testing.T) {
	hasProc(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The shell ignores SIGTERM (trap first, so it holds before the pids
	// are printed), so only SIGKILL after the grace period ends the group:
	// two children and a grandchild.
	p := start(t, Spec{Cmd: `
		trap "" TERM
		sleep 300 & echo $!
		sh -c 'sleep 300 & echo $!; while :; do sleep 1; done' & echo $!
		wait`, Stdout: w})
	w.Close()
	pids := pidsFrom(t, r, 3)

	began := time.Now()
	if err := p.Stop(300 * time.Millisecond); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Errorf("Stop returned after %v, before the grace period for a TERM-ignoring group", d)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop returned")
	}
	for _, pid := range append(pids, p.Pid()) {
		assertGone(t, pid)
	}
	if err := syscall.Kill(-p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("group %d still has members: %v", p.Pid(), err)
	}
}

func TestStopGracefulExit(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := start(t, Spec{Cmd: `trap 'exit 0' TERM; sleep 300 & echo $!; wait`, Stdout: w})
	w.Close()
	pidsFrom(t, r, 1) // the trap is in place
	began := time.Now()
	if err := p.Stop(time.Minute); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(began); d > 30*time.Second {
		t.Errorf("Stop took %v; the process exits on SIGTERM", d)
	}
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr = %v, want clean exit", err)
	}
}

func TestStopIsIdempotentAndConcurrent(t *testing.T) {
	p := start(t, Spec{Cmd: "exec sleep 300"})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Stop(5 * time.Second) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Stop #%d: %v", i, err)
		}
	}
	if err := p.Stop(0); err != nil {
		t.Errorf("Stop after stop: %v", err)
	}
}

func TestStopAfterExit(t *testing.T) {
	p := start(t, Spec{Cmd: "exit 2"})
	wait(t, p)
	if err := p.Stop(time.Second); err != nil {
		t.Errorf("Stop after exit: %v", err)
	}
}

// TestShellExitKillsLeftovers: like the Mesos command executor, a task is
// over when its command exits, and background processes it left go with it.
func TestShellExitKillsLeftovers(t *testing.T) {
	hasProc(t)
	var out syncBuffer
	p := start(t, Spec{Cmd: "sleep 300 & echo $!", Stdout: &out})
	wait(t, p)
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	assertGone(t, pid)
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr = %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(Spec{}); err == nil {
		t.Error("Start with empty command succeeded")
	}
	if _, err := Start(Spec{Cmd: "true", Dir: t.TempDir() + "/missing"}); err == nil {
		t.Error("Start in a missing directory succeeded")
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(8)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, port := range ports {
		if port <= 0 || port > 65535 || seen[port] {
			t.Fatalf("ports = %v: invalid or repeated", ports)
		}
		seen[port] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("port %d not free: %v", port, err)
		}
		l.Close()
	}
	if got, err := FreePorts(0); err != nil || len(got) != 0 {
		t.Errorf("FreePorts(0) = %v, %v", got, err)
	}
	if _, err := FreePorts(-1); err == nil {
		t.Error("FreePorts(-1) succeeded")
	}
}

// TestAlive: a running shell is alive; once it has exited it is not, from
// the kernel's view, before Done (which waits for the reap and the output).
func TestAlive(t *testing.T) {
	p := start(t, Spec{Cmd: "exec sleep 300"})
	if !p.Alive() {
		t.Fatal("Alive = false for a sleeping shell")
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if p.Alive() {
		t.Error("Alive = true after Stop returned")
	}
	q := start(t, Spec{Cmd: "exit 3"})
	wait(t, q)
	if q.Alive() {
		t.Error("Alive = true after the shell exited")
	}
}

// TestExitedUnreaped: a child that has exited but is not waited for is seen
// as exited (a zombie), which is what Alive relies on between the exit and
// Wait's return.
func TestExitedUnreaped(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !exitedUnreaped(cmd.Process.Pid) {
		select {
		case <-deadline:
			t.Fatal("exited child never seen as exited")
		case <-tick.C:
		}
	}
	self := exec.Command("/bin/sh", "-c", "exec sleep 300")
	if err := self.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = self.Process.Kill(); _ = self.Wait() }()
	if exitedUnreaped(self.Process.Pid) {
		t.Error("a sleeping child seen as exited")
	}
}
