package reaper

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// roleEnv makes the test binary play a part in TestSupervise instead of
// running tests.
const roleEnv = "REAPER_TEST_ROLE"

// Roles of the test binary.
const (
	roleSupervisor = "supervisor" // Supervise as a subreaper; the child is the workload
	roleControl    = "control"    // a subreaper that never reaps, for contrast
	roleWorkload   = "workload"
)

// Exit codes of the workload: it runs until SIGTERM or until stdin closes.
const (
	codeTerminated = 42
	codeStdinEOF   = 43
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case roleSupervisor:
		// A helper process, not a test: there is no t.Context here.
		code, sup, err := Supervise(context.Background(), Options{Subreaper: true})
		if !sup {
			os.Exit(workload())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(code)
	case roleControl:
		os.Exit(control())
	case roleWorkload:
		os.Exit(workload())
	}
	os.Exit(m.Run())
}

// control is a subreaper that waits for its child with os/exec and never
// reaps orphans: zombies pile up under it.
func control() int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), roleEnv+"="+roleWorkload)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		for sig := range sigs {
			_ = cmd.Process.Signal(sig)
		}
	}()
	_ = cmd.Wait()
	return cmd.ProcessState.ExitCode()
}

// script is one command of the workload: it leaves an orphan behind (its
// first line of output is the orphan's pid) and exits with want.
type script struct {
	Name string `json:"name"`
	Sh   string `json:"-"`
	Want int    `json:"want"`
}

var scripts = []script{
	{Name: "exit 0", Sh: "sleep 0.3 >/dev/null 2>&1 & echo $!; exit 0", Want: 0},
	{Name: "exit 3", Sh: "sleep 0.3 >/dev/null 2>&1 & echo $!; exit 3", Want: 3},
	{Name: "exit 7 quickly", Sh: "true >/dev/null 2>&1 & echo $!; exit 7", Want: 7},
	{Name: "killed by SIGKILL", Sh: "sleep 0.3 >/dev/null 2>&1 & echo $!; kill -9 $$", Want: -1},
}

// report is what the workload prints on stdout, one JSON line.
type report struct {
	Results []result `json:"results"`
}

type result struct {
	script
	Got int    `json:"got"`
	Err string `json:"err,omitempty"`
	// Orphan is the pid left behind; OrphanParent its parent right after
	// the command exited (the subreaper, if it was still running).
	Orphan       int `json:"orphan"`
	OrphanParent int `json:"orphanParent"`
}

// workload runs the scripts many times at once with os/exec, as pacer runs
// reload and validation commands, while their orphans exit under the
// supervisor. It prints the report, then waits for SIGTERM or stdin EOF.
func workload() int {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	const rounds = 8
	var (
		mu  sync.Mutex
		rep report
		wg  sync.WaitGroup
	)
	for range rounds {
		for _, s := range scripts {
			wg.Go(func() {
				r := runScript(s)
				mu.Lock()
				rep.Results = append(rep.Results, r)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	eof := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString(0)
		close(eof)
	}()
	select {
	case <-term:
		return codeTerminated
	case <-eof:
		return codeStdinEOF
	}
}

func runScript(s script) result {
	r := result{script: s}
	cmd := exec.Command("sh", "-c", s.Sh)
	out, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			r.Err = err.Error()
		}
	}
	if cmd.ProcessState != nil {
		r.Got = cmd.ProcessState.ExitCode()
	}
	r.Orphan, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	r.OrphanParent, _ = procStat(r.Orphan)
	return r
}

// procStat reads the parent pid and state letter of pid from /proc.
func procStat(pid int) (ppid int, state byte) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	// pid (comm) state ppid ...; comm may hold spaces, so cut at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return 0, 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 2 {
		return 0, 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0][0]
}
