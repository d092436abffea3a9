package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/proctest"
)

// TestDevBannerLogsCommand runs the pacer logs line pacer dev prints: it
// reads the memcached stand-ins' stdout through the simulated agent.
func TestDevBannerLogsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr proctest.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"dev", "--specs", "../../examples/specs", "--listen", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	var line string
	eventually(t, 20*time.Second, "the task logs line", func() (bool, string) {
		m := regexp.MustCompile(`task logs:\s+pacer (logs .*?) \[-f\] \[--stderr\]\n`).FindStringSubmatch(stdout.String())
		if m != nil {
			line = m[1]
		}
		return m != nil, stdout.String()
	})
	args := strings.Fields(line)
	want := regexp.MustCompile(`^\[(\S+)\] stand-in for /services/autofill/production/memcached \((\S+)\): image memcached:1\.6\.21-alpine on ports \d+$`)
	eventually(t, 20*time.Second, "both memcached tasks' stdout", func() (bool, string) {
		var out, errb bytes.Buffer
		code := run(t.Context(), args, &out, &errb)
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if code != 0 || len(lines) != 2 {
			return false, fmt.Sprintf("exit %d: %q %q", code, out.String(), errb.String())
		}
		for _, l := range lines {
			if m := want.FindStringSubmatch(l); m == nil || m[1] != m[2] {
				return false, l
			}
		}
		return true, ""
	})
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("pacer dev did not stop")
	}
}
