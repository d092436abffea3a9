package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestIsTerminal: /dev/null is a character device but no terminal, a
// file and a buffer are neither.
func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]any{"/dev/null": null, "file": f, "buffer": &bytes.Buffer{}} {
		if isTerminal(w) {
			t.Errorf("isTerminal(%s) = true", name)
		}
	}
}

// openPTY opens a pseudo-terminal pair: what a person's terminal is to
// pacer (the pts) and the other end (the ptmx) the test types into and
// reads from.
func openPTY(t *testing.T) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pts: %v", err)
	}
	t.Cleanup(func() { pts.Close() })
	return ptmx, pts
}

func TestIsTerminalPTY(t *testing.T) {
	_, pts := openPTY(t)
	if !isTerminal(pts) {
		t.Error("isTerminal(pts) = false")
	}
}

// TestReconcileOnTerminal: on a real terminal the text plan is coloured
// (not with --no-color, NO_COLOR or TERM=dumb), and a deleting apply asks
// on it and goes on after "yes".
func TestReconcileOnTerminal(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	if r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...); r.code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", r.code, r.stderr)
	}
	writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"web", "cache"}, ""))
	const red = "\x1b[31m- delete /services/blog/production/worker"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		extra []string
		color bool
	}{
		{"colour", map[string]string{"TERM": "xterm"}, nil, true},
		{"--no-color", map[string]string{"TERM": "xterm"}, []string{"--no-color"}, false},
		{"NO_COLOR", map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, nil, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if _, ok := tc.env["NO_COLOR"]; !ok {
				t.Setenv("NO_COLOR", "")
			}
			ptmx, pts := openPTY(t)
			read := make(chan []byte, 1)
			go func() {
				out, _ := io.ReadAll(ptmx) // ends with EIO once the pts is closed
				read <- out
			}()
			var errOut bytes.Buffer
			code := runIO(t.Context(), reconcileArgs(sim, dir, append([]string{"diff", "--prune"}, tc.extra...)...), input{}, pts, &errOut)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, errOut.String())
			}
			pts.Close()
			out := <-read
			if got := bytes.Contains(out, []byte(red)); got != tc.color {
				t.Errorf("coloured = %v, want %v:\n%q", got, tc.color, out)
			}
		})
	}
	t.Run("confirmation", func(t *testing.T) {
		ptmx, pts := openPTY(t)
		if _, err := ptmx.WriteString("yes\n"); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		sim.Rec.Reset()
		code := runIO(t.Context(), reconcileArgs(sim, dir, "reconcile", "--prune"), input{r: pts, tty: isTerminal(pts)}, &out, &errOut)
		if code != exitOK || !strings.Contains(errOut.String(), "Only 'yes' will be accepted to approve.") {
			t.Fatalf("exit %d\n%s", code, errOut.String())
		}
		if d := cmp.Diff([]string{"DELETE /v2/apps/services/blog/production/worker?force=false"}, sim.Rec.Writes()); d != "" {
			t.Errorf("writes (-want +got):\n%s", d)
		}
	})
}
