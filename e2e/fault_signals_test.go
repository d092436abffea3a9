package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/internal/proctest"
)

// signalTrials is how many times each signal interrupts each kind of write.
const signalTrials = 20

// TestFaultSignalDuringApply: SIGTERM or kill -9 while pacer run creates
// six apps, each write held 120 ms at a front before it reaches Marathon,
// 20 trials per signal at a random point of the apply. A second pacer run
// on the same cluster converges; every app has exactly one version in
// Marathon (created once, none lost, none doubled or redeployed), no
// DELETE. A write the killed pacer had in the network can still land
// after the restart: the next pacer's identical write is then a no-op.
func TestFaultSignalDuringApply(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rnd := rand.New(rand.NewPCG(seed, 1))
			want := []faultApp{{name: "a1", instances: 1}, {name: "a2", instances: 1}, {name: "a3", instances: 1},
				{name: "a4", instances: 1}, {name: "a5", instances: 1}, {name: "a6", instances: 1}}
			interrupted := map[int]int{} // trials by writes accepted before the signal
			noops := 0
			for trial := range signalTrials {
				simURL := startSim(t, "--task-start", "10ms")
				rec := newFaultRecorder(t, simURL)
				front := newChaosFront(t, rec.URL)
				front.writeDelay.Store(int64(120 * time.Millisecond))
				repo := gittest.New(t)
				repo.Push("six apps", faultSpecs(want...))
				args := append(faultGitArgs(t, repo, front.URL), "--shutdown-timeout", "2s")
				p := startFaultPacer(t, nil, args...)
				k := rnd.IntN(len(want)) // writes accepted before the signal
				eventually(t, 15*time.Second, "writes under way", func() (bool, error) {
					n := len(rec.writes())
					return (n >= k && front.writesHeld.Load() > int64(n)) || n == len(want), fmt.Errorf("%d writes accepted, %d sent", n, front.writesHeld.Load())
				})
				_ = syscall.Kill(-p.cmd.Process.Pid, sig)
				<-p.done
				interrupted[len(rec.writes())]++
				if n := len(rec.writes()); n > len(want) {
					t.Logf("trial %d: %d writes before the second pacer: %+v", trial, n, rec.writes())
				}
				p2 := startFaultPacer(t, nil, args...)
				eventually(t, 20*time.Second, fmt.Sprintf("trial %d converged after %s", trial, sig), func() (bool, error) {
					return faultConverged(simURL, p2, want)
				})
				noops += checkOneVersion(t, simURL, rec, want)
				p2.stop()
				if t.Failed() {
					t.Fatalf("trial %d failed", trial)
				}
			}
			t.Logf("%s: trials by creates accepted before the signal: %v; %d identical second writes (no new version)", sig, interrupted, noops)
		})
	}
}

// TestFaultSignalDuringLBWrite: SIGTERM or kill -9 of pacer lb (nginx and
// HAProxy formats, alternating) at a random moment up to 60 ms after a
// change that rewrites its config, 20 trials per signal. The config on
// disk always passes nginx -t or haproxy -c, and the pacer lb started next
// puts the latest config in place: byte-identical to what pacer lb --once
// renders from the same Marathon (no write lost).
func TestFaultSignalDuringLBWrite(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"nginx", "haproxy"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("%s is needed: apt-get install -y nginx-light libnginx-mod-stream haproxy", name)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rnd := rand.New(rand.NewPCG(seed, 2))
			simURL := startSim(t, "--task-start", "10ms")
			for i := range 4 {
				body := fmt.Sprintf(`{"id":"/web/app%d","cmd":"sleep 1000","cpus":0.01,"mem":16,"instances":2,
					"portDefinitions":[{"port":0}],"labels":{"subdomain":"app%d","HAPROXY_GROUP":"external","HAPROXY_0_VHOST":"app%d.example"}}`, i, i, i)
				faultSim(t, simURL, http.MethodPost, "/v2/apps", body)
			}
			dirs := map[string]string{}
			for _, format := range []string{"nginx", "haproxy"} {
				dirs[format] = t.TempDir()
			}
			stale := 0
			for trial := range signalTrials {
				format := []string{"nginx", "haproxy"}[trial%2]
				dir := dirs[format]
				out := filepath.Join(dir, format+".conf")
				lb := startLB(t, simURL, format, out)
				// A change: app0 scales, its config is rendered, validated
				// and renamed into place while the signal comes.
				faultScale(t, simURL, "/web/app0", 1+(trial/2)%3)
				time.Sleep(time.Duration(rnd.IntN(60)) * time.Millisecond) // the injected fault's timing, not a wait for a condition
				_ = syscall.Kill(-lb.cmd.Process.Pid, sig)
				_ = lb.cmd.Wait()
				if err := validLBConfig(format, dir, out); err != nil {
					t.Fatalf("trial %d (%s, %s): the config on disk is invalid: %v", trial, format, sig, err)
				}
				if want, err := renderOnce(t, simURL, format, dir); err == nil {
					if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
						stale++ // the signal came before the new config was in place
					}
				}
				// The next pacer lb converges the file on the latest state.
				lb2 := startLB(t, simURL, format, out)
				eventually(t, 15*time.Second, "latest config in place", func() (bool, error) {
					want, err := renderOnce(t, simURL, format, dir)
					if err != nil {
						return false, err
					}
					got, err := os.ReadFile(out)
					return bytes.Equal(got, want), fmt.Errorf("config differs from pacer lb --once (%v)", err)
				})
				_ = syscall.Kill(-lb2.cmd.Process.Pid, syscall.SIGTERM)
				_ = lb2.cmd.Wait()
			}
			t.Logf("%s: %d of %d trials stopped pacer lb before the changed config was in place", sig, stale, signalTrials)
			for format, dir := range dirs {
				drafts, _ := filepath.Glob(filepath.Join(dir, ".*draft*"))
				t.Logf("%s %s: %d drafts left by the killed writers", sig, format, len(drafts))
			}
		})
	}
}

