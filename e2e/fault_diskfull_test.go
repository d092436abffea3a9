package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultLBDiskFull writes pacer run's nginx config on a 64 KiB tmpfs.
// The filesystem fills up and a new app makes the config grow: the write
// fails, the config in place stays byte for byte (no truncated file, no
// draft left behind), the failure is logged and paged as LBConfigInvalid.
// Once space is freed, the next render (a task change) puts the config in
// place and the incident resolves.
func TestFaultLBDiskFull(t *testing.T) {
	t.Parallel()
	diskFull(t, true)
}

// TestFaultLBDiskFullRetriedWithoutChange: after the disk is freed, the
// config should be put in place without waiting for another Marathon
// change.
func TestFaultLBDiskFullRetriedWithoutChange(t *testing.T) {
	t.Parallel()
	diskFull(t, false)
}

func diskFull(t *testing.T, change bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs (mount -t tmpfs -o size=64k); run the e2e tests as root")
	}
	dir := filepath.Join(t.TempDir(), "lb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v\n%s", err, out)
	}
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
	out := filepath.Join(dir, "nginx.conf")
	withHost := func(apps []faultApp) []faultApp {
		for i := range apps {
			apps[i].labels = map[string]string{"subdomain": apps[i].name}
		}
		return apps
	}
	want := withHost(faultShop())
	repo.Push("shop", faultSpecs(want...))
	args := append(faultGitArgs(t, repo, rec.URL), "--lb-out", out, "--lb-validate-cmd", "none",
		"--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", faultKeyFile(t),
		"--alert-for", "LBConfigInvalid=0s", "--alert-clear-for", "500ms")
	p := startFaultPacer(t, faultEnv, args...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })
	var good []byte
	eventually(t, 10*time.Second, "config serves every app", func() (bool, error) {
		b, err := os.ReadFile(out)
		good = b
		for _, a := range want {
			if !bytes.Contains(b, []byte("server_name "+a.name)) {
				return false, fmt.Errorf("%s missing: %v\n%s", a.name, err, b)
			}
		}
		return true, nil
	})

	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	want = withHost(append(want, faultApp{name: "reviews", instances: 2}))
	repo.Push("add reviews", faultSpecs(want...))
	eventually(t, 20*time.Second, "reviews deployed", func() (bool, error) { return faultConverged(simURL, p, want) })
	key := "pacer/ams/-/LBConfigInvalid"
	pd.waitIncidents(t, 15*time.Second, "the failed write paged", map[string][]string{key: {"trigger"}})
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, good) {
		t.Fatalf("the config in place changed on a full disk (err %v):\n%s", err, got)
	}
	if lines := logLines(p.log, "no space left on device"); len(lines) == 0 {
		t.Error("the write failure is not logged")
	}
	if drafts, _ := filepath.Glob(filepath.Join(dir, ".nginx.conf.draft-*")); len(drafts) > 0 {
		t.Errorf("drafts left behind on the full disk: %v", drafts)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if change {
		reviews := faultAppID("reviews")
		faultSim(t, simURL, http.MethodPost, "/sim/v1/tasks/"+faultTasks(t, simURL, reviews)[0]+"/fail", "")
	}
	eventually(t, 15*time.Second, "config with reviews in place after space was freed", func() (bool, error) {
		b, err := os.ReadFile(out)
		return bytes.Contains(b, []byte("server_name reviews")), err
	})
	pd.waitIncidents(t, 15*time.Second, "LBConfigInvalid resolved", map[string][]string{key: {"trigger", "resolve"}})
	checkNothingLost(t, simURL, rec, unmanaged, createsOnly(want))
}

// fillDisk writes path until the filesystem is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("x"), 1024)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", path, err)
			}
			return
		}
	}
}
