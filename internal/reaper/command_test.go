package reaper

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		ws   syscall.WaitStatus
		want int
	}{
		{name: "exit 0", ws: 0, want: 0},
		{name: "exit 3", ws: 3 << 8, want: 3},
		{name: "SIGKILL", ws: syscall.WaitStatus(syscall.SIGKILL), want: 137},
		{name: "SIGTERM", ws: syscall.WaitStatus(syscall.SIGTERM), want: 143},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitCode(tc.ws); got != tc.want {
				t.Errorf("exitCode(%#x) = %d, want %d", int(tc.ws), got, tc.want)
			}
		})
	}
}

func TestCommandCancelStopsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	// The shell prints its background child's pid, then waits for it; on
	// SIGTERM to the group both end.
	cmd := Command(ctx, 5*time.Second, "sh", "-c", `sleep 60 & echo $!; wait`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatalf("child pid %q: %v", buf[:n], err)
	}
	cancel()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Wait() = %v, want an exit error", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("command ended with %v, want killed by SIGTERM", ws)
	}
	// The grandchild got SIGTERM with the group: it is gone or a zombie
	// waiting for init, not sleeping.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, state := procStat(child)
		if state == 0 || state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still in state %c after the group was stopped", child, state)
		}
		runtime.Gosched()
	}
}