type lbProc struct {
	cmd  *exec.Cmd
	logs *proctest.Buffer
}

// lbArgs are the flags of the pacer lb under test for format.
func lbArgs(simURL, format string) []string {
	args := []string{"lb", "--marathon", simURL, "--format", format, "--listen-http", "127.0.0.1:1", "--debounce-min", "5ms",
		"--min-reload-interval", "1ms", "--log-format", "console"}
	if format == "haproxy" {
		// No HAProxy runs here: the config on disk is what is checked, and
		// pacer lb wants a way to reload HAProxy (master socket or command).
		args = append(args, "--group", "external", "--reload-cmd", "true")
	}
	return args
}

// startLB runs pacer lb keeping out converged and waits until out exists.
func startLB(t *testing.T, simURL, format, out string) *lbProc {
	t.Helper()
	p := &lbProc{logs: &proctest.Buffer{}}
	p.cmd = exec.Command(bin.pacer, append(lbArgs(simURL, format), "--out", out, "--v", "1")...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("pacer lb log:\n%s", tail(p.logs.String(), 4000))
		}
	})
	eventually(t, 15*time.Second, "pacer lb applied its first config to "+out, func() (bool, error) {
		l := p.logs.String()
		return strings.Contains(l, "Load balancer updated") || strings.Contains(l, "Load balancer config unchanged"), nil
	})
	return p
}

// renderOnce is what pacer lb --once renders from Marathon now.
func renderOnce(t *testing.T, simURL, format, dir string) ([]byte, error) {
	out := filepath.Join(t.TempDir(), format+".conf")
	cmd := exec.Command(bin.pacer, append(lbArgs(simURL, format), "--out", out, "--once", "--nginx-prefix", dir)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pacer lb --once: %v\n%s", err, b)
	}
	return os.ReadFile(out)
}

// validLBConfig runs the validator pacer uses on the file in place.
func validLBConfig(format, dir, file string) error {
	var cmd *exec.Cmd
	if format == "nginx" {
		cmd = exec.Command("nginx", "-t", "-q", "-p", dir, "-c", file)
	} else {
		cmd = exec.Command("haproxy", "-c", "-f", file)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %v\n%s", cmd.Args, err, b)
	}
	return nil
}

// checkOneVersion asserts that each app was created once and never
// changed after: one version in Marathon (a doubled create or a second
// real write adds one), and no DELETE. It returns the apps Marathon took
// a second, identical write for: a write of the killed pacer, still in
// the network when it died, landing after the next pacer planned its own
// create (Marathon, as the simulator, keeps the version of an unchanged
// app).
func checkOneVersion(t *testing.T, simURL string, rec *faultRecorder, want []faultApp) (noops int) {
	t.Helper()
	if d := rec.deletes(); len(d) > 0 {
		t.Errorf("DELETE requests sent: %+v", d)
	}
	writes := rec.appWrites()
	for _, a := range want {
		id := faultAppID(a.name)
		var body struct {
			Versions []string `json:"versions"`
		}
		if err := getJSON(t.Context(), simURL+"/v2/apps"+id+"/versions", &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Versions) != 1 || writes[id] > 2 {
			t.Errorf("%s: %d versions in Marathon, %d writes accepted; want it created once", id, len(body.Versions), writes[id])
		}
		if writes[id] == 2 {
			noops++
		}
	}
	return noops
}
