package proctest

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartStopsTheGroup(t *testing.T) {
	var pid int
	t.Run("child", func(t *testing.T) {
		// A shell whose own child would outlive it without the group kill.
		pid, _ = Start(t, "sh", "-c", "sleep 300 & wait")
	})
	// The subtest's cleanup stopped the group: the shell and its sleep
	// are gone.
	deadline := time.Now().Add(StopTimeout)
	for syscall.Kill(-pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still runs after its test ended", pid)
		}
		<-time.After(20 * time.Millisecond) // poll
	}
}

func TestBufferCollectsOutput(t *testing.T) {
	_, out := Start(t, "sh", "-c", "echo ready; exec sleep 300")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "ready") {
		if time.Now().After(deadline) {
			t.Fatalf("output %q, want ready", out.String())
		}
		<-time.After(20 * time.Millisecond) // poll
	}
}
