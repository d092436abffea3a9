package reaper

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestSupervise(t *testing.T) {
	tests := []struct {
		name        string
		role        string
		wantZombies bool
	}{
		{name: "supervisor reaps orphans and keeps exit codes", role: roleSupervisor},
		{name: "control subreaper without reaping keeps zombies", role: roleControl, wantZombies: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent, rep := startParent(t, tc.role)
			pid := parent.Process.Pid

			for _, r := range rep.Results {
				if r.Err != "" || r.Got != r.Want {
					t.Errorf("%s: exit code %d (err %q), want %d", r.Name, r.Got, r.Err, r.Want)
				}
			}
			adopted := 0
			for _, r := range rep.Results {
				if r.OrphanParent == pid {
					adopted++
				}
			}
			if adopted == 0 {
				t.Fatalf("no orphan was re-parented to the subreaper %d: the test proves nothing", pid)
			}

			// Every orphan exits within 0.3 s; the reaper must leave none
			// behind as a zombie.
			var zombies []int
			deadline := time.Now().Add(10 * time.Second)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				running, z := children(t, pid)
				zombies = z
				if running == 1 && (len(zombies) == 0 || tc.wantZombies && len(zombies) >= adopted) {
					break // only the workload left (and the control's zombies)
				}
				if time.Now().After(deadline) {
					break
				}
				<-tick.C
			}
			t.Logf("%d commands, %d orphans adopted by %d, zombies left: %d", len(rep.Results), adopted, pid, len(zombies))
			if got := len(zombies) > 0; got != tc.wantZombies {
				t.Errorf("zombies under %d: %v, want zombies: %v", pid, zombies, tc.wantZombies)
			}

			// SIGTERM to the parent reaches the workload; its exit code
			// comes back out of the parent.
			if err := parent.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			err := parent.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != codeTerminated {
				t.Errorf("parent exit = %v, want code %d (forwarded SIGTERM)", err, codeTerminated)
			}
		})
	}
}

// startParent runs the test binary in role and reads the workload's report.
func startParent(t *testing.T, role string) (*exec.Cmd, report) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	cmd.Stderr = os.Stderr
	// The workload exits when this pipe closes, whatever happens to the test.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = stdinR
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdinR.Close()
	t.Cleanup(func() {
		stdinW.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan []byte, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		if sc.Scan() {
			lines <- sc.Bytes()
		}
		close(lines)
	}()
	var rep report
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("workload printed no report")
		}
		if err := json.Unmarshal(line, &rep); err != nil {
			t.Fatalf("decode report %q: %v", line, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no report from the workload after 30s")
	}
	return cmd, rep
}

// children counts the live children of pid and lists its zombies.
func children(t *testing.T, pid int) (running int, zombies []int) {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		p, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		ppid, state := procStat(p)
		if ppid != pid {
			continue
		}
		if state == 'Z' {
			zombies = append(zombies, p)
		} else {
			running++
		}
	}
	return running, zombies
}

func TestSuperviseOutsidePID1DoesNothing(t *testing.T) {
	code, sup, err := Supervise(t.Context(), Options{})
	if sup || code != 0 || err != nil {
		t.Errorf("Supervise() = %d, %v, %v; want 0, false, nil", code, sup, err)
	}
}

func TestSuperviseInChildDoesNothing(t *testing.T) {
	t.Setenv(childEnv, strconv.Itoa(os.Getppid()))
	code, sup, err := Supervise(t.Context(), Options{Subreaper: true})
	if sup || code != 0 || err != nil {
		t.Errorf("Supervise() = %d, %v, %v; want 0, false, nil", code, sup, err)
	}
	if _, ok := os.LookupEnv(childEnv); ok {
		t.Errorf("%s still set in the child", childEnv)
	}
}
