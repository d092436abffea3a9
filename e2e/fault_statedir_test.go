package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultStateDir: --state-dir on a 64 KiB tmpfs that is full, or
// remounted read-only, when an incident opens (an invalid revision).
// pacer keeps converging and pages; the failed save is logged and retried
// after every pass, so once space is freed (or the mount is writable
// again) the open incident is on disk: a pacer killed with -9 and started
// again on the directory does not page it a second time, and resolves it
// once when the fix is pushed.
func TestFaultStateDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs (mount -t tmpfs -o size=64k); run the e2e tests as root")
	}
	for _, tc := range []struct {
		name           string
		break_, repair func(t *testing.T, dir string)
		logged         string
	}{
		{name: "full", logged: "no space left on device",
			break_: func(t *testing.T, dir string) { fillDisk(t, filepath.Join(dir, "filler")) },
			repair: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "read-only", logged: "read-only file system",
			break_: func(t *testing.T, dir string) { mountCmd(t, "-o", "remount,ro", dir) },
			repair: func(t *testing.T, dir string) { mountCmd(t, "-o", "remount,rw", dir) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			mountCmd(t, "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir)
			t.Cleanup(func() {
				if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
					t.Errorf("umount %s: %v\n%s", dir, err, out)
				}
			})
			simURL := startSim(t, "--task-start", "10ms")
			unmanaged := faultUnmanaged(t, simURL)
			rec := newFaultRecorder(t, simURL)
			pd := newFaultPD(t)
			repo := gittest.New(t)
			want := faultShop()
			good := faultSpecs(want...)
			repo.Push("shop", good)
			args := append(faultGitArgs(t, repo, rec.URL), "--state-dir", dir,
				"--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", faultKeyFile(t),
				"--alert-for", "InvalidSpecRevision=0s", "--alert-clear-for", "500ms")
			p := startFaultPacer(t, faultEnv, args...)
			eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })

			tc.break_(t, dir)
			bad := map[string]string{"specs/clusters.yaml": good["specs/clusters.yaml"],
				"specs/services/shop.yaml": good["specs/services/shop.yaml"] + "      bogusField: 1\n"}
			repo.Push("invalid", bad)
			key := "pacer/ams/-/InvalidSpecRevision"
			pd.waitIncidents(t, 15*time.Second, "paged with the state dir broken", map[string][]string{key: {"trigger"}})
			eventually(t, 10*time.Second, "the failed save logged", func() (bool, error) {
				return len(logLines(p.log, tc.logged)) > 0, fmt.Errorf("no %q in the log", tc.logged)
			})
			faultScale(t, simURL, faultAppID("cart"), 5)
			eventually(t, 15*time.Second, "drift healed with the state dir broken", func() (bool, error) { return faultConverged(simURL, p, want) })

			tc.repair(t, dir)
			state := filepath.Join(dir, "alerting-incidents.json")
			eventually(t, 10*time.Second, "the open incident saved once the dir is writable", func() (bool, error) {
				b, err := os.ReadFile(state)
				return err == nil && bytes.Contains(b, []byte("InvalidSpecRevision")), fmt.Errorf("%s: %v", b, err)
			})
			p.kill9()
			p2 := startFaultPacer(t, faultEnv, args...)
			eventually(t, 15*time.Second, "restarted pacer restored the incident", func() (bool, error) {
				return len(logLines(p2.log, "Restored open incidents")) > 0, fmt.Errorf("not restored yet")
			})
			repo.Push("fix", good)
			pd.waitIncidents(t, 15*time.Second, "resolved once, not paged again", map[string][]string{key: {"trigger", "resolve"}})
			eventually(t, 15*time.Second, "converged after the restart", func() (bool, error) { return faultConverged(simURL, p2, want) })
			wantWrites := createsOnly(want)
			wantWrites[faultAppID("cart")]++
			checkNothingLost(t, simURL, rec, unmanaged, wantWrites)
		})
	}
}

func mountCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Fatalf("mount %v: %v\n%s", args, err, out)
	}
}
