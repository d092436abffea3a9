package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procStat is the part of /proc/<pid>/stat the test reads.
type procStat struct {
	pid, ppid int
	state     string
	comm      string
}

func readStats(t *testing.T) []procStat {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []procStat
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // gone already
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		out = append(out, procStat{pid: pid, ppid: ppid, state: f[0], comm: s[open+1 : end]})
	}
	return out
}

// TestPID1ReapsAndForwardsSignals runs pacer as PID 1 of a new PID namespace
// (as in a container without an init shim). Its LB reload command leaves an
// orphan behind on every reload; the orphans are re-parented to pacer, and
// must be reaped, not left as zombies. SIGTERM to PID 1 must reach the
// working process, which exits cleanly.
func TestPID1ReapsAndForwardsSignals(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace (unshare --pid)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (util-linux) is missing: %v", err)
	}
	simURL := startSim(t, "--task-start", "10ms")
	dir := t.TempDir()
	reload := filepath.Join(dir, "reload.sh")
	// The subshell's background sleep outlives the reload command: an orphan.
	if err := os.WriteFile(reload, []byte("#!/bin/sh\n(sleep 0.3 &)\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "--pid", "--fork", "--kill-child", bin.pacer, "lb",
		"--marathon", simURL, "--format", "nginx", "--out", filepath.Join(dir, "nginx.conf"),
		"--validate-cmd", "none", "--reload-cmd", reload, "--debounce-min", "1ms", "--debounce-max", "10ms",
		"--log-format", "console")
	logs := &logFile{path: filepath.Join(dir, "pacer.log")}
	out, err := os.Create(logs.path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	// PID 1 of the namespace is unshare's child: pacer's supervisor.
	var init int
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pacer output:\n%s", logs.String())
		}
	})
	eventually(t, 10*time.Second, "pacer runs as PID 1 of the namespace", func() (bool, error) {
		for _, p := range readStats(t) {
			if p.ppid == cmd.Process.Pid && p.comm == "pacer" {
				init = p.pid
				return true, nil
			}
		}
		return false, nil
	})

	// Each new app changes the config and runs the reload command once.
	sawOrphan := false
	for i := range 5 {
		body := fmt.Sprintf(`{"id":"/pid1/app-%d","cmd":"sleep 1000","labels":{"subdomain":"app-%d"}}`, i, i)
		resp, err := http.Post(simURL+"/v2/apps", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		eventually(t, 10*time.Second, fmt.Sprintf("config with app-%d", i), func() (bool, error) {
			for _, p := range readStats(t) {
				if p.ppid == init && p.comm == "sleep" {
					sawOrphan = true
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, "nginx.conf"))
			return strings.Contains(string(b), fmt.Sprintf("app-%d", i)), err
		})
	}
	eventually(t, 10*time.Second, "an orphan re-parented to PID 1", func() (bool, error) {
		for _, p := range readStats(t) {
			if p.ppid == init && p.comm == "sleep" {
				sawOrphan = true
			}
		}
		return sawOrphan, nil
	})
	eventually(t, 10*time.Second, "no zombie children of PID 1", func() (bool, error) {
		for _, p := range readStats(t) {
			if p.ppid == init && (p.state == "Z" || p.comm == "sleep") {
				return false, fmt.Errorf("pid %d (%s) state %s", p.pid, p.comm, p.state)
			}
		}
		return true, nil
	})

	if err := syscall.Kill(init, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("pacer as PID 1 after SIGTERM: %v\n%s", waitErr, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("pacer as PID 1 did not exit after SIGTERM\n%s", logs.String())
	}
}

// logFile shows a child's output file in failure messages.
type logFile struct{ path string }

func (l *logFile) String() string {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
